#include "backends/loss_rows.hpp"

#include <algorithm>
#include <cmath>

#include "backends/scalar_math.hpp"
#include "glia/error.hpp"

namespace glia::detail {

namespace {

bool is_categorical(LossKind k) {
  return k == LossKind::categorical_crossentropy || k == LossKind::sparse_categorical_crossentropy;
}

// Smoothed target of class c for categorical losses.
double target(LossKind kind, const float* t, int64_t c, int64_t cols, float smoothing) {
  double v;
  if (kind == LossKind::sparse_categorical_crossentropy) {
    auto label = static_cast<int64_t>(t[0]);
    if (label < 0 || label >= cols)
      throw Error("sparse label " + std::to_string(label) + " is outside [0, " +
                  std::to_string(cols) + ")");
    v = (label == c) ? 1.0 : 0.0;
  } else {
    v = t[c];
  }
  return smoothing > 0 ? v * (1.0 - smoothing) + smoothing / static_cast<double>(cols) : v;
}

double log_sum_exp(const float* z, int64_t cols) {
  double m = z[0];
  for (int64_t c = 1; c < cols; ++c) m = std::max(m, static_cast<double>(z[c]));
  double s = 0;
  for (int64_t c = 0; c < cols; ++c) s += std::exp(z[c] - m);
  return m + std::log(s);
}

double clip(double p) {
  return std::clamp(p, double(kEpsilon), 1.0 - double(kEpsilon));
}

}  // namespace

double row_loss(LossKind kind, const float* t, const float* p, int64_t cols, const LossParams& lp) {
  double loss = 0;
  if (is_categorical(kind)) {
    if (lp.from_logits && !lp.fused_softmax) {
      double lse = log_sum_exp(p, cols);
      for (int64_t c = 0; c < cols; ++c)
        loss -= target(kind, t, c, cols, lp.label_smoothing) * (p[c] - lse);
      return loss;
    }
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += p[c];
    for (int64_t c = 0; c < cols; ++c) {
      double tc = target(kind, t, c, cols, lp.label_smoothing);
      if (tc != 0) loss -= tc * std::log(clip(p[c] / sum));
    }
    return loss;
  }
  for (int64_t c = 0; c < cols; ++c) {
    double tc = t[c], pc = p[c];
    switch (kind) {
      case LossKind::binary_crossentropy:
        if (lp.label_smoothing > 0) tc = tc * (1.0 - lp.label_smoothing) + 0.5 * lp.label_smoothing;
        if (lp.from_logits) {
          loss += std::max(pc, 0.0) - pc * tc + std::log1p(std::exp(-std::fabs(pc)));
        } else {
          pc = clip(pc);
          loss -= tc * std::log(pc) + (1 - tc) * std::log(1 - pc);
        }
        break;
      case LossKind::mean_squared_error:
        loss += (pc - tc) * (pc - tc);
        break;
      case LossKind::mean_absolute_error:
        loss += std::fabs(pc - tc);
        break;
      default:
        break;
    }
  }
  return loss / static_cast<double>(cols);
}

void row_grad(LossKind kind, const float* t, const float* p, float* g, int64_t cols,
              const LossParams& lp, float scale) {
  if (is_categorical(kind)) {
    if (lp.fused_softmax || lp.from_logits) {
      // d/dz of -Σ t log softmax(z) = softmax(z) - t (targets sum to 1).
      double lse = lp.fused_softmax ? 0.0 : log_sum_exp(p, cols);
      for (int64_t c = 0; c < cols; ++c) {
        double prob = lp.fused_softmax ? p[c] : std::exp(p[c] - lse);
        g[c] = static_cast<float>(scale * (prob - target(kind, t, c, cols, lp.label_smoothing)));
      }
      return;
    }
    // L = -Σ t_i log clip(p_i / S): dL/dp_k = (Σ_i t_i m_i - t_k m_k / q_k) / S, m = inside clip.
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += p[c];
    double tm = 0;
    for (int64_t c = 0; c < cols; ++c) {
      double q = p[c] / sum;
      if (q > kEpsilon && q < 1.0 - kEpsilon) tm += target(kind, t, c, cols, lp.label_smoothing);
    }
    for (int64_t c = 0; c < cols; ++c) {
      double q = p[c] / sum, tc = target(kind, t, c, cols, lp.label_smoothing);
      bool inside = q > kEpsilon && q < 1.0 - kEpsilon;
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
          d = 1.0 / (1.0 + std::exp(-pc)) - tc;
        } else if (pc > kEpsilon && pc < 1.0 - kEpsilon) {
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

}  // namespace glia::detail
