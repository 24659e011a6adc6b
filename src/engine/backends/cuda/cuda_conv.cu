// The CUDA backend's convolutions: direct kernels on channels_last data and Keras' (kh, kw, in,
// out) kernels, one thread per output element (forward), per input element (backward data, which
// gathers over the kernel taps that read it, so no atomics) and per kernel element (backward
// weights, summed in double over the batch and the output pixels), plus one block per output
// channel for the bias gradient. Straightforward and deterministic; cuDNN is a later slice.
#include "backends/cuda/cuda_internal.cuh"

namespace glia::cuda {

namespace {

__global__ void conv_forward_kernel(ConvGeometry g, const float* x, const float* k,
                                    const float* bias, float* y, int64_t n) {
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    const int64_t co = i % g.out_c;
    int64_t r = i / g.out_c;
    const int64_t ox = r % g.out_w;
    r /= g.out_w;
    const int64_t oy = r % g.out_h, b = r / g.out_h;
    double acc = bias ? bias[co] : 0.0f;
    for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
      const int64_t iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
      if (iy < 0 || iy >= g.in_h) continue;
      for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
        const int64_t ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
        if (ix < 0 || ix >= g.in_w) continue;
        const float* xp = x + ((b * g.in_h + iy) * g.in_w + ix) * g.in_c;
        const float* kp = k + (ky * g.kernel_w + kx) * g.in_c * g.out_c + co;
        for (int64_t ci = 0; ci < g.in_c; ++ci)
          acc += static_cast<double>(xp[ci]) * kp[ci * g.out_c];
      }
    }
    y[i] = static_cast<float>(acc);
  }
}

// The output position along one axis that kernel tap `t` maps input position `in` to, or -1.
__device__ int64_t source_of(int64_t in, int64_t t, int64_t pad, int64_t stride, int64_t dilation,
                             int64_t out_size) {
  const int64_t v = in + pad - t * dilation;
  if (v < 0 || v % stride != 0) return -1;
  const int64_t o = v / stride;
  return o < out_size ? o : -1;
}

__global__ void conv_backward_data_kernel(ConvGeometry g, const float* dy, const float* k,
                                          float* dx, int64_t n) {
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    const int64_t ci = i % g.in_c;
    int64_t r = i / g.in_c;
    const int64_t ix = r % g.in_w;
    r /= g.in_w;
    const int64_t iy = r % g.in_h, b = r / g.in_h;
    double acc = 0;
    for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
      const int64_t oy = source_of(iy, ky, g.pad_top, g.stride_h, g.dilation_h, g.out_h);
      if (oy < 0) continue;
      for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
        const int64_t ox = source_of(ix, kx, g.pad_left, g.stride_w, g.dilation_w, g.out_w);
        if (ox < 0) continue;
        const float* dyp = dy + ((b * g.out_h + oy) * g.out_w + ox) * g.out_c;
        const float* kp = k + ((ky * g.kernel_w + kx) * g.in_c + ci) * g.out_c;
        for (int64_t co = 0; co < g.out_c; ++co) acc += static_cast<double>(dyp[co]) * kp[co];
      }
    }
    dx[i] = static_cast<float>(acc);
  }
}

__global__ void conv_backward_weights_kernel(ConvGeometry g, const float* x, const float* dy,
                                             float* dk, int64_t n) {
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    const int64_t co = i % g.out_c;
    int64_t r = i / g.out_c;
    const int64_t ci = r % g.in_c;
    r /= g.in_c;
    const int64_t kx = r % g.kernel_w, ky = r / g.kernel_w;
    double acc = 0;
    for (int64_t b = 0; b < g.batch; ++b)
      for (int64_t oy = 0; oy < g.out_h; ++oy) {
        const int64_t iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
        if (iy < 0 || iy >= g.in_h) continue;
        for (int64_t ox = 0; ox < g.out_w; ++ox) {
          const int64_t ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
          if (ix < 0 || ix >= g.in_w) continue;
          acc += static_cast<double>(x[((b * g.in_h + iy) * g.in_w + ix) * g.in_c + ci]) *
                 dy[((b * g.out_h + oy) * g.out_w + ox) * g.out_c + co];
        }
      }
    dk[i] = static_cast<float>(acc);
  }
}

// db[c] = sum over rows of dy[r, c]: one block per channel, a fixed-order block reduction.
__global__ void conv_bias_grad_kernel(const float* dy, float* db, int64_t rows, int64_t cols) {
  __shared__ double shared[32];
  for (int64_t c = blockIdx.x; c < cols; c += gridDim.x) {
    double s = 0;
    for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) s += dy[r * cols + c];
    s = block_reduce(s, shared, SumOp{});
    if (threadIdx.x == 0) db[c] = static_cast<float>(s);
  }
}

}  // namespace

void CudaBackend::conv2d_forward(const ConvGeometry& g, const float* x, const float* kernel,
                                 const float* bias, float* y) {
  check_conv_geometry(g);
  const int64_t n = g.output_size();
  if (n <= 0) return;
  Operands ops(*this);
  const float* dx = ops.in(x, g.input_size());
  const float* dk = ops.in(kernel, g.kernel_size());
  const float* db = ops.in(bias, g.out_c);
  float* dy = ops.out(y, n);
  conv_forward_kernel<<<grid_for(n), kThreads, 0, stream_>>>(g, dx, dk, db, dy, n);
  check_launch("conv_forward_kernel");
  ops.finish();
}

void CudaBackend::conv2d_backward_data(const ConvGeometry& g, const float* dy, const float* kernel,
                                       float* dx) {
  check_conv_geometry(g);
  const int64_t n = g.input_size();
  if (n <= 0) return;
  Operands ops(*this);
  const float* d_dy = ops.in(dy, g.output_size());
  const float* dk = ops.in(kernel, g.kernel_size());
  float* d_dx = ops.out(dx, n);
  conv_backward_data_kernel<<<grid_for(n), kThreads, 0, stream_>>>(g, d_dy, dk, d_dx, n);
  check_launch("conv_backward_data_kernel");
  ops.finish();
}

void CudaBackend::conv2d_backward_weights(const ConvGeometry& g, const float* x, const float* dy,
                                          float* dkernel, float* dbias) {
  check_conv_geometry(g);
  const int64_t n = g.kernel_size();
  Operands ops(*this);
  const float* d_x = ops.in(x, g.input_size());
  const float* d_dy = ops.in(dy, g.output_size());
  float* dk = ops.out(dkernel, n);
  float* db = ops.out(dbias, g.out_c);
  conv_backward_weights_kernel<<<grid_for(n), kThreads, 0, stream_>>>(g, d_x, d_dy, dk, n);
  check_launch("conv_backward_weights_kernel");
  if (db) {
    const int64_t rows = g.batch * g.out_h * g.out_w;
    conv_bias_grad_kernel<<<row_grid(g.out_c), 256, 0, stream_>>>(d_dy, db, rows, g.out_c);
    check_launch("conv_bias_grad_kernel");
  }
  ops.finish();
}

}  // namespace glia::cuda
