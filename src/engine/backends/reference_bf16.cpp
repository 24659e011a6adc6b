// The reference backend's bfloat16 rounding, a plain loop over the shared formula; its bf16 gemm
// is the Backend's emulation (rounded copies, then its own float32 gemm).
#include "backends/formulas.hpp"
#include "backends/reference_backend.hpp"

namespace glia {

void ReferenceBackend::round_bf16(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = formulas::round_bf16(x[i]);
}

}  // namespace glia
