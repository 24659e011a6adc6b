// glia::distributed(): finds out from the launcher's environment whether this process is one of
// a group, and makes the group's communicator once. Also the sharding and bucketing arithmetic.
#include "glia/distributed.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>

#include "distributed/mpi_communicator.hpp"
#include "glia/backend.hpp"
#include "glia/error.hpp"

namespace glia {

namespace {

std::optional<long> env_int(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*end != '\0') return std::nullopt;
  return n;
}

// The group size the launcher announces, and which variable said so; 1 when none.
std::pair<long, std::string> launcher_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_STEP_NUM_TASKS"})
    if (auto n = env_int(name); n && *n > 1) return {*n, name};
  return {1, ""};
}

std::unique_ptr<Communicator>& instance() {
  static std::unique_ptr<Communicator> comm;
  return comm;
}

MpiFactory mpi_factory = nullptr;

struct DeviceComm {
  std::string backend;
  DeviceCommFactory factory = nullptr;
  std::once_flag once;
  std::unique_ptr<Communicator> comm;
  // Kept at exit: tearing NCCL down during static destruction, after MPI_Finalize, can hang; the
  // driver frees the process's GPU resources anyway.
  ~DeviceComm() { static_cast<void>(comm.release()); }
};
DeviceComm& device_comm() {
  static DeviceComm d;
  return d;
}
std::atomic<bool> failed{false};

}  // namespace

void register_mpi_factory(MpiFactory factory) {
  mpi_factory = factory;
}
std::unique_ptr<Communicator> make_mpi_communicator() {
  return mpi_factory ? mpi_factory() : nullptr;
}
void register_device_communicator(const char* backend_name, DeviceCommFactory factory) {
  device_comm().backend = backend_name;
  device_comm().factory = factory;
}
void fail_group_at_exit() {
  failed = true;
}
bool group_failed() {
  return failed;
}

Communicator* distributed() {
  static std::once_flag once;
  static std::optional<Error> failure;
  std::call_once(once, [] {
    try {
      if (const char* v = std::getenv("GLIA_DISTRIBUTED"); v && *v) {
        const std::string value(v);
        if (value == "0") return;
        if (value != "1")
          throw Error(
              "GLIA_DISTRIBUTED must be 0 (each process trains alone) or 1 (join the "
              "group mpirun/srun started, the default), got '" +
              value + "'");
      }
      const auto [size, source] = launcher_size();
      if (size <= 1) return;
      auto comm = make_mpi_communicator();
      if (!comm)
        throw Error(source + "=" + std::to_string(size) +
                    " says this process is one of a group, but this program has no MPI (Glia "
                    "built without GLIA_WITH_MPI, or a program not linked with glia_accel); "
                    "rebuild with libopenmpi-dev or set GLIA_DISTRIBUTED=0");
      if (comm->size() != size)
        throw Error(source + "=" + std::to_string(size) + " but MPI sees " +
                    std::to_string(comm->size()) +
                    " process(es): the launcher and MPI do not agree (under Slurm start the "
                    "tasks with srun --mpi=pmix, or mpirun inside the allocation)");
      if (comm->size() > 1) instance() = std::move(comm);
    } catch (const Error& e) {
      failure = e;
    }
  });
  if (failure) throw *failure;
  return instance().get();
}

Communicator* distributed_for(const Backend& backend) {
  Communicator* group = distributed();
  DeviceComm& d = device_comm();
  if (!group || !d.factory || backend.name() != d.backend) return group;
  // Made once, by the first fit(): its set-up is a collective every rank reaches there.
  std::call_once(d.once, [&] { d.comm = d.factory(*group); });
  return d.comm ? d.comm.get() : group;
}

int launcher_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
    if (auto n = env_int(name); n && *n >= 0) return static_cast<int>(*n);
  // RANK alone is a common name: it counts only with a WORLD_SIZE of more than one process.
  if (auto size = env_int("WORLD_SIZE"); size && *size > 1)
    if (auto n = env_int("RANK"); n && *n >= 0) return static_cast<int>(*n);
  return 0;
}

void abort_distributed(int code) {
  if (Communicator* c = instance().get()) c->abort(code);
}

Shard shard_of(int64_t count, int rank, int size) {
  if (size <= 1) return {0, count};
  const int64_t base = count / size, extra = count % size;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

std::vector<Bucket> plan_buckets(std::span<const int64_t> element_counts, int64_t bucket_bytes) {
  std::vector<Bucket> buckets;
  Bucket current;
  for (size_t i = 0; i < element_counts.size(); ++i) {
    current.items.push_back(i);
    current.elements += element_counts[i];
    if (current.elements * static_cast<int64_t>(sizeof(float)) >= bucket_bytes) {
      buckets.push_back(std::move(current));
      current = {};
    }
  }
  if (!current.items.empty()) buckets.push_back(std::move(current));
  return buckets;
}

int64_t default_bucket_bytes() {
  if (const char* v = std::getenv("GLIA_BUCKET_BYTES"); v && *v) {
    char* end = nullptr;
    long long n = std::strtoll(v, &end, 10);
    if (*end != '\0' || n <= 0)
      throw Error("GLIA_BUCKET_BYTES must be a positive number of bytes, got '" + std::string(v) +
                  "'");
    return n;
  }
  return int64_t{1} << 20;
}

}  // namespace glia
