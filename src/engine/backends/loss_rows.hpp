// Per-sample loss values and gradients (one row of y_true / y_pred). Shared by the backends,
// which differ only in how they loop over rows.
#pragma once

#include <cstdint>

#include "glia/backend.hpp"

namespace glia::detail {

/// The loss of one sample. For the sparse loss t points at one class index.
double row_loss(LossKind kind, const float* t, const float* p, int64_t cols, const LossParams& lp);
/// g = scale * d(row_loss)/dp (or d/dlogits when lp.fused_softmax).
void row_grad(LossKind kind, const float* t, const float* p, float* g, int64_t cols,
              const LossParams& lp, float scale);

}  // namespace glia::detail
