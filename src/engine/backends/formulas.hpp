// The per-element formulas every backend shares, written once as __host__ __device__ functions:
// here activations, their derivatives, the row-wise activations and the dropout hash;
// per-sample losses and gradients in loss_formulas.hpp; optimizer and regularizer updates in
// update_formulas.hpp. This header
// needs no CUDA headers: compiled by a plain C++ compiler the functions are ordinary inline host
// functions (scalar_math.hpp and loss_rows.cpp expose them to the CPU backends); nvcc compiles the
// same text for the GPU.
//
// Two rules keep the device arithmetic close to the host's:
//  - Products that feed an addition go through mul_rn(): nvcc would otherwise contract a * b + c
//    into one fused multiply-add (the host code is compiled without contraction).
//  - erf is evaluated in double and rounded once, which is the correctly rounded erff that glibc
//    returns in all but a handful of arguments (CUDA's own erff may be 2 ulp off, which GELU's
//    cancellation near 1 + erf(x) = 0 would turn into visible absolute error).
#pragma once

#include <cmath>
#include <cstdint>

#include "glia/backend.hpp"

#if defined(__CUDACC__)
#define GLIA_HD __host__ __device__ __forceinline__
#else
#define GLIA_HD inline
#endif

namespace glia::formulas {

constexpr float kEpsilonF = 1e-7f;  // Keras backend epsilon()

/// a * b, never fused into a following addition.
GLIA_HD float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}

/// The same as std::max / std::min / std::clamp, NaN handling included (fmaxf differs).
template <class T>
GLIA_HD T max_of(T a, T b) {
  return a < b ? b : a;
}
template <class T>
GLIA_HD T clamp_to(T v, T lo, T hi) {
  return v < lo ? lo : (hi < v ? hi : v);
}

// ---- activations (Keras 3 with the JAX backend: keras/src/backend/jax/nn.py, jax.nn) ----

constexpr float kSeluAlpha = 1.67326324235437728481f;
constexpr float kSeluScale = 1.05070098735548049342f;
constexpr float kSqrt2OverPi = 0.79788456080286535588f;

/// x rounded to the nearest bfloat16 (the top 16 bits of a float), ties to even, as oneDNN and
/// the AVX512-BF16 / AMX conversion instructions round; NaN stays a (quiet) NaN and infinities
/// and values that round past the largest bfloat16 become infinities.
GLIA_HD float round_bf16(float x) {
#if defined(__CUDA_ARCH__)
  uint32_t u = __float_as_uint(x);
#else
  uint32_t u;
  __builtin_memcpy(&u, &x, sizeof u);
#endif
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    u |= 0x00400000u;  // NaN: keep it, quiet
  } else {
    u += 0x7fffu + ((u >> 16) & 1u);
  }
  u &= 0xffff0000u;
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float r;
  __builtin_memcpy(&r, &u, sizeof r);
  return r;
#endif
}

GLIA_HD float sigmoid(float x) {
  return 1.0f / (1.0f + expf(-x));
}

GLIA_HD float erf_rounded(float x) {
  return static_cast<float>(erf(static_cast<double>(x)));
}

GLIA_HD float gelu(float x) {
  return 0.5f * x * (1.0f + erf_rounded(x * 0.70710678118654752f));
}

GLIA_HD float gelu_grad(float x) {
  float cdf = 0.5f * (1.0f + erf_rounded(x * 0.70710678118654752f));
  float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
  return cdf + mul_rn(x, pdf);
}

/// jax.nn.gelu(approximate=True): x * 0.5 * (1 + tanh(√(2/π) (x + 0.044715 x³))).
GLIA_HD float gelu_tanh(float x) {
  const float inner = kSqrt2OverPi * (x + mul_rn(0.044715f, x * x * x));
  return x * (0.5f * (1.0f + tanhf(inner)));
}

GLIA_HD float gelu_tanh_grad(float x) {
  const float inner = kSqrt2OverPi * (x + mul_rn(0.044715f, x * x * x));
  const float t = tanhf(inner);
  const float dinner = kSqrt2OverPi * (1.0f + mul_rn(3.0f * 0.044715f, x * x));
  return 0.5f * (1.0f + t) + mul_rn(0.5f * x, mul_rn(1.0f - mul_rn(t, t), dinner));
}

/// jax.nn.softplus: logaddexp(x, 0) = max(x, 0) + log1p(exp(-|x|)).
GLIA_HD float softplus(float x) {
  return max_of(x, 0.0f) + log1pf(expf(-fabsf(x)));
}

GLIA_HD float relu6(float x) {
  return clamp_to(x, 0.0f, 6.0f);
}

GLIA_HD bool has_relu_max(const ActivationSpec& a) {
  return a.relu_max_value <= 3.4e38f;  // +inf means None
}

/// keras.activations.relu(x, negative_slope, max_value, threshold), step by step as Keras' ReLU
/// op computes it.
GLIA_HD float relu_general(const ActivationSpec& a, float x) {
  const float slope = a.relu_negative_slope, thr = a.relu_threshold, mx = a.relu_max_value;
  bool clip = has_relu_max(a);
  if (slope != 0.0f && !clip && thr == 0.0f) return x >= 0.0f ? x : mul_rn(slope, x);
  float pos;
  if (thr != 0.0f) {
    pos = x > thr ? x : 0.0f;
  } else if (clip && mx == 6.0f) {
    pos = relu6(x);
    clip = false;
  } else {
    pos = max_of(x, 0.0f);
  }
  if (clip) pos = clamp_to(pos, 0.0f, mx);
  if (slope != 0.0f) pos -= mul_rn(slope, max_of(thr - x, 0.0f));
  return pos;
}

GLIA_HD float relu_general_grad(const ActivationSpec& a, float x) {
  const float slope = a.relu_negative_slope, thr = a.relu_threshold, mx = a.relu_max_value;
  const bool clip = has_relu_max(a);
  if (slope != 0.0f && !clip && thr == 0.0f) return x >= 0.0f ? 1.0f : slope;
  float g = x > thr ? 1.0f : 0.0f;
  if (g != 0.0f && clip && (x > mx || x < 0.0f)) g = 0.0f;
  if (slope != 0.0f && thr - x > 0.0f) g += slope;
  return g;
}

/// Counter-based uniform in [0, 1): bit-identical to detail::hash_uniform.
GLIA_HD float hash_uniform(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * 0x1.0p-24f;
}

/// One element-wise activation applied to v (the row-wise ones, softmax, log_softmax and
/// sparsemax, have their own row functions: identity here).
GLIA_HD float activate(const ActivationSpec& a, float v) {
  switch (a.kind) {
    case ActivationKind::relu:
      return a.relu_negative_slope == 0.0f && a.relu_threshold == 0.0f && !has_relu_max(a)
                 ? (v > 0 ? v : 0)
                 : relu_general(a, v);
    case ActivationKind::sigmoid:
      return sigmoid(v);
    case ActivationKind::tanh:
      return tanhf(v);
    case ActivationKind::gelu:
      return a.approximate ? gelu_tanh(v) : gelu(v);
    case ActivationKind::leaky_relu:
      return v >= 0 ? v : mul_rn(a.negative_slope, v);
    case ActivationKind::elu:
      return v > 0 ? v : mul_rn(a.alpha, expm1f(v));
    case ActivationKind::selu:
      return kSeluScale * (v > 0 ? v : mul_rn(kSeluAlpha, expm1f(v)));
    case ActivationKind::softplus:
      return softplus(v);
    case ActivationKind::softsign:
      return v / (fabsf(v) + 1.0f);
    case ActivationKind::silu:
      return v * sigmoid(v);
    case ActivationKind::hard_sigmoid:
      return relu6(v + 3.0f) / 6.0f;
    case ActivationKind::hard_silu:
      return v * (relu6(v + 3.0f) / 6.0f);
    case ActivationKind::relu6:
      return relu6(v);
    case ActivationKind::exponential:
      return expf(v);
    case ActivationKind::mish:
      return v * tanhf(softplus(v));
    case ActivationKind::celu:
      return max_of(v, 0.0f) + mul_rn(a.alpha, expm1f(v < 0.0f ? v / a.alpha : 0.0f));
    case ActivationKind::tanh_shrink:
      return v - tanhf(v);
    case ActivationKind::soft_shrink:
      return v > a.threshold ? v - a.threshold : (v < -a.threshold ? v + a.threshold : 0.0f);
    case ActivationKind::hard_shrink:
      return fabsf(v) > a.threshold ? v : 0.0f;
    case ActivationKind::hard_tanh:
      return v > 1.0f ? 1.0f : (v < -1.0f ? -1.0f : v);
    case ActivationKind::squareplus:  // fmaf: x + sqrt(x² + b) cancels for x < 0, so x² + b
                                      // must round the same whether or not a compiler contracts
      return (v + sqrtf(fmaf(v, v, a.b))) / 2.0f;
    case ActivationKind::log_sigmoid:
      return -softplus(-v);
    case ActivationKind::sparse_plus:
      return v <= -1.0f ? 0.0f : (v >= 1.0f ? v : (v + 1.0f) * (v + 1.0f) / 4.0f);
    case ActivationKind::sparse_sigmoid:
      return v <= -1.0f ? 0.0f : (v >= 1.0f ? 1.0f : 0.5f * (v + 1.0f));
    default:
      return v;
  }
}

/// dL/dx for the element-wise activations, from the output y where backward_from_output(),
/// else from the pre-activation x.
GLIA_HD float activation_grad(const ActivationSpec& a, float x, float y, float dy) {
  float g = 1.0f;
  switch (a.kind) {
    case ActivationKind::relu:
      if (a.relu_negative_slope == 0.0f && a.relu_threshold == 0.0f && !has_relu_max(a))
        g = y > 0 ? 1.0f : 0.0f;
      else
        g = relu_general_grad(a, x);
      break;
    case ActivationKind::sigmoid:
      g = y * (1.0f - y);
      break;
    case ActivationKind::tanh:
      g = 1.0f - mul_rn(y, y);
      break;
    case ActivationKind::gelu:
      g = a.approximate ? gelu_tanh_grad(x) : gelu_grad(x);
      break;
    case ActivationKind::leaky_relu:
      g = a.negative_slope >= 0.0f ? (y > 0 ? 1.0f : a.negative_slope)
                                   : (x >= 0 ? 1.0f : a.negative_slope);
      break;
    case ActivationKind::elu:
      g = x > 0 ? 1.0f : mul_rn(a.alpha, expf(x));
      break;
    case ActivationKind::selu:
      g = kSeluScale * (x > 0 ? 1.0f : mul_rn(kSeluAlpha, expf(x)));
      break;
    case ActivationKind::softplus:
      g = sigmoid(x);
      break;
    case ActivationKind::softsign: {
      const float d = fabsf(x) + 1.0f;
      g = 1.0f / (d * d);
      break;
    }
    case ActivationKind::silu: {
      const float s = sigmoid(x);
      g = s + mul_rn(x * s, 1.0f - s);
      break;
    }
    case ActivationKind::hard_sigmoid:
      g = (x > -3.0f && x < 3.0f) ? 1.0f / 6.0f : 0.0f;
      break;
    case ActivationKind::hard_silu:
      g = relu6(x + 3.0f) / 6.0f + ((x > -3.0f && x < 3.0f) ? x / 6.0f : 0.0f);
      break;
    case ActivationKind::relu6:
      g = (x > 0.0f && x < 6.0f) ? 1.0f : 0.0f;
      break;
    case ActivationKind::exponential:
      g = expf(x);
      break;
    case ActivationKind::mish: {
      const float t = tanhf(softplus(x));
      g = t + mul_rn(x * (1.0f - mul_rn(t, t)), sigmoid(x));
      break;
    }
    case ActivationKind::celu:
      g = x > 0.0f ? 1.0f : expf(x / a.alpha);
      break;
    case ActivationKind::tanh_shrink: {
      const float t = tanhf(x);
      g = t * t;
      break;
    }
    case ActivationKind::soft_shrink:
    case ActivationKind::hard_shrink:
      g = fabsf(x) > a.threshold ? 1.0f : 0.0f;
      break;
    case ActivationKind::hard_tanh:
      g = (x >= -1.0f && x <= 1.0f) ? 1.0f : 0.0f;
      break;
    case ActivationKind::squareplus:
      g = 0.5f * (1.0f + x / sqrtf(fmaf(x, x, a.b)));
      break;
    case ActivationKind::log_sigmoid:
      g = sigmoid(-x);
      break;
    case ActivationKind::sparse_plus:
      g = x <= -1.0f ? 0.0f : (x >= 1.0f ? 1.0f : 0.5f * (x + 1.0f));
      break;
    case ActivationKind::sparse_sigmoid:
      g = (x > -1.0f && x < 1.0f) ? 0.5f : 0.0f;
      break;
    default:
      break;
  }
  return dy * g;
}

// ---- row-wise activations (one row of `cols` values; y may alias z) ----

/// jax.nn.log_softmax: shifted = z - max; shifted - log(sum(exp(shifted))).
GLIA_HD void log_softmax_row(const float* z, float* y, int64_t cols) {
  float m = z[0];
  for (int64_t c = 1; c < cols; ++c) m = max_of(m, z[c]);
  double s = 0;
  for (int64_t c = 0; c < cols; ++c) s += exp(static_cast<double>(z[c] - m));
  const float lse = static_cast<float>(log(s));
  for (int64_t c = 0; c < cols; ++c) y[c] = (z[c] - m) - lse;
}

/// dx = dy - softmax * sum(dy), softmax = exp(y).
GLIA_HD void log_softmax_row_grad(const float* y, const float* dy, float* dx, int64_t cols) {
  double sum = 0;
  for (int64_t c = 0; c < cols; ++c) sum += dy[c];
  for (int64_t c = 0; c < cols; ++c)
    dx[c] = static_cast<float>(dy[c] - exp(static_cast<double>(y[c])) * sum);
}

/// The rank of z[j] in descending order (1-based; ties broken by position, like a stable sort)
/// and the cumulative sum of the sorted values up to that rank.
GLIA_HD void sparsemax_rank(const float* z, int64_t cols, int64_t j, int64_t* rank, double* cum) {
  int64_t r = 0;
  double s = 0;
  for (int64_t i = 0; i < cols; ++i)
    if (z[i] > z[j] || (z[i] == z[j] && i <= j)) {
      ++r;
      s += z[i];
    }
  *rank = r;
  *cum = s;
}

/// keras.activations.sparsemax as Keras 3 computes it (keras/src/backend/jax/nn.py): sorted
/// descending, cumsum C, support where z_(r) - (C_r - 1)/r > 0, k = |support|,
/// tau = (sum of C over the support - 1) / k, y = max(z - tau, 0). Keras sums the cumulative
/// sums where the paper takes C_k, so its rows do not always sum to 1; Glia follows Keras.
/// O(cols²) without a sort buffer, so that every backend can run it as it is.
GLIA_HD double sparsemax_tau(const float* z, int64_t cols) {
  int64_t k = 0;
  double sum_c = 0;
  for (int64_t j = 0; j < cols; ++j) {
    int64_t r;
    double c;
    sparsemax_rank(z, cols, j, &r, &c);
    if (static_cast<double>(z[j]) - (c - 1.0) / static_cast<double>(r) > 0) {
      ++k;
      sum_c += c;
    }
  }
  return (sum_c - 1.0) / static_cast<double>(k > 0 ? k : 1);
}

GLIA_HD void sparsemax_row(const float* z, float* y, int64_t cols) {
  const float tau = static_cast<float>(sparsemax_tau(z, cols));
  for (int64_t c = 0; c < cols; ++c) y[c] = max_of(z[c] - tau, 0.0f);
}

/// d/dz of sparsemax_row (dx may alias dy: the first pass only reads, the second reads and
/// writes element j alone): out_i = max(z_i - tau, 0); the support is the k top-ranked values,
/// so dtau/dz_j = (k - rank_j + 1) / k for j in it (0 elsewhere).
GLIA_HD void sparsemax_row_grad(const float* z, const float* dy, float* dx, int64_t cols) {
  const float tau = static_cast<float>(sparsemax_tau(z, cols));
  int64_t k = 0;
  double active_dy = 0;
  for (int64_t j = 0; j < cols; ++j) {
    int64_t r;
    double c;
    sparsemax_rank(z, cols, j, &r, &c);
    if (static_cast<double>(z[j]) - (c - 1.0) / static_cast<double>(r) > 0) ++k;
    if (z[j] - tau > 0.0f) active_dy += dy[j];
  }
  for (int64_t j = 0; j < cols; ++j) {
    int64_t r;
    double c;
    sparsemax_rank(z, cols, j, &r, &c);
    const double dtau = r <= k ? static_cast<double>(k - r + 1) / static_cast<double>(k) : 0.0;
    const double own = z[j] - tau > 0.0f ? dy[j] : 0.0;
    dx[j] = static_cast<float>(own - active_dy * dtau);
  }
}

}  // namespace glia::formulas
