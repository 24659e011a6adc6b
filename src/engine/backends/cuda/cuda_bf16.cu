// The CUDA backend's bfloat16 rounding (one thread per element, the shared formula); its bf16 gemm
// is the Backend's emulation (rounded copies in device memory, then cuBLAS' sgemm).
#include "backends/cuda/cuda_internal.cuh"
#include "backends/formulas.hpp"

namespace glia::cuda {

namespace {

__global__ void round_bf16_kernel(const float* x, float* y, int64_t n) {
  for (int64_t i = global_index(); i < n; i += global_stride()) y[i] = formulas::round_bf16(x[i]);
}

}  // namespace

void CudaBackend::round_bf16(const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  Operands ops(*this);
  const float* dx = ops.in(x, n);
  float* dy = ops.out(y, n);
  round_bf16_kernel<<<grid_for(n), kThreads, 0, stream_>>>(dx, dy, n);
  check_launch("round_bf16_kernel");
  ops.finish();
}

}  // namespace glia::cuda
