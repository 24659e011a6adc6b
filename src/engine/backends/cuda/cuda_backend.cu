// The CUDA backend: device discovery, the managed-memory tensor allocator, the backend's stream,
// cuBLAS handle and scratch memory, operand staging, and gemm. Element-wise and row kernels are in
// cuda_kernels.cu, reductions and losses in cuda_reductions.cu.
#include <cstdlib>
#include <cstring>
#include <string>

#include "backends/cuda/cuda_backend.hpp"
#include "backends/cuda/cuda_internal.cuh"
#include "backends/formulas.hpp"
#include "backends/loss_formulas.hpp"
#include "backends/update_formulas.hpp"
#include "glia/error.hpp"

namespace glia {

namespace cuda {

using namespace formulas;  // the shared element formulas

void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clears a non-sticky error so later calls start clean
  throw Error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e) + " (" +
              cudaGetErrorName(e) + ")");
}

void check_blas(cublasStatus_t s, const char* what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  throw Error(std::string("cuBLAS error in ") + what + ": " + cublasGetStatusString(s) + " (" +
              cublasGetStatusName(s) + ")");
}

void check_launch(const char* kernel) {
  check(cudaGetLastError(), kernel);
  // GLIA_CUDA_SYNC=1 waits after every kernel, so an asynchronous fault names its kernel.
  static const bool sync_each = std::getenv("GLIA_CUDA_SYNC") != nullptr;
  if (sync_each) check(cudaDeviceSynchronize(), kernel);
}

namespace {

// C = beta * C over an m×n block (gemm with k = 0: BLAS scales C, and does not read it if beta
// is 0).
__global__ void scale_matrix_kernel(float* c, int64_t m, int64_t n, int64_t ldc, float beta) {
  for (int64_t i = global_index(); i < m * n; i += global_stride()) {
    float& v = c[(i / n) * ldc + i % n];
    v = beta == 0.0f ? 0.0f : 0.0f + beta * v;
  }
}

__global__ void sum_doubles_kernel(const double* x, int64_t n, double* result) {
  __shared__ double shared[32];
  double s = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += x[i];
  s = block_reduce(s, shared, SumOp{});
  if (threadIdx.x == 0) *result = s;
}

}  // namespace

// ---- Operands ----

Operands::~Operands() {
  for (const Staged& s : staged_) cudaFree(s.dev);  // after an exception: nothing to report
}

float* Operands::stage(float* p, int64_t n, bool writeback) {
  if (p == nullptr || n <= 0) return p;
  cudaPointerAttributes attr{};
  const cudaError_t e = cudaPointerGetAttributes(&attr, p);
  if (e != cudaSuccess) {
    cudaGetLastError();  // older runtimes report plain host memory as an invalid value
    attr.type = cudaMemoryTypeUnregistered;
  }
  if (attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged) return p;
  if (attr.type == cudaMemoryTypeHost)
    return attr.devicePointer ? static_cast<float*>(attr.devicePointer) : p;
  // Plain host memory: one device copy per host address (aliased operands share it). A later,
  // longer use of the same address gets a new copy, which alone is copied back.
  for (Staged& s : staged_) {
    if (s.host != p || !s.live) continue;
    if (n <= s.n) {
      s.writeback = s.writeback || writeback;
      return s.dev;
    }
    writeback = writeback || s.writeback;
    s.live = s.writeback = false;
  }
  Staged s{p, nullptr, n, writeback, true};
  check(cudaMalloc(&s.dev, static_cast<size_t>(n) * sizeof(float)), "cudaMalloc (staging)");
  staged_.push_back(s);
  check(cudaMemcpyAsync(s.dev, p, static_cast<size_t>(n) * sizeof(float), cudaMemcpyHostToDevice,
                        backend_.stream_),
        "cudaMemcpyAsync (staging in)");
  return s.dev;
}

void Operands::finish() {
  if (staged_.empty()) return;
  for (const Staged& s : staged_)
    if (s.writeback)
      check(cudaMemcpyAsync(s.host, s.dev, static_cast<size_t>(s.n) * sizeof(float),
                            cudaMemcpyDeviceToHost, backend_.stream_),
            "cudaMemcpyAsync (staging out)");
  check(cudaStreamSynchronize(backend_.stream_), "cudaStreamSynchronize");
  for (Staged& s : staged_) {
    cudaFree(s.dev);
    s.dev = nullptr;
  }
  staged_.clear();
}

// ---- CudaBackend ----

CudaBackend::CudaBackend() {
  check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
  check_blas(cublasCreate(&blas_), "cublasCreate");
  check_blas(cublasSetStream(blas_, stream_), "cublasSetStream");
  // Full fp32 (no TF32): results track the CPU backends.
  check_blas(cublasSetMathMode(blas_, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  check(cudaHostAlloc(reinterpret_cast<void**>(&host_result_), sizeof(double), cudaHostAllocMapped),
        "cudaHostAlloc");
  check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&dev_result_), host_result_, 0),
        "cudaHostGetDevicePointer");
  check(cudaMallocHost(reinterpret_cast<void**>(&host_error_), sizeof(DeviceError)),
        "cudaMallocHost");
  check(cudaMalloc(reinterpret_cast<void**>(&dev_error_), sizeof(DeviceError)), "cudaMalloc");
}

CudaBackend::~CudaBackend() {
  // At process exit the CUDA runtime may already be shut down: then leave everything to it.
  if (cudaStreamQuery(stream_) == cudaErrorCudartUnloading) return;
  cudaStreamSynchronize(stream_);
  if (blas_) cublasDestroy(blas_);
  if (scratch_) cudaFree(scratch_);
  if (host_result_) cudaFreeHost(host_result_);
  if (host_error_) cudaFreeHost(host_error_);
  if (dev_error_) cudaFree(dev_error_);
  if (stream_) cudaStreamDestroy(stream_);
  cudaGetLastError();
}

void CudaBackend::synchronize() {
  check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
}

void* CudaBackend::scratch(size_t bytes) {
  if (bytes <= scratch_bytes_) return scratch_;
  synchronize();  // the old buffer may still be in use
  if (scratch_) check(cudaFree(scratch_), "cudaFree (scratch)");
  scratch_ = nullptr;
  scratch_bytes_ = 0;
  const size_t grown = bytes < 65536 ? 65536 : bytes + bytes / 2;
  check(cudaMalloc(&scratch_, grown), "cudaMalloc (scratch)");
  scratch_bytes_ = grown;
  return scratch_;
}

double CudaBackend::reduce_doubles(const double* dev, int64_t n) {
  sum_doubles_kernel<<<1, kThreads, 0, stream_>>>(dev, n, dev_result_);
  check_launch("sum_doubles_kernel");
  synchronize();
  return *static_cast<volatile double*>(host_result_);
}

void CudaBackend::clear_error() {
  check(cudaMemsetAsync(dev_error_, 0xFF, sizeof(DeviceError), stream_), "cudaMemsetAsync");
}

void CudaBackend::fetch_error() {
  check(cudaMemcpyAsync(host_error_, dev_error_, sizeof(DeviceError), cudaMemcpyDeviceToHost,
                        stream_),
        "cudaMemcpyAsync");
}

void CudaBackend::raise_error(const float* y_true, int64_t cols) {
  const unsigned long long row = host_error_->first_bad_row;
  if (row == kNoError) return;
  float v = 0.0f;
  check(cudaMemcpy(&v, y_true + row, sizeof(float), cudaMemcpyDefault), "cudaMemcpy");
  int64_t label = -1;
  sparse_label_ok(LossKind::sparse_categorical_crossentropy, &v, cols, &label);
  throw Error("sparse label " + std::to_string(label) + " is outside [0, " + std::to_string(cols) +
              ")");
}

void CudaBackend::gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                       const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                       float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  Operands ops(*this);
  float* dc = ops.out(c, extent(m, n, ldc));
  if (k <= 0) {
    scale_matrix_kernel<<<grid_for(m * n), kThreads, 0, stream_>>>(dc, m, n, ldc, beta);
    check_launch("scale_matrix_kernel");
    ops.finish();
    return;
  }
  const float* da = ops.in(a, ta ? extent(k, m, lda) : extent(m, k, lda));
  const float* db = ops.in(b, tb ? extent(n, k, ldb) : extent(k, n, ldb));
  // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, and a row-major matrix is its
  // transpose in column-major order with the same leading dimension.
  const cublasStatus_t status =
      cublasSgemm_64(blas_, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k,
                     &alpha, db, ldb, da, lda, &beta, dc, ldc);
  if (status != CUBLAS_STATUS_SUCCESS)
    check_blas(status, ("cublasSgemm (m=" + std::to_string(m) + " n=" + std::to_string(n) +
                        " k=" + std::to_string(k) + ")")
                           .c_str());
  ops.finish();
}

}  // namespace cuda

// ---- entry points ----

bool cuda_device_available() {
  static const bool available = [] {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
      cudaGetLastError();
      return false;
    }
    if (count <= 0) return false;
    // One GPU per process of a data-parallel group: the launcher's local rank picks it, before
    // any context exists (the NCCL communicator makes the same choice).
    for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "LOCAL_RANK"})
      if (const char* v = std::getenv(name); v && *v) {
        const int local = std::atoi(v);
        if (local > 0) cudaSetDevice(local % count);
        break;
      }
    return true;
  }();
  return available;
}

std::shared_ptr<Backend> make_cuda_backend() {
  if (!cuda_device_available()) throw Error("backend 'cuda': no CUDA device is available");
  return std::make_shared<cuda::CudaBackend>();
}

namespace {

void* managed_allocate(size_t bytes) {
  void* p = nullptr;
  if (cudaMallocManaged(&p, bytes, cudaMemAttachGlobal) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  // Zero on the legacy default stream and wait: the memory is ready for the host and every stream.
  if (cudaMemsetAsync(p, 0, bytes, nullptr) != cudaSuccess ||
      cudaStreamSynchronize(nullptr) != cudaSuccess) {
    cudaGetLastError();
    cudaFree(p);
    return nullptr;
  }
  return p;
}

void managed_deallocate(void* p) {
  if (p != nullptr && cudaFree(p) != cudaSuccess) cudaGetLastError();  // e.g. at process exit
}

}  // namespace

TensorAllocator cuda_managed_allocator() {
  return TensorAllocator{"cuda_managed", managed_allocate, managed_deallocate};
}

}  // namespace glia
