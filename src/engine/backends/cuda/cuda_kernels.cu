// The CUDA backend's element-wise and row-wise kernels: bias + activation (softmax one block per
// row), activation gradients, element-wise arithmetic, column copies, dropout masks, regularizer
// and clipping updates, and the optimizer updates. Formulas come from formulas.hpp.
#include "backends/cuda/cuda_internal.cuh"
#include "backends/formulas.hpp"
#include "backends/loss_formulas.hpp"
#include "backends/update_formulas.hpp"

namespace glia::cuda {

using namespace formulas;  // the shared element formulas

namespace {

// ---- column_sum: db[c] = sum_r dy[r, c] (+ beta db[c]) ----

// Block (32, ry): thread (x, y) sums rows y, y + ry, ... of column blockIdx.x * 32 + x in double;
// the ry partial sums are then added in order of y. The order depends only on the shape.
__global__ void column_sum_kernel(const float* dy, float* db, int64_t rows, int64_t cols,
                                  float beta) {
  __shared__ double partial[32][33];
  const int64_t c = static_cast<int64_t>(blockIdx.x) * 32 + threadIdx.x;
  double s = 0;
  if (c < cols)
    for (int64_t r = threadIdx.y; r < rows; r += blockDim.y) s += dy[r * cols + c];
  partial[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y != 0 || c >= cols) return;
  double total = partial[0][threadIdx.x];
  for (unsigned y = 1; y < blockDim.y; ++y) total += partial[y][threadIdx.x];
  db[c] = static_cast<float>(total) + (beta == 0.0f ? 0.0f : mul_rn(beta, db[c]));
}

// ---- activations ----

__global__ void bias_activation_kernel(const float* x, const float* bias, float* y, int64_t n,
                                       int64_t cols, ActivationSpec act) {
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    const float v = x[i] + (bias ? bias[i % cols] : 0.0f);
    y[i] = activate(act, v);
  }
}

// log_softmax and sparsemax, in place on rows already holding x + bias: one thread per row with
// the shared row formulas.
__global__ void row_activation_kernel(float* y, int64_t rows, int64_t cols, ActivationKind kind) {
  for (int64_t r = global_index(); r < rows; r += global_stride()) {
    float* yr = y + r * cols;
    if (kind == ActivationKind::log_softmax)
      log_softmax_row(yr, yr, cols);
    else
      sparsemax_row(yr, yr, cols);
  }
}

__global__ void row_activation_backward_kernel(const float* x, const float* y, const float* dy,
                                               float* dx, int64_t rows, int64_t cols,
                                               ActivationKind kind) {
  for (int64_t r = global_index(); r < rows; r += global_stride()) {
    const int64_t o = r * cols;
    if (kind == ActivationKind::log_softmax)
      log_softmax_row_grad(y + o, dy + o, dx + o, cols);
    else
      sparsemax_row_grad(x + o, dy + o, dx + o, cols);
  }
}

// Row-wise softmax of x + bias, one block per row: y = exp(v - max) / sum, the sum in double.
__global__ void softmax_kernel(const float* x, const float* bias, float* y, int64_t rows,
                               int64_t cols) {
  __shared__ double shared_d[32];
  __shared__ float shared_f[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float mx = -INFINITY;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      const float v = xr[c] + (bias ? bias[c] : 0.0f);
      yr[c] = v;
      mx = fmaxf(mx, v);
    }
    mx = block_reduce(mx, shared_f, MaxOp{});
    double sum = 0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
      const float e = expf(yr[c] - mx);
      yr[c] = e;
      sum += e;
    }
    sum = block_reduce(sum, shared_d, SumOp{});
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
      yr[c] = static_cast<float>(yr[c] / sum);
  }
}

__global__ void activation_backward_kernel(const float* x, const float* y, const float* dy,
                                           float* dx, int64_t n, ActivationSpec act) {
  for (int64_t i = global_index(); i < n; i += global_stride())
    dx[i] = activation_grad(act, x ? x[i] : 0.0f, y[i], dy[i]);
}

// Softmax Jacobian-vector product per row: dx = y (dy - <dy, y>), in double. dx may alias dy:
// every thread reads its own elements again after the reduction's barrier, then writes them.
__global__ void softmax_backward_kernel(const float* y, const float* dy, float* dx, int64_t rows,
                                        int64_t cols) {
  __shared__ double shared[32];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    double dot = 0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
      dot += static_cast<double>(dyr[c]) * yr[c];
    dot = block_reduce(dot, shared, SumOp{});
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
      dxr[c] = static_cast<float>(yr[c] * (dyr[c] - dot));
  }
}

// ---- element-wise ----

__global__ void add_kernel(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = global_index(); i < n; i += global_stride()) out[i] = a[i] + b[i];
}

__global__ void mul_kernel(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = global_index(); i < n; i += global_stride()) out[i] = a[i] * b[i];
}

__global__ void axpy_kernel(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = global_index(); i < n; i += global_stride()) y[i] += mul_rn(alpha, x[i]);
}

// dst[r, dst_offset + c] = src[r, src_offset + c] for c < width.
__global__ void copy_block_kernel(const float* src, int64_t src_ld, int64_t src_offset, float* dst,
                                  int64_t dst_ld, int64_t dst_offset, int64_t rows, int64_t width) {
  for (int64_t i = global_index(); i < rows * width; i += global_stride()) {
    const int64_t r = i / width, c = i % width;
    dst[r * dst_ld + dst_offset + c] = src[r * src_ld + src_offset + c];
  }
}

__global__ void dropout_kernel(uint64_t seed, uint64_t offset, float rate, float keep, float* scale,
                               int64_t n) {
  for (int64_t i = global_index(); i < n; i += global_stride())
    scale[i] = hash_uniform(seed, offset + static_cast<uint64_t>(i)) < rate ? 0.0f : keep;
}

__global__ void l1l2_kernel(const float* w, float* g, int64_t n, float l1, float l2) {
  for (int64_t i = global_index(); i < n; i += global_stride())
    g[i] = l1l2_element(w[i], g[i], l1, l2);
}

__global__ void scale_clip_kernel(float* x, int64_t n, float scale, float lo, float hi) {
  for (int64_t i = global_index(); i < n; i += global_stride())
    x[i] = clamp_to(x[i] * scale, lo, hi);
}

// ---- optimizers ----

__global__ void rmsprop_kernel(float* w, const float* g, float* rms, float* mom, float* avg,
                               int64_t n, float lr, float rho, float momentum, float eps) {
  for (int64_t i = global_index(); i < n; i += global_stride())
    rmsprop_element(w[i], g[i], rms[i], mom ? mom + i : nullptr, avg ? avg + i : nullptr, lr, rho,
                    momentum, eps);
}

__global__ void adam_kernel(float* w, const float* g, float* m, float* v, float* vhat, int64_t n,
                            float alpha, float beta1, float beta2, float eps) {
  for (int64_t i = global_index(); i < n; i += global_stride())
    adam_element(w[i], g[i], m[i], v[i], vhat ? vhat + i : nullptr, alpha, beta1, beta2, eps);
}

__global__ void sgd_kernel(float* w, const float* g, float* mom, int64_t n, float lr,
                           float momentum, bool nesterov) {
  for (int64_t i = global_index(); i < n; i += global_stride())
    sgd_element(w[i], g[i], mom ? mom + i : nullptr, lr, momentum, nesterov);
}

}  // namespace

void CudaBackend::column_sum(const float* dy, float* db, int64_t rows, int64_t cols, float beta) {
  if (cols <= 0) return;
  Operands ops(*this);
  const float* d_dy = ops.in(dy, rows * cols);
  float* d_db = ops.out(db, cols);
  const dim3 block(32, rows >= 256 ? 32 : 8);
  const auto blocks = static_cast<unsigned>((cols + 31) / 32);
  column_sum_kernel<<<blocks, block, 0, stream_>>>(d_dy, d_db, rows < 0 ? 0 : rows, cols, beta);
  check_launch("column_sum_kernel");
  ops.finish();
}

void CudaBackend::bias_activation(const float* x, const float* bias, float* y, int64_t rows,
                                  int64_t cols, ActivationSpec act) {
  const int64_t n = rows * cols;
  if (n <= 0) return;
  Operands ops(*this);
  const float* dx = ops.in(x, n);
  const float* dbias = ops.in(bias, cols);
  float* dy = ops.out(y, n);  // staging maps an aliased x and y to one buffer
  if (act.kind == ActivationKind::softmax) {
    softmax_kernel<<<row_grid(rows), row_threads(cols), 0, stream_>>>(dx, dbias, dy, rows, cols);
    check_launch("softmax_kernel");
  } else {
    bias_activation_kernel<<<grid_for(n), kThreads, 0, stream_>>>(dx, dbias, dy, n, cols, act);
    check_launch("bias_activation_kernel");
    if (act.row_wise()) {
      row_activation_kernel<<<grid_for(rows), kThreads, 0, stream_>>>(dy, rows, cols, act.kind);
      check_launch("row_activation_kernel");
    }
  }
  ops.finish();
}

void CudaBackend::activation_backward(const float* x, const float* y, const float* dy, float* dx,
                                      int64_t rows, int64_t cols, ActivationSpec act) {
  const int64_t n = rows * cols;
  if (n <= 0) return;
  Operands ops(*this);
  const bool needs_x = !act.backward_from_output();
  const float* d_x = needs_x ? ops.in(x, n) : nullptr;
  const float* d_y = ops.in(y, n);
  const float* d_dy = ops.in(dy, n);
  float* d_dx = ops.out(dx, n);
  if (act.kind == ActivationKind::softmax) {
    softmax_backward_kernel<<<row_grid(rows), row_threads(cols), 0, stream_>>>(d_y, d_dy, d_dx,
                                                                               rows, cols);
    check_launch("softmax_backward_kernel");
  } else if (act.row_wise()) {
    row_activation_backward_kernel<<<grid_for(rows), kThreads, 0, stream_>>>(d_x, d_y, d_dy, d_dx,
                                                                             rows, cols, act.kind);
    check_launch("row_activation_backward_kernel");
  } else {
    activation_backward_kernel<<<grid_for(n), kThreads, 0, stream_>>>(d_x, d_y, d_dy, d_dx, n, act);
    check_launch("activation_backward_kernel");
  }
  ops.finish();
}

void CudaBackend::add(const float* a, const float* b, float* out, int64_t n) {
  if (n <= 0) return;
  Operands ops(*this);
  const float* da = ops.in(a, n);
  const float* db = ops.in(b, n);
  float* dout = ops.out(out, n);
  add_kernel<<<grid_for(n), kThreads, 0, stream_>>>(da, db, dout, n);
  check_launch("add_kernel");
  ops.finish();
}

void CudaBackend::mul(const float* a, const float* b, float* out, int64_t n) {
  if (n <= 0) return;
  Operands ops(*this);
  const float* da = ops.in(a, n);
  const float* db = ops.in(b, n);
  float* dout = ops.out(out, n);
  mul_kernel<<<grid_for(n), kThreads, 0, stream_>>>(da, db, dout, n);
  check_launch("mul_kernel");
  ops.finish();
}

void CudaBackend::axpy(float alpha, const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  Operands ops(*this);
  const float* dx = ops.in(x, n);
  float* dy = ops.out(y, n);
  axpy_kernel<<<grid_for(n), kThreads, 0, stream_>>>(alpha, dx, dy, n);
  check_launch("axpy_kernel");
  ops.finish();
}

void CudaBackend::copy_columns(const float* src, int64_t rows, int64_t src_cols, float* dst,
                               int64_t dst_cols, int64_t col_offset) {
  if (rows <= 0 || src_cols <= 0) return;
  Operands ops(*this);
  const float* dsrc = ops.in(src, rows * src_cols);
  float* ddst = ops.out(dst, rows * dst_cols);
  copy_block_kernel<<<grid_for(rows * src_cols), kThreads, 0, stream_>>>(
      dsrc, src_cols, 0, ddst, dst_cols, col_offset, rows, src_cols);
  check_launch("copy_block_kernel");
  ops.finish();
}

void CudaBackend::slice_columns(const float* src, int64_t rows, int64_t src_cols,
                                int64_t col_offset, float* dst, int64_t dst_cols) {
  if (rows <= 0 || dst_cols <= 0) return;
  Operands ops(*this);
  const float* dsrc = ops.in(src, rows * src_cols);
  float* ddst = ops.out(dst, rows * dst_cols);
  copy_block_kernel<<<grid_for(rows * dst_cols), kThreads, 0, stream_>>>(
      dsrc, src_cols, col_offset, ddst, dst_cols, 0, rows, dst_cols);
  check_launch("copy_block_kernel");
  ops.finish();
}

void CudaBackend::dropout_mask(uint64_t seed, uint64_t offset, float rate, float* scale,
                               int64_t n) {
  if (n <= 0) return;
  Operands ops(*this);
  float* dscale = ops.out(scale, n);
  const float keep = 1.0f / (1.0f - rate);
  dropout_kernel<<<grid_for(n), kThreads, 0, stream_>>>(seed, offset, rate, keep, dscale, n);
  check_launch("dropout_kernel");
  ops.finish();
}

void CudaBackend::l1l2_grad(const float* w, float* g, int64_t n, float l1, float l2) {
  if (n <= 0) return;
  Operands ops(*this);
  const float* dw = ops.in(w, n);
  float* dg = ops.out(g, n);
  l1l2_kernel<<<grid_for(n), kThreads, 0, stream_>>>(dw, dg, n, l1, l2);
  check_launch("l1l2_kernel");
  ops.finish();
}

void CudaBackend::scale_clip(float* x, int64_t n, float scale, float lo, float hi) {
  if (n <= 0) return;
  Operands ops(*this);
  float* dx = ops.out(x, n);
  scale_clip_kernel<<<grid_for(n), kThreads, 0, stream_>>>(dx, n, scale, lo, hi);
  check_launch("scale_clip_kernel");
  ops.finish();
}

void CudaBackend::rmsprop_update(float* w, const float* g, float* rms, float* mom, float* avg,
                                 int64_t n, float lr, float rho, float momentum, float eps) {
  if (n <= 0) return;
  Operands ops(*this);
  float* dw = ops.out(w, n);
  const float* dg = ops.in(g, n);
  float* drms = ops.out(rms, n);
  float* dmom = ops.out(mom, n);
  float* davg = ops.out(avg, n);
  rmsprop_kernel<<<grid_for(n), kThreads, 0, stream_>>>(dw, dg, drms, dmom, davg, n, lr, rho,
                                                        momentum, eps);
  check_launch("rmsprop_kernel");
  ops.finish();
}

void CudaBackend::adam_update(float* w, const float* g, float* m, float* v, float* vhat, int64_t n,
                              float alpha, float beta1, float beta2, float eps) {
  if (n <= 0) return;
  Operands ops(*this);
  float* dw = ops.out(w, n);
  const float* dg = ops.in(g, n);
  float* dm = ops.out(m, n);
  float* dv = ops.out(v, n);
  float* dvhat = ops.out(vhat, n);
  adam_kernel<<<grid_for(n), kThreads, 0, stream_>>>(dw, dg, dm, dv, dvhat, n, alpha, beta1, beta2,
                                                     eps);
  check_launch("adam_kernel");
  ops.finish();
}

void CudaBackend::sgd_update(float* w, const float* g, float* mom, int64_t n, float lr,
                             float momentum, bool nesterov) {
  if (n <= 0) return;
  Operands ops(*this);
  float* dw = ops.out(w, n);
  const float* dg = ops.in(g, n);
  float* dmom = ops.out(mom, n);
  sgd_kernel<<<grid_for(n), kThreads, 0, stream_>>>(dw, dg, dmom, n, lr, momentum, nesterov);
  check_launch("sgd_kernel");
  ops.finish();
}

}  // namespace glia::cuda
