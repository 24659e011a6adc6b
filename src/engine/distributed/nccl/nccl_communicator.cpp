// glia::Communicator for the CUDA backend: the gradient allreduces run as ncclAllReduce between
// the GPUs of the group (one GPU per process), on a stream of their own with a CUDA event per
// request; metric sums, broadcast, barrier and abort stay on the MPI group it wraps. Built only
// when CUDA, MPI and NCCL are all found (GLIA_WITH_NCCL, see CMakeLists.txt), as the object
// library glia_nccl that programs which train link through glia_accel.
//
// Determinism: for a fixed group, NCCL's sum is reproducible run to run only while it picks the
// same algorithm, protocol and channels; the process defaults NCCL_ALGO to Ring (a value the user
// set is kept). NCCL does not promise bit-identical results across NCCL versions or topologies.
#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <cstdlib>
#include <string>
#include <unordered_map>

#include "distributed/mpi_communicator.hpp"
#include "glia/error.hpp"

namespace glia {

namespace {

void check_cuda(cudaError_t rc, const char* what) {
  if (rc == cudaSuccess) return;
  cudaGetLastError();
  throw Error(std::string("NCCL communicator: ") + what + " failed: " + cudaGetErrorString(rc));
}

void check_nccl(ncclResult_t rc, const char* what) {
  if (rc == ncclSuccess) return;
  throw Error(std::string(what) + " failed: " + ncclGetErrorString(rc));
}

// One ncclAllReduce in flight. Plain host buffers travel through a device copy (`staged`),
// copied back when the request completes; device and managed memory are reduced in place.
class NcclRequest final : public AllreduceRequest {
 public:
  NcclRequest(cudaEvent_t done, float* staged, float* host, size_t n)
      : done_(done), staged_(staged), host_(host), n_(n) {}
  ~NcclRequest() override {
    if (!finished_) cudaEventSynchronize(done_);
    cudaEventDestroy(done_);
  }
  bool test() override {
    if (finished_) return true;
    const cudaError_t rc = cudaEventQuery(done_);
    if (rc == cudaErrorNotReady) return false;
    check_cuda(rc, "cudaEventQuery");
    complete();
    return true;
  }
  void wait() override {
    if (finished_) return;
    check_cuda(cudaEventSynchronize(done_), "cudaEventSynchronize");
    complete();
  }

 private:
  void complete() {
    finished_ = true;
    if (staged_)
      check_cuda(cudaMemcpy(host_, staged_, n_ * sizeof(float), cudaMemcpyDeviceToHost),
                 "cudaMemcpy (result)");
  }
  cudaEvent_t done_;
  float* staged_;
  float* host_;
  size_t n_;
  bool finished_ = false;
};

class NcclCommunicator final : public Communicator {
 public:
  explicit NcclCommunicator(Communicator& group) : group_(group) {
    int devices = 0;
    check_cuda(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
    if (devices <= 0) throw Error("NCCL communicator: no CUDA device");
    device_ = group.local_rank() % devices;
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    setenv("NCCL_ALGO", "Ring", 0);  // reproducible sums (see above); the user's value wins
    ncclUniqueId id{};
    if (group.rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    if (MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
      throw Error("NCCL communicator: MPI_Bcast of the NCCL unique id failed");
    check_nccl(ncclCommInitRank(&comm_, group.size(), id, group.rank()), "ncclCommInitRank");
    check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    int version = 0;
    ncclGetVersion(&version);
    version_ = std::to_string(version / 10000) + "." + std::to_string(version / 100 % 100) + "." +
               std::to_string(version % 100);
  }
  ~NcclCommunicator() override {
    cudaStreamSynchronize(stream_);
    for (auto& [host, buf] : staging_) cudaFree(buf.data);
    ncclCommDestroy(comm_);
    cudaStreamDestroy(stream_);
  }
  int rank() const override { return group_.rank(); }
  int size() const override { return group_.size(); }
  int local_rank() const override { return group_.local_rank(); }
  std::string description() const override {
    return "nccl " + version_ + " (GPU " + std::to_string(device_) + "), " + group_.description();
  }

  std::unique_ptr<AllreduceRequest> iallreduce_sum(std::span<float> data) override {
    float* buf = data.data();
    float* staged = nullptr;
    cudaPointerAttributes attr{};
    if (cudaPointerGetAttributes(&attr, buf) != cudaSuccess) cudaGetLastError();
    if (attr.type != cudaMemoryTypeDevice && attr.type != cudaMemoryTypeManaged) {
      staged = staging_for(buf, data.size());
      check_cuda(cudaMemcpyAsync(staged, buf, data.size_bytes(), cudaMemcpyHostToDevice, stream_),
                 "cudaMemcpyAsync (gradients)");
      buf = staged;
    }
    check_nccl(ncclAllReduce(buf, buf, data.size(), ncclFloat, ncclSum, comm_, stream_),
               "ncclAllReduce");
    cudaEvent_t done = nullptr;
    check_cuda(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "cudaEventCreate");
    auto req = std::make_unique<NcclRequest>(done, staged, data.data(), data.size());
    check_cuda(cudaEventRecord(done, stream_), "cudaEventRecord");
    return req;
  }
  using Communicator::allreduce_sum;  // the float one: ncclAllReduce through iallreduce_sum
  void allreduce_sum(std::span<double> data) override { group_.allreduce_sum(data); }
  void broadcast(std::span<float> data, int root) override { group_.broadcast(data, root); }
  void barrier() override { group_.barrier(); }
  [[noreturn]] void abort(int code) override {
    ncclCommAbort(comm_);
    group_.abort(code);
    std::_Exit(code);  // not reached
  }

 private:
  // The gradient reducer passes the same host buffers every step: one device copy each.
  struct Staging {
    float* data = nullptr;
    size_t size = 0;
  };
  float* staging_for(const float* host, size_t n) {
    Staging& s = staging_[host];
    if (s.size < n) {
      check_cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
      if (s.data) cudaFree(s.data);
      s = {};
      check_cuda(cudaMalloc(reinterpret_cast<void**>(&s.data), n * sizeof(float)),
                 "cudaMalloc (staging)");
      s.size = n;
    }
    return s.data;
  }
  Communicator& group_;
  int device_ = 0;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  std::string version_;
  std::unordered_map<const float*, Staging> staging_;
};

// Registered before main(): distributed_for() uses it for models on the "cuda" backend.
[[maybe_unused]] const bool registered = [] {
  register_device_communicator("cuda", [](Communicator& group) -> std::unique_ptr<Communicator> {
    return std::make_unique<NcclCommunicator>(group);
  });
  return true;
}();

}  // namespace

}  // namespace glia
