// glia::Communicator over Open MPI: MPI_Iallreduce for gradient buckets, MPI_Allreduce for metric
// sums, MPI_Bcast for the initial weights. Built when CMake finds MPI (GLIA_WITH_MPI), as the
// object library glia_mpi that programs which train link (through glia_accel).
#include <mpi.h>

#include "distributed/mpi_communicator.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "glia/error.hpp"

namespace glia {

namespace {

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  // A peer gone or the transport broken: the group cannot go on (retrying the job may work).
  throw Error(ErrorKind::Unavailable,
              std::string(what) + " failed: " + std::string(text, static_cast<size_t>(len)));
}

int count_of(size_t n) {
  if (n > static_cast<size_t>(std::numeric_limits<int>::max()))
    throw Error("MPI: a buffer of " + std::to_string(n) + " elements is too large for one call");
  return static_cast<int>(n);
}

void finalize_at_exit() {
  if (group_failed()) {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

class MpiRequest final : public AllreduceRequest {
 public:
  MpiRequest() = default;
  ~MpiRequest() override {
    if (req_ != MPI_REQUEST_NULL) MPI_Wait(&req_, MPI_STATUS_IGNORE);
  }
  bool test() override {
    if (req_ == MPI_REQUEST_NULL) return true;
    int done = 0;
    check(MPI_Test(&req_, &done, MPI_STATUS_IGNORE), "MPI_Test");
    return done != 0;
  }
  void wait() override {
    if (req_ != MPI_REQUEST_NULL) check(MPI_Wait(&req_, MPI_STATUS_IGNORE), "MPI_Wait");
  }
  MPI_Request req_ = MPI_REQUEST_NULL;
};

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
      std::atexit(finalize_at_exit);
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    MPI_Comm local;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local),
          "MPI_Comm_split_type");
    MPI_Comm_rank(local, &local_rank_);
    MPI_Comm_free(&local);
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(version, &len);
    std::string v(version, static_cast<size_t>(len));
    library_ = v.substr(0, v.find_first_of(",\n"));
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  std::string description() const override { return "mpi: " + library_; }

  std::unique_ptr<AllreduceRequest> iallreduce_sum(std::span<float> data) override {
    auto req = std::make_unique<MpiRequest>();
    check(MPI_Iallreduce(MPI_IN_PLACE, data.data(), count_of(data.size()), MPI_FLOAT, MPI_SUM,
                         MPI_COMM_WORLD, &req->req_),
          "MPI_Iallreduce");
    return req;
  }
  void allreduce_sum(std::span<float> data) override {
    check(MPI_Allreduce(MPI_IN_PLACE, data.data(), count_of(data.size()), MPI_FLOAT, MPI_SUM,
                        MPI_COMM_WORLD),
          "MPI_Allreduce");
  }
  void allreduce_sum(std::span<double> data) override {
    check(MPI_Allreduce(MPI_IN_PLACE, data.data(), count_of(data.size()), MPI_DOUBLE, MPI_SUM,
                        MPI_COMM_WORLD),
          "MPI_Allreduce");
  }
  void broadcast(std::span<float> data, int root) override {
    check(MPI_Bcast(data.data(), count_of(data.size()), MPI_FLOAT, root, MPI_COMM_WORLD),
          "MPI_Bcast");
  }
  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }
  [[noreturn]] void abort(int code) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

 private:
  int rank_ = 0, size_ = 1, local_rank_ = 0;
  std::string library_;
};

// Registered before main(): distributed() finds it.
[[maybe_unused]] const bool registered = [] {
  register_mpi_factory(
      []() -> std::unique_ptr<Communicator> { return std::make_unique<MpiCommunicator>(); });
  return true;
}();

}  // namespace

}  // namespace glia
