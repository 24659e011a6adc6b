// Per-sample losses and their gradients, shared by every backend (host and device; the rules of
// formulas.hpp hold here too).
#pragma once

#include "backends/formulas.hpp"

namespace glia::formulas {

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

}  // namespace glia::formulas
