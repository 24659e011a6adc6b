// The per-element formulas every backend shares (activations, their derivatives, the dropout hash,
// per-sample losses and gradients), written once as __host__ __device__ functions. This header
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

// ---- activations ----

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

/// Counter-based uniform in [0, 1): bit-identical to detail::hash_uniform.
GLIA_HD float hash_uniform(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * 0x1.0p-24f;
}

/// One activation applied to v (softmax is row-wise and handled by its own kernel: identity here).
GLIA_HD float activate(ActivationKind kind, float slope, float v) {
  switch (kind) {
    case ActivationKind::relu:
      return v > 0 ? v : 0;
    case ActivationKind::sigmoid:
      return sigmoid(v);
    case ActivationKind::tanh:
      return tanhf(v);
    case ActivationKind::gelu:
      return gelu(v);
    case ActivationKind::leaky_relu:
      return v > 0 ? v : slope * v;
    default:
      return v;
  }
}

/// dL/dx for the element-wise activations, from the output y (or x for GELU).
GLIA_HD float activation_grad(ActivationKind kind, float slope, float x, float y, float dy) {
  float g = 1.0f;
  switch (kind) {
    case ActivationKind::relu:
      g = y > 0 ? 1.0f : 0.0f;
      break;
    case ActivationKind::sigmoid:
      g = y * (1.0f - y);
      break;
    case ActivationKind::tanh:
      g = 1.0f - mul_rn(y, y);
      break;
    case ActivationKind::gelu:
      g = gelu_grad(x);
      break;
    case ActivationKind::leaky_relu:
      g = y > 0 ? 1.0f : slope;
      break;
    default:
      break;
  }
  return dy * g;
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

// ---- optimizer and regularizer element updates (reference_backend.cpp) ----

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
