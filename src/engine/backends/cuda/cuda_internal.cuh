// Internals of the CUDA backend shared by its .cu files: the backend class, error checks, launch
// geometry and deterministic block reductions.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>
#include <vector>

#include "glia/backend.hpp"

namespace glia::cuda {

/// Throws glia::Error("CUDA error in <what>: <cudaGetErrorString>") unless e is cudaSuccess.
void check(cudaError_t e, const char* what);
/// The same for cuBLAS statuses.
void check_blas(cublasStatus_t s, const char* what);
/// Checks that the kernel launched just before could start (bad configuration, no device code for
/// this GPU, an earlier asynchronous fault); with GLIA_CUDA_SYNC set, also waits for it.
void check_launch(const char* kernel);

constexpr int kThreads = 256;

/// Blocks for an element-wise grid-stride loop over n elements.
inline unsigned grid_for(int64_t n) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 4096 ? (blocks < 1 ? 1 : blocks) : 4096);
}

/// Threads per block for the one-block-per-row kernels: a function of the row length only, so
/// reduction orders (and results) do not depend on anything else.
inline unsigned row_threads(int64_t cols) {
  return cols <= 64 ? 32u : (cols <= 512 ? 128u : 256u);
}

/// Blocks for the one-block-per-row kernels (each block loops over rows blockIdx.x + k*gridDim.x).
inline unsigned row_grid(int64_t rows) {
  return static_cast<unsigned>(rows < 65535 ? (rows < 1 ? 1 : rows) : 65535);
}

#if defined(__CUDACC__)
/// Grid-stride loop index helpers (64-bit).
__device__ __forceinline__ int64_t global_index() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t global_stride() {
  return static_cast<int64_t>(gridDim.x) * blockDim.x;
}

/// Sum over the block (blockDim.x a multiple of 32, at most 1024), in a fixed order; every thread
/// gets the result. `shared` holds at least 32 values. Ends with the block synchronised, so
/// `shared` may be reused right after.
template <class T, class Op>
__device__ T block_reduce(T v, T* shared, Op op) {
  for (int offset = 16; offset > 0; offset >>= 1)
    v = op(v, __shfl_xor_sync(0xffffffffu, v, offset));
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  T r = shared[0];
  for (int w = 1; w < warps; ++w) r = op(r, shared[w]);
  __syncthreads();
  return r;
}

struct SumOp {
  template <class T>
  __device__ T operator()(T a, T b) const {
    return a + b;
  }
};
struct MaxOp {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
#endif

/// What went wrong in a loss kernel: the first row whose sparse label is outside [0, cols), or
/// kNoError.
struct DeviceError {
  unsigned long long first_bad_row;
};
constexpr unsigned long long kNoError = ~0ull;

class CudaBackend final : public Backend {
 public:
  CudaBackend();
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override { return "cuda"; }
  void synchronize() override;

  void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
            const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
            int64_t ldc) override;
  void column_sum(const float* dy, float* db, int64_t rows, int64_t cols, float beta) override;
  void bias_activation(const float* x, const float* bias, float* y, int64_t rows, int64_t cols,
                       ActivationSpec act) override;
  void activation_backward(const float* x, const float* y, const float* dy, float* dx, int64_t rows,
                           int64_t cols, ActivationSpec act) override;
  void add(const float* a, const float* b, float* out, int64_t n) override;
  void mul(const float* a, const float* b, float* out, int64_t n) override;
  void axpy(float alpha, const float* x, float* y, int64_t n) override;
  void copy_columns(const float* src, int64_t rows, int64_t src_cols, float* dst, int64_t dst_cols,
                    int64_t col_offset) override;
  void slice_columns(const float* src, int64_t rows, int64_t src_cols, int64_t col_offset,
                     float* dst, int64_t dst_cols) override;
  void dropout_mask(uint64_t seed, uint64_t offset, float rate, float* scale, int64_t n) override;
  double sum_squares(const float* x, int64_t n) override;
  double sum_abs(const float* x, int64_t n) override;
  void l1l2_grad(const float* w, float* g, int64_t n, float l1, float l2) override;
  void scale_clip(float* x, int64_t n, float scale, float lo, float hi) override;
  double loss_sum(LossKind kind, const float* y_true, const float* y_pred, int64_t rows,
                  int64_t cols, const LossParams& p) override;
  void loss_grad(LossKind kind, const float* y_true, const float* y_pred, float* grad, int64_t rows,
                 int64_t cols, const LossParams& p, float scale) override;
  void rmsprop_update(float* w, const float* g, float* rms, float* mom, float* avg, int64_t n,
                      float lr, float rho, float momentum, float eps) override;
  void adam_update(float* w, const float* g, float* m, float* v, float* vhat, int64_t n,
                   float alpha, float beta1, float beta2, float eps) override;
  void sgd_update(float* w, const float* g, float* mom, int64_t n, float lr, float momentum,
                  bool nesterov) override;
  // ---- conv (issue 16) ----
  void conv2d_forward(const ConvGeometry& g, const float* x, const float* kernel, const float* bias,
                      float* y) override;
  void conv2d_backward_data(const ConvGeometry& g, const float* dy, const float* kernel,
                            float* dx) override;
  void conv2d_backward_weights(const ConvGeometry& g, const float* x, const float* dy,
                               float* dkernel, float* dbias) override;

  // ---- pool (issue 16) ----
  void pool_forward(const PoolGeometry& g, const float* x, float* y, float* workspace) override;
  void pool_backward(const PoolGeometry& g, const float* workspace, const float* dy,
                     float* dx) override;

  // ---- norm (issue 16) ----
  void batch_norm_forward_training(const NormGeometry& g, const float* x, const float* gamma,
                                   const float* beta, float* y, float* mean, float* variance,
                                   float* workspace) override;
  bool batch_norm_fuses_relu(const NormGeometry&) override { return true; }
  void batch_norm_forward_inference(const NormGeometry& g, const float* x, const float* gamma,
                                    const float* beta, const float* mean, const float* variance,
                                    float* y) override;
  void batch_norm_backward(const NormGeometry& g, const float* x, const float* dy,
                           const float* gamma, const float* mean, const float* variance,
                           const float* workspace, float* dx, float* dgamma, float* dbeta) override;
  void layer_norm_forward(const NormGeometry& g, const float* x, const float* gamma,
                          const float* beta, float* y, float* mean, float* variance) override;
  void layer_norm_backward(const NormGeometry& g, const float* x, const float* dy,
                           const float* gamma, const float* mean, const float* variance, float* dx,
                           float* dgamma, float* dbeta) override;

  // ---- shape (issue 16) ----
  void pad2d(const PadGeometry& g, const float* x, float* y) override;
  void pad2d_backward(const PadGeometry& g, const float* dy, float* dx) override;
  void affine(const float* x, float* y, int64_t n, float scale, float offset) override;
  // ---- mixed precision (issue 16) ----
  void round_bf16(const float* x, float* y, int64_t n) override;

  cudaStream_t stream() const { return stream_; }

 private:
  friend class Operands;

  /// Device scratch of at least `bytes` (grown on demand; contents are not kept).
  void* scratch(size_t bytes);
  /// Sums `n` doubles at dev (device memory) in a fixed order and returns the total (synchronizes).
  double reduce_doubles(const double* dev, int64_t n);
  /// Resets the device error record (before a loss kernel) and fetches it (after).
  void clear_error();
  void fetch_error();
  /// After fetch_error() and a synchronize: throws for a recorded bad label (y_true is the
  /// device address the kernel read).
  void raise_error(const float* y_true, int64_t cols);

  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  void* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
  // Mapped pinned memory: reductions write their result there, the host reads it after a
  // synchronize (no copy call).
  double* host_result_ = nullptr;
  double* dev_result_ = nullptr;
  DeviceError* dev_error_ = nullptr;   // device memory (atomics)
  DeviceError* host_error_ = nullptr;  // pinned copy
};

/// The operands of one backend call. Pointers the device can address (managed, device or pinned
/// memory) pass through; plain host memory (std::vector, aligned_alloc: tensors allocated before
/// the CUDA allocator was installed) is copied to temporary device buffers, and outputs are copied
/// back by finish(), which then waits for the stream. Every output is also copied in, so partial
/// writes (copy_columns, gemm's padding) keep the rest of the buffer.
class Operands {
 public:
  explicit Operands(CudaBackend& backend) : backend_(backend) {}
  ~Operands();
  Operands(const Operands&) = delete;
  Operands& operator=(const Operands&) = delete;

  /// A device address for n floats read at p (null stays null).
  const float* in(const float* p, int64_t n) { return stage(const_cast<float*>(p), n, false); }
  /// A device address for n floats read and written at p (null stays null).
  float* out(float* p, int64_t n) { return stage(p, n, true); }
  /// Copies staged outputs back and waits for them; a no-op when nothing was staged.
  void finish();

 private:
  struct Staged {
    float* host;
    float* dev;
    int64_t n;
    bool writeback;
    bool live;
  };
  float* stage(float* p, int64_t n, bool writeback);

  CudaBackend& backend_;
  std::vector<Staged> staged_;
};

/// Number of elements spanned by a row-major rows×cols block with leading dimension ld.
inline int64_t extent(int64_t rows, int64_t cols, int64_t ld) {
  return rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols;
}

}  // namespace glia::cuda
