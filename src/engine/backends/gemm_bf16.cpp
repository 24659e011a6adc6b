// The Backend's default bfloat16 gemm: rounded copies of the operands in backend memory (a Tensor
// from the installed allocator), then the backend's own float32 gemm. The products of two
// bfloat16 values are exact in float32, so this is bfloat16 compute with float32 accumulation.
#include "glia/backend.hpp"

namespace glia {

namespace {

// Elements a row-major rows×cols block with leading dimension ld spans.
int64_t span_of(int64_t rows, int64_t cols, int64_t ld) {
  return rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols;
}

}  // namespace

void Backend::gemm_bf16(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                        const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                        float* c, int64_t ldc) {
  if (m <= 0 || n <= 0 || k <= 0) {
    gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  const int64_t a_size = ta ? span_of(k, m, lda) : span_of(m, k, lda);
  const int64_t b_size = tb ? span_of(n, k, ldb) : span_of(k, n, ldb);
  Tensor ra({a_size}), rb({b_size});
  round_bf16(a, ra.data(), a_size);
  round_bf16(b, rb.data(), b_size);
  gemm(ta, tb, m, n, k, alpha, ra.data(), lda, rb.data(), ldb, beta, c, ldc);
}

}  // namespace glia
