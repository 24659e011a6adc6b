// The CUDA backend's normalization kernels (batch and layer normalization): direct kernels, one
// block per channel (batch norm statistics and gradients) or per row (layer norm), sums in
// double in a fixed order; element-wise kernels for the rest.
#include "backends/cuda/cuda_internal.cuh"

namespace glia::cuda {

namespace {

__device__ __forceinline__ float scale_at(const float* gamma, int64_t c) {
  return gamma ? gamma[c] : 1.0f;
}
__device__ __forceinline__ float shift_at(const float* beta, int64_t c) {
  return beta ? beta[c] : 0.0f;
}
__device__ __forceinline__ double rstd_of(const float* variance, int64_t i, float epsilon) {
  return 1.0 / sqrt(static_cast<double>(variance[i]) + static_cast<double>(epsilon));
}

// Per channel c (one block each): the column's mean and biased variance over the rows.
__global__ void bn_stats_kernel(const float* x, float* mean, float* variance, int64_t rows,
                                int64_t cols) {
  __shared__ double shared[32];
  for (int64_t c = blockIdx.x; c < cols; c += gridDim.x) {
    double s = 0;
    for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) s += x[r * cols + c];
    const double m = block_reduce(s, shared, SumOp{}) / static_cast<double>(rows);
    double q = 0;
    for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
      const double d = x[r * cols + c] - m;
      q += d * d;
    }
    const double v = block_reduce(q, shared, SumOp{}) / static_cast<double>(rows);
    if (threadIdx.x == 0) {
      mean[c] = static_cast<float>(m);
      variance[c] = static_cast<float>(v);
    }
  }
}

// y = gamma (x - mean[c]) / sqrt(variance[c] + eps) + beta, element-wise; with `relu`,
// max(y, 0), and the ReLU's mask (1 where it passed y) into `mask` unless it is null.
__global__ void bn_apply_kernel(const float* x, const float* gamma, const float* beta,
                                const float* mean, const float* variance, float* y, int64_t n,
                                int64_t cols, float epsilon, bool relu, float* mask) {
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    const int64_t c = i % cols;
    const double xhat = (x[i] - static_cast<double>(mean[c])) * rstd_of(variance, c, epsilon);
    const auto v = static_cast<float>(scale_at(gamma, c) * xhat + shift_at(beta, c));
    const bool pass = !relu || v > 0;
    y[i] = pass ? v : 0.0f;
    if (mask) mask[i] = pass ? 1.0f : 0.0f;
  }
}

// dy times a fused ReLU's derivative (its mask: 1 or 0), as the ReLU layer's backward computes
// it (all of dy without a mask).
__device__ __forceinline__ double masked(const float* dy, const float* mask, int64_t i) {
  return static_cast<double>(mask ? dy[i] * mask[i] : dy[i]);
}

// Per channel: Σ dy and Σ dy x̂ into sums[2c], sums[2c + 1] (and dbeta, dgamma when wanted).
__global__ void bn_backward_sums_kernel(const float* x, const float* dy, const float* mask,
                                        const float* mean, const float* variance, double* sums,
                                        float* dgamma, float* dbeta, int64_t rows, int64_t cols,
                                        float epsilon) {
  __shared__ double shared[32];
  for (int64_t c = blockIdx.x; c < cols; c += gridDim.x) {
    const double m = mean[c], rstd = rstd_of(variance, c, epsilon);
    double sd = 0, sdx = 0;
    for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
      const double d = masked(dy, mask, r * cols + c);
      sd += d;
      sdx += d * (x[r * cols + c] - m) * rstd;
    }
    sd = block_reduce(sd, shared, SumOp{});
    sdx = block_reduce(sdx, shared, SumOp{});
    if (threadIdx.x == 0) {
      sums[2 * c] = sd;
      sums[2 * c + 1] = sdx;
      if (dbeta) dbeta[c] = static_cast<float>(sd);
      if (dgamma) dgamma[c] = static_cast<float>(sdx);
    }
  }
}

// dx = gamma rstd / N (N dy - Σ dy - x̂ Σ dy x̂), element-wise.
__global__ void bn_backward_dx_kernel(const float* x, const float* dy, const float* mask,
                                      const float* gamma, const float* mean, const float* variance,
                                      const double* sums, float* dx, int64_t n, int64_t rows,
                                      int64_t cols, float epsilon) {
  const double count = static_cast<double>(rows);
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    const int64_t c = i % cols;
    const double rstd = rstd_of(variance, c, epsilon);
    const double xhat = (x[i] - static_cast<double>(mean[c])) * rstd;
    dx[i] =
        static_cast<float>(scale_at(gamma, c) * rstd / count *
                           (count * masked(dy, mask, i) - sums[2 * c] - xhat * sums[2 * c + 1]));
  }
}

// One block per row: the row's mean and variance, and y.
__global__ void ln_forward_kernel(const float* x, const float* gamma, const float* beta, float* y,
                                  float* mean, float* variance, int64_t rows, int64_t cols,
                                  float epsilon) {
  __shared__ double shared[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * cols;
    double s = 0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) s += xr[c];
    const double m = block_reduce(s, shared, SumOp{}) / static_cast<double>(cols);
    double q = 0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) q += (xr[c] - m) * (xr[c] - m);
    const double v = block_reduce(q, shared, SumOp{}) / static_cast<double>(cols);
    const double rstd = 1.0 / sqrt(v + static_cast<double>(epsilon));
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
      y[r * cols + c] =
          static_cast<float>(scale_at(gamma, c) * (xr[c] - m) * rstd + shift_at(beta, c));
    if (threadIdx.x == 0 && mean) mean[r] = static_cast<float>(m);
    if (threadIdx.x == 0 && variance) variance[r] = static_cast<float>(v);
  }
}

// One block per row: dx = rstd / C (C g - Σ g - x̂ Σ g x̂) with g = dy gamma.
__global__ void ln_backward_dx_kernel(const float* x, const float* dy, const float* gamma,
                                      const float* mean, const float* variance, float* dx,
                                      int64_t rows, int64_t cols, float epsilon) {
  __shared__ double shared[32];
  const double count = static_cast<double>(cols);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    const double m = mean[r], rstd = rstd_of(variance, r, epsilon);
    double sg = 0, sgx = 0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      const double g = static_cast<double>(dyr[c]) * scale_at(gamma, c);
      sg += g;
      sgx += g * (xr[c] - m) * rstd;
    }
    sg = block_reduce(sg, shared, SumOp{});
    sgx = block_reduce(sgx, shared, SumOp{});
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      const double g = static_cast<double>(dyr[c]) * scale_at(gamma, c);
      const double xhat = (xr[c] - m) * rstd;
      dx[r * cols + c] = static_cast<float>(rstd / count * (count * g - sg - xhat * sgx));
    }
  }
}

// One thread per channel: dgamma = Σ_rows dy x̂, dbeta = Σ_rows dy.
__global__ void ln_backward_params_kernel(const float* x, const float* dy, const float* mean,
                                          const float* variance, float* dgamma, float* dbeta,
                                          int64_t rows, int64_t cols, float epsilon) {
  for (int64_t c = global_index(); c < cols; c += global_stride()) {
    double sg = 0, sb = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const double d = dy[r * cols + c];
      sb += d;
      sg += d * (x[r * cols + c] - static_cast<double>(mean[r])) * rstd_of(variance, r, epsilon);
    }
    if (dgamma) dgamma[c] = static_cast<float>(sg);
    if (dbeta) dbeta[c] = static_cast<float>(sb);
  }
}

bool empty(const NormGeometry& g) {
  return g.rows <= 0 || g.channels <= 0;
}

}  // namespace

void CudaBackend::batch_norm_forward_training(const NormGeometry& g, const float* x,
                                              const float* gamma, const float* beta, float* y,
                                              float* mean, float* variance, float* workspace) {
  if (empty(g)) return;
  Operands ops(*this);
  const int64_t n = g.rows * g.channels;
  const float* d_x = ops.in(x, n);
  float* d_mean = ops.out(mean, g.channels);
  float* d_var = ops.out(variance, g.channels);
  bn_stats_kernel<<<row_grid(g.channels), kThreads, 0, stream_>>>(d_x, d_mean, d_var, g.rows,
                                                                  g.channels);
  check_launch("bn_stats_kernel");
  bn_apply_kernel<<<grid_for(n), kThreads, 0, stream_>>>(
      d_x, ops.in(gamma, g.channels), ops.in(beta, g.channels), d_mean, d_var, ops.out(y, n), n,
      g.channels, g.epsilon, g.relu, g.relu ? ops.out(workspace, n) : nullptr);
  check_launch("bn_apply_kernel");
  ops.finish();
}

void CudaBackend::batch_norm_forward_inference(const NormGeometry& g, const float* x,
                                               const float* gamma, const float* beta,
                                               const float* mean, const float* variance, float* y) {
  if (empty(g)) return;
  Operands ops(*this);
  const int64_t n = g.rows * g.channels;
  bn_apply_kernel<<<grid_for(n), kThreads, 0, stream_>>>(
      ops.in(x, n), ops.in(gamma, g.channels), ops.in(beta, g.channels), ops.in(mean, g.channels),
      ops.in(variance, g.channels), ops.out(y, n), n, g.channels, g.epsilon, g.relu, nullptr);
  check_launch("bn_apply_kernel");
  ops.finish();
}

void CudaBackend::batch_norm_backward(const NormGeometry& g, const float* x, const float* dy,
                                      const float* gamma, const float* mean, const float* variance,
                                      const float* workspace, float* dx, float* dgamma,
                                      float* dbeta) {
  if (empty(g)) return;
  Operands ops(*this);
  const int64_t n = g.rows * g.channels;
  const float* d_x = ops.in(x, n);
  const float* d_dy = ops.in(dy, n);
  const float* d_mask = g.relu ? ops.in(workspace, n) : nullptr;
  const float* d_mean = ops.in(mean, g.channels);
  const float* d_var = ops.in(variance, g.channels);
  auto* sums = static_cast<double*>(scratch(sizeof(double) * 2 * static_cast<size_t>(g.channels)));
  bn_backward_sums_kernel<<<row_grid(g.channels), kThreads, 0, stream_>>>(
      d_x, d_dy, d_mask, d_mean, d_var, sums, ops.out(dgamma, g.channels),
      ops.out(dbeta, g.channels), g.rows, g.channels, g.epsilon);
  check_launch("bn_backward_sums_kernel");
  if (dx) {
    bn_backward_dx_kernel<<<grid_for(n), kThreads, 0, stream_>>>(
        d_x, d_dy, d_mask, ops.in(gamma, g.channels), d_mean, d_var, sums, ops.out(dx, n), n,
        g.rows, g.channels, g.epsilon);
    check_launch("bn_backward_dx_kernel");
  }
  ops.finish();
}

void CudaBackend::layer_norm_forward(const NormGeometry& g, const float* x, const float* gamma,
                                     const float* beta, float* y, float* mean, float* variance) {
  if (empty(g)) return;
  Operands ops(*this);
  const int64_t n = g.rows * g.channels;
  ln_forward_kernel<<<row_grid(g.rows), row_threads(g.channels), 0, stream_>>>(
      ops.in(x, n), ops.in(gamma, g.channels), ops.in(beta, g.channels), ops.out(y, n),
      ops.out(mean, g.rows), ops.out(variance, g.rows), g.rows, g.channels, g.epsilon);
  check_launch("ln_forward_kernel");
  ops.finish();
}

void CudaBackend::layer_norm_backward(const NormGeometry& g, const float* x, const float* dy,
                                      const float* gamma, const float* mean, const float* variance,
                                      float* dx, float* dgamma, float* dbeta) {
  if (empty(g)) return;
  Operands ops(*this);
  const int64_t n = g.rows * g.channels;
  const float* d_x = ops.in(x, n);
  const float* d_dy = ops.in(dy, n);
  const float* d_mean = ops.in(mean, g.rows);
  const float* d_var = ops.in(variance, g.rows);
  if (dx) {
    ln_backward_dx_kernel<<<row_grid(g.rows), row_threads(g.channels), 0, stream_>>>(
        d_x, d_dy, ops.in(gamma, g.channels), d_mean, d_var, ops.out(dx, n), g.rows, g.channels,
        g.epsilon);
    check_launch("ln_backward_dx_kernel");
  }
  if (dgamma || dbeta) {
    ln_backward_params_kernel<<<grid_for(g.channels), kThreads, 0, stream_>>>(
        d_x, d_dy, d_mean, d_var, ops.out(dgamma, g.channels), ops.out(dbeta, g.channels), g.rows,
        g.channels, g.epsilon);
    check_launch("ln_backward_params_kernel");
  }
  ops.finish();
}

}  // namespace glia::cuda
