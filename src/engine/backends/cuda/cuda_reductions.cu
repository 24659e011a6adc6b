// The CUDA backend's reductions and losses. Sums are deterministic: per-block partial sums in
// double over a grid that depends only on the element count, then one block adds the partials in
// a fixed order. Losses run one thread per sample (row) with the formulas of loss_rows.cpp.
#include <algorithm>

#include "backends/cuda/cuda_internal.cuh"
#include "backends/formulas.hpp"
#include "backends/loss_formulas.hpp"
#include "backends/update_formulas.hpp"

namespace glia::cuda {

using namespace formulas;  // the shared element formulas

namespace {

constexpr int64_t kPerThread = 8;  // elements per thread before the grid grows
constexpr int64_t kMaxBlocks = 1024;

int64_t reduction_blocks(int64_t n) {
  return std::clamp<int64_t>((n + kThreads * kPerThread - 1) / (kThreads * kPerThread), 1,
                             kMaxBlocks);
}

template <bool kSquares>
__global__ void partial_sums_kernel(const float* x, int64_t n, double* partial) {
  __shared__ double shared[32];
  double s = 0;
  for (int64_t i = global_index(); i < n; i += global_stride()) {
    const double v = x[i];
    s += kSquares ? v * v : fabs(v);
  }
  s = block_reduce(s, shared, SumOp{});
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

__global__ void loss_rows_kernel(LossKind kind, const float* y_true, const float* y_pred,
                                 int64_t rows, int64_t cols, LossParams p, double* out,
                                 DeviceError* error) {
  const int64_t tcols = kind == LossKind::sparse_categorical_crossentropy ? 1 : cols;
  for (int64_t r = global_index(); r < rows; r += global_stride()) {
    int64_t bad = 0;
    if (!sparse_label_ok(kind, y_true + r * tcols, cols, &bad)) {
      atomicMin(&error->first_bad_row, static_cast<unsigned long long>(r));
      out[r] = 0.0;
      continue;
    }
    out[r] = row_loss(kind, y_true + r * tcols, y_pred + r * cols, cols, p, &bad);
  }
}

__global__ void loss_grad_kernel(LossKind kind, const float* y_true, const float* y_pred,
                                 float* grad, int64_t rows, int64_t cols, LossParams p, float scale,
                                 DeviceError* error) {
  const int64_t tcols = kind == LossKind::sparse_categorical_crossentropy ? 1 : cols;
  for (int64_t r = global_index(); r < rows; r += global_stride()) {
    int64_t bad = 0;
    if (!sparse_label_ok(kind, y_true + r * tcols, cols, &bad)) {
      atomicMin(&error->first_bad_row, static_cast<unsigned long long>(r));
      continue;
    }
    row_grad(kind, y_true + r * tcols, y_pred + r * cols, grad + r * cols, cols, p, scale, &bad);
  }
}

// One thread per row: rows are few (a batch) and each is a short loop.
constexpr int kRowThreads = 64;
unsigned row_thread_blocks(int64_t rows) {
  return static_cast<unsigned>(std::min<int64_t>((rows + kRowThreads - 1) / kRowThreads, 65535));
}

}  // namespace

double CudaBackend::sum_squares(const float* x, int64_t n) {
  if (n <= 0) return 0.0;
  Operands ops(*this);
  const float* dx = ops.in(x, n);
  const int64_t blocks = reduction_blocks(n);
  auto* partial = static_cast<double*>(scratch(static_cast<size_t>(blocks) * sizeof(double)));
  partial_sums_kernel<true>
      <<<static_cast<unsigned>(blocks), kThreads, 0, stream_>>>(dx, n, partial);
  check_launch("partial_sums_kernel");
  const double s = reduce_doubles(partial, blocks);
  ops.finish();
  return s;
}

double CudaBackend::sum_abs(const float* x, int64_t n) {
  if (n <= 0) return 0.0;
  Operands ops(*this);
  const float* dx = ops.in(x, n);
  const int64_t blocks = reduction_blocks(n);
  auto* partial = static_cast<double*>(scratch(static_cast<size_t>(blocks) * sizeof(double)));
  partial_sums_kernel<false>
      <<<static_cast<unsigned>(blocks), kThreads, 0, stream_>>>(dx, n, partial);
  check_launch("partial_sums_kernel");
  const double s = reduce_doubles(partial, blocks);
  ops.finish();
  return s;
}

double CudaBackend::loss_sum(LossKind kind, const float* y_true, const float* y_pred, int64_t rows,
                             int64_t cols, const LossParams& p) {
  if (rows <= 0) return 0.0;
  const int64_t tcols = kind == LossKind::sparse_categorical_crossentropy ? 1 : cols;
  Operands ops(*this);
  const float* dt = ops.in(y_true, rows * tcols);
  const float* dp = ops.in(y_pred, rows * cols);
  auto* per_row = static_cast<double*>(scratch(static_cast<size_t>(rows) * sizeof(double)));
  const bool sparse = kind == LossKind::sparse_categorical_crossentropy;
  if (sparse) clear_error();
  loss_rows_kernel<<<row_thread_blocks(rows), kRowThreads, 0, stream_>>>(kind, dt, dp, rows, cols,
                                                                         p, per_row, dev_error_);
  check_launch("loss_rows_kernel");
  if (sparse) fetch_error();
  const double s = reduce_doubles(per_row, rows);  // synchronizes
  if (sparse) raise_error(dt, cols);
  ops.finish();
  return s;
}

void CudaBackend::loss_grad(LossKind kind, const float* y_true, const float* y_pred, float* grad,
                            int64_t rows, int64_t cols, const LossParams& p, float scale) {
  if (rows <= 0) return;
  const bool sparse = kind == LossKind::sparse_categorical_crossentropy;
  Operands ops(*this);
  const float* dt = ops.in(y_true, rows * (sparse ? 1 : cols));
  const float* dp = ops.in(y_pred, rows * cols);
  float* dg = ops.out(grad, rows * cols);
  if (sparse) clear_error();
  loss_grad_kernel<<<row_thread_blocks(rows), kRowThreads, 0, stream_>>>(
      kind, dt, dp, dg, rows, cols, p, scale, dev_error_);
  check_launch("loss_grad_kernel");
  if (sparse) {
    // Only sparse labels can be invalid; checking them costs one wait per step.
    fetch_error();
    synchronize();
    raise_error(dt, cols);
  }
  ops.finish();
}

}  // namespace glia::cuda
