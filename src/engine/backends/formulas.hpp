// The per-element formulas every backend shares (activations, their derivatives, the row-wise
// activations, the dropout hash, per-sample losses and gradients, optimizer and regularizer
// updates), written once as __host__ __device__ functions. This header
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

// ---- per-sample losses ----
// An out-of-range sparse label is reported through *bad_label (set to the label; the caller
// raises glia::Error) and the row functions return without a result.

GLIA_HD bool is_categorical(LossKind k) {
  return k == LossKind::categorical_crossentropy || k == LossKind::sparse_categorical_crossentropy;
}

/// Checks a sparse row's label: false (and *bad_label set) when it is outside [0, cols).
GLIA_HD bool sparse_label_ok(LossKind kind, const float* t, int64_t cols, int64_t* bad_label) {
  if (kind != LossKind::sparse_categorical_crossentropy) return true;
  const float v = t[0];
  // static_cast of a NaN or huge float is undefined on the host; report those as -1.
  if (!(v > -9.2e18f && v < 9.2e18f)) {
    *bad_label = -1;
    return false;
  }
  const auto label = static_cast<int64_t>(v);
  if (label < 0 || label >= cols) {
    *bad_label = label;
    return false;
  }
  return true;
}

// Smoothed target of class c for categorical losses (the label is already checked).
GLIA_HD double loss_target(LossKind kind, const float* t, int64_t c, int64_t cols,
                           float smoothing) {
  double v;
  if (kind == LossKind::sparse_categorical_crossentropy) {
    v = (static_cast<int64_t>(t[0]) == c) ? 1.0 : 0.0;
  } else {
    v = t[c];
  }
  return smoothing > 0 ? v * (1.0 - smoothing) + smoothing / static_cast<double>(cols) : v;
}

GLIA_HD double log_sum_exp(const float* z, int64_t cols) {
  double m = z[0];
  for (int64_t c = 1; c < cols; ++c) m = max_of(m, static_cast<double>(z[c]));
  double s = 0;
  for (int64_t c = 0; c < cols; ++c) s += exp(z[c] - m);
  return m + log(s);
}

GLIA_HD double clip_probability(double p) {
  return clamp_to(p, static_cast<double>(kEpsilonF), 1.0 - static_cast<double>(kEpsilonF));
}

/// The loss of one sample (see loss_rows.hpp).
GLIA_HD double row_loss(LossKind kind, const float* t, const float* p, int64_t cols,
                        const LossParams& lp, int64_t* bad_label) {
  if (!sparse_label_ok(kind, t, cols, bad_label)) return 0.0;
  double loss = 0;
  if (is_categorical(kind)) {
    if (lp.from_logits && !lp.fused_softmax) {
      double lse = log_sum_exp(p, cols);
      for (int64_t c = 0; c < cols; ++c)
        loss -= loss_target(kind, t, c, cols, lp.label_smoothing) * (p[c] - lse);
      return loss;
    }
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += p[c];
    for (int64_t c = 0; c < cols; ++c) {
      double tc = loss_target(kind, t, c, cols, lp.label_smoothing);
      if (tc != 0) loss -= tc * log(clip_probability(p[c] / sum));
    }
    return loss;
  }
  for (int64_t c = 0; c < cols; ++c) {
    double tc = t[c], pc = p[c];
    switch (kind) {
      case LossKind::binary_crossentropy:
        if (lp.label_smoothing > 0) tc = tc * (1.0 - lp.label_smoothing) + 0.5 * lp.label_smoothing;
        if (lp.from_logits) {
          loss += max_of(pc, 0.0) - pc * tc + log1p(exp(-fabs(pc)));
        } else {
          pc = clip_probability(pc);
          loss -= tc * log(pc) + (1 - tc) * log(1 - pc);
        }
        break;
      case LossKind::mean_squared_error:
        loss += (pc - tc) * (pc - tc);
        break;
      case LossKind::mean_absolute_error:
        loss += fabs(pc - tc);
        break;
      default:
        break;
    }
  }
  return loss / static_cast<double>(cols);
}

/// scale * d(row_loss)/dp, or d/dlogits when lp.fused_softmax.
GLIA_HD void row_grad(LossKind kind, const float* t, const float* p, float* g, int64_t cols,
                      const LossParams& lp, float scale, int64_t* bad_label) {
  if (!sparse_label_ok(kind, t, cols, bad_label)) return;
  if (is_categorical(kind)) {
    if (lp.fused_softmax && !lp.from_logits) {
      // Keras clips the (renormalised) probabilities to [eps, 1 - eps] before the log, so a
      // class outside that range passes no gradient: with p = softmax(z), d/dz of
      // -sum_c t_c log(clip(p_c)) is sum_c t_c [inside_c] (p - e_c). Saturated rows get none.
      double sum = 0, tm = 0;
      for (int64_t c = 0; c < cols; ++c) sum += p[c];
      for (int64_t c = 0; c < cols; ++c) {
        const double q = p[c] / sum;
        if (q > kEpsilonF && q < 1.0 - kEpsilonF)
          tm += loss_target(kind, t, c, cols, lp.label_smoothing);
      }
      for (int64_t c = 0; c < cols; ++c) {
        const double q = p[c] / sum;
        const bool inside = q > kEpsilonF && q < 1.0 - kEpsilonF;
        const double tc = inside ? loss_target(kind, t, c, cols, lp.label_smoothing) : 0.0;
        g[c] = static_cast<float>(scale * (tm * p[c] - tc));
      }
      return;
    }
    if (lp.fused_softmax || lp.from_logits) {
      double lse = lp.fused_softmax ? 0.0 : log_sum_exp(p, cols);
      for (int64_t c = 0; c < cols; ++c) {
        double prob = lp.fused_softmax ? p[c] : exp(p[c] - lse);
        g[c] =
            static_cast<float>(scale * (prob - loss_target(kind, t, c, cols, lp.label_smoothing)));
      }
      return;
    }
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += p[c];
    double tm = 0;
    for (int64_t c = 0; c < cols; ++c) {
      double q = p[c] / sum;
      if (q > kEpsilonF && q < 1.0 - kEpsilonF)
        tm += loss_target(kind, t, c, cols, lp.label_smoothing);
    }
    for (int64_t c = 0; c < cols; ++c) {
      double q = p[c] / sum, tc = loss_target(kind, t, c, cols, lp.label_smoothing);
      bool inside = q > kEpsilonF && q < 1.0 - kEpsilonF;
      g[c] = static_cast<float>(scale * (tm - (inside ? tc / q : 0.0)) / sum);
    }
    return;
  }
  const double inv = 1.0 / static_cast<double>(cols);
  for (int64_t c = 0; c < cols; ++c) {
    double tc = t[c], pc = p[c], d = 0;
    switch (kind) {
      case LossKind::binary_crossentropy:
        if (lp.label_smoothing > 0) tc = tc * (1.0 - lp.label_smoothing) + 0.5 * lp.label_smoothing;
        if (lp.from_logits) {
          d = 1.0 / (1.0 + exp(-pc)) - tc;
        } else if (pc > kEpsilonF && pc < 1.0 - kEpsilonF) {
          d = -tc / pc + (1 - tc) / (1 - pc);
        }
        break;
      case LossKind::mean_squared_error:
        d = 2.0 * (pc - tc);
        break;
      case LossKind::mean_absolute_error:
        d = pc > tc ? 1.0 : (pc < tc ? -1.0 : 0.0);
        break;
      default:
        break;
    }
    g[c] = static_cast<float>(scale * d * inv);
  }
}

// ---- optimizer and regularizer element updates (every backend's update kernels) ----

GLIA_HD void rmsprop_element(float& w, float g, float& rms, float* mom, float* avg, float lr,
                             float rho, float momentum, float eps) {
  rms = mul_rn(rho, rms) + mul_rn(mul_rn(1.0f - rho, g), g);
  float denom = rms;
  if (avg) {
    *avg = mul_rn(rho, *avg) + mul_rn(1.0f - rho, g);
    denom -= mul_rn(*avg, *avg);
  }
  float inc = lr * g / sqrtf(denom + eps);
  if (mom) {
    *mom = mul_rn(momentum, *mom) + inc;
    w -= *mom;
  } else {
    w -= inc;
  }
}

GLIA_HD void adam_element(float& w, float g, float& m, float& v, float* vhat, float alpha,
                          float beta1, float beta2, float eps) {
  m += mul_rn(g - m, 1.0f - beta1);
  v += mul_rn(mul_rn(g, g) - v, 1.0f - beta2);
  float vv = v;
  if (vhat) vv = *vhat = max_of(*vhat, v);
  w -= m * alpha / (sqrtf(vv) + eps);
}

GLIA_HD void sgd_element(float& w, float g, float* mom, float lr, float momentum, bool nesterov) {
  if (!mom) {
    w -= mul_rn(lr, g);
    return;
  }
  *mom = mul_rn(momentum, *mom) - mul_rn(lr, g);
  w += nesterov ? mul_rn(momentum, *mom) - mul_rn(lr, g) : *mom;
}

GLIA_HD float l1l2_element(float w, float g, float l1, float l2) {
  float sign = w > 0 ? 1.0f : (w < 0 ? -1.0f : 0.0f);
  return g + (mul_rn(l1, sign) + mul_rn(2.0f * l2, w));
}

}  // namespace glia::formulas
