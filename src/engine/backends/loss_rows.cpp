// The host entry points to the shared per-sample loss formulas (formulas.hpp), raising
// glia::Error for an out-of-range sparse label.
#include "backends/loss_rows.hpp"

#include <string>

#include "backends/formulas.hpp"
#include "backends/loss_formulas.hpp"
#include "backends/update_formulas.hpp"
#include "glia/error.hpp"

namespace glia::detail {

namespace {

[[noreturn]] void bad_label(int64_t label, int64_t cols) {
  throw Error("sparse label " + std::to_string(label) + " is outside [0, " + std::to_string(cols) +
              ")");
}

}  // namespace

double row_loss(LossKind kind, const float* t, const float* p, int64_t cols, const LossParams& lp) {
  int64_t bad = 0;
  if (!formulas::sparse_label_ok(kind, t, cols, &bad)) bad_label(bad, cols);
  return formulas::row_loss(kind, t, p, cols, lp, &bad);
}

void row_grad(LossKind kind, const float* t, const float* p, float* g, int64_t cols,
              const LossParams& lp, float scale) {
  int64_t bad = 0;
  if (!formulas::sparse_label_ok(kind, t, cols, &bad)) bad_label(bad, cols);
  formulas::row_grad(kind, t, p, g, cols, lp, scale, &bad);
}

}  // namespace glia::detail
