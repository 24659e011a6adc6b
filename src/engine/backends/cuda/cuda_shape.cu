// The CUDA backend's shape kernels (backend_shape.hpp): zero padding of channels_last images, its
// backward crop, and the affine map y = x * scale + offset; one thread per output element.
#include "backends/cuda/cuda_internal.cuh"
#include "backends/formulas.hpp"

namespace glia::cuda {

namespace {

// y[n, i, j, k] = x[n, i - top, j - left, k] inside the input, else 0.
__global__ void pad2d_kernel(PadGeometry g, const float* x, float* y, int64_t total) {
  const int64_t oh = g.out_height(), ow = g.out_width(), c = g.channels;
  for (int64_t idx = global_index(); idx < total; idx += global_stride()) {
    const int64_t k = idx % c;
    const int64_t j = (idx / c) % ow;
    const int64_t i = (idx / (c * ow)) % oh;
    const int64_t n = idx / (c * ow * oh);
    const int64_t si = i - g.top, sj = j - g.left;
    const bool inside = si >= 0 && si < g.height && sj >= 0 && sj < g.width;
    y[idx] = inside ? x[((n * g.height + si) * g.width + sj) * c + k] : 0.0f;
  }
}

// dx[n, i, j, k] = dy[n, i + top, j + left, k].
__global__ void pad2d_backward_kernel(PadGeometry g, const float* dy, float* dx, int64_t total) {
  const int64_t oh = g.out_height(), ow = g.out_width(), c = g.channels;
  for (int64_t idx = global_index(); idx < total; idx += global_stride()) {
    const int64_t k = idx % c;
    const int64_t j = (idx / c) % g.width;
    const int64_t i = (idx / (c * g.width)) % g.height;
    const int64_t n = idx / (c * g.width * g.height);
    dx[idx] = dy[((n * oh + i + g.top) * ow + j + g.left) * c + k];
  }
}

__global__ void affine_kernel(const float* x, float* y, int64_t n, float scale, float offset) {
  for (int64_t i = global_index(); i < n; i += global_stride())
    y[i] = formulas::mul_rn(x[i], scale) + offset;
}

}  // namespace

void CudaBackend::pad2d(const PadGeometry& g, const float* x, float* y) {
  const int64_t total = g.out_size();
  if (total <= 0) return;
  Operands ops(*this);
  const float* dx = ops.in(x, g.in_size());
  float* dy = ops.out(y, total);
  pad2d_kernel<<<grid_for(total), kThreads, 0, stream_>>>(g, dx, dy, total);
  check_launch("pad2d_kernel");
  ops.finish();
}

void CudaBackend::pad2d_backward(const PadGeometry& g, const float* dy, float* dx) {
  const int64_t total = g.in_size();
  if (total <= 0) return;
  Operands ops(*this);
  const float* ddy = ops.in(dy, g.out_size());
  float* ddx = ops.out(dx, total);
  pad2d_backward_kernel<<<grid_for(total), kThreads, 0, stream_>>>(g, ddy, ddx, total);
  check_launch("pad2d_backward_kernel");
  ops.finish();
}

void CudaBackend::affine(const float* x, float* y, int64_t n, float scale, float offset) {
  if (n <= 0) return;
  Operands ops(*this);
  const float* dx = ops.in(x, n);
  float* dy = ops.out(y, n);
  affine_kernel<<<grid_for(n), kThreads, 0, stream_>>>(dx, dy, n, scale, offset);
  check_launch("affine_kernel");
  ops.finish();
}

}  // namespace glia::cuda
