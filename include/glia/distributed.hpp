// Data-parallel training: the process group a training process belongs to, and the helpers the
// training loop uses to split work across it (shards of a batch, gradient buckets).
//
// A process started by mpirun or srun with more than one process joins the group on the first
// call of distributed() (MPI_Init_thread) and leaves it at exit (MPI_Finalize); nothing else is
// needed. GLIA_DISTRIBUTED=0 keeps every process on its own.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace glia {

class Backend;

/// A pending non-blocking allreduce. test() makes progress and says whether it is done; wait()
/// blocks until it is. Destroying an unfinished request waits for it.
class AllreduceRequest {
 public:
  virtual ~AllreduceRequest() = default;
  virtual bool test() = 0;
  virtual void wait() = 0;
};

/// The processes training one model together. Every collective must be called by every process
/// of the group, in the same order. Reductions are deterministic: the same group size and inputs
/// give bit-identical results on every run and on every process.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// The rank among the processes of the same machine.
  virtual int local_rank() const = 0;
  /// What implements the group ("mpi: Open MPI v4.1.4").
  virtual std::string description() const = 0;

  /// Starts an in-place sum of `data` across the group.
  virtual std::unique_ptr<AllreduceRequest> iallreduce_sum(std::span<float> data) = 0;
  /// In-place sum of small double vectors (metric totals); blocking.
  virtual void allreduce_sum(std::span<double> data) = 0;
  /// In-place sum of `data` across the group, blocking (the gradients that nothing is left to
  /// overlap with); by default iallreduce_sum waited for.
  virtual void allreduce_sum(std::span<float> data) { iallreduce_sum(data)->wait(); }
  /// Copies root's `data` into every process's.
  virtual void broadcast(std::span<float> data, int root) = 0;
  virtual void barrier() = 0;
  /// Ends every process of the group with `code` (after a failure that leaves the others waiting
  /// in a collective). Does not return.
  [[noreturn]] virtual void abort(int code) = 0;
};

/// The process group this process trains in, or nullptr when it runs alone (no launcher, a
/// group of one, GLIA_DISTRIBUTED=0, or Glia built without MPI). Initializes MPI on first use
/// when the environment shows a launcher (OMPI_COMM_WORLD_SIZE, PMIX_RANK with a size,
/// PMI_SIZE, SLURM_NTASKS under srun); throws glia::Error when the launcher says more than one
/// process but this build has no MPI.
Communicator* distributed();

/// The group that trains a model computed by `backend`: the same processes as distributed(),
/// but a backend may bring its own transport for the gradient allreduces (the CUDA backend, when
/// built with NCCL: iallreduce_sum runs ncclAllReduce between the GPUs; metric sums, broadcast,
/// barrier and abort stay on MPI). nullptr for one process; distributed() for other backends.
Communicator* distributed_for(const Backend& backend);

/// This process's rank as the launcher's environment states it, without initializing anything
/// (OMPI_COMM_WORLD_RANK, PMIX_RANK, PMI_RANK, SLURM_PROCID, or RANK with a WORLD_SIZE above 1);
/// 0 when none is set.
int launcher_rank();

/// When a distributed process fails: ends the whole group with `code` (the others may be waiting
/// in a collective for this one). A no-op for a single process. Call after reporting the error.
void abort_distributed(int code);

/// The contiguous part [begin, end) of `count` items that `rank` of `size` takes: the first
/// count % size ranks take one item more, so rank 0 is never empty while count > 0.
struct Shard {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};
Shard shard_of(int64_t count, int rank, int size);

/// Gradient buckets: variables in the order their gradients become final (reverse layer order),
/// grouped into consecutive runs closed as soon as they hold `bucket_bytes` or more.
struct Bucket {
  std::vector<size_t> items;  // indices into the list given to plan_buckets
  int64_t elements = 0;
};
std::vector<Bucket> plan_buckets(std::span<const int64_t> element_counts, int64_t bucket_bytes);

/// The bucket size fit() uses when FitOptions::bucket_bytes is 0: $GLIA_BUCKET_BYTES, else 1 MiB.
int64_t default_bucket_bytes();

}  // namespace glia
