// A job on a Slurm target, as the agent follows it (docs/slurm.md): its script written into the
// run's logs/slurm/job.sbatch and submitted with `sbatch --parsable` (the job's environment
// through sbatch's own), its state read through the agent's SlurmQueue, cancel as `scancel`,
// and its end (state, reason, the exit code its script recorded) for RunningJob to finish the
// run as the local target does. A restarted agent adopts a running one by its slurm_job_id.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "compute/slurm_states.hpp"
#include "glia/platform/run_dir.hpp"
#include "glia/platform/store.hpp"

namespace glia::platform::compute {

/// The run property holding the Slurm job id.
inline constexpr const char* kSlurmJobIdProperty = "slurm_job_id";

class SlurmJob {
 public:
  /// Writes the script and submits it; records slurm_job_id. Throws glia::Error with sbatch's
  /// message when Slurm refuses it (an unknown partition, say) or the job asks for more nodes
  /// than the target's max_nodes.
  static std::unique_ptr<SlurmJob> submit(Store& store, const RunRecord& run,
                                          const ComputeTarget& target, const nlohmann::json& spec,
                                          std::map<std::string, std::string> env, const RunDir& dir,
                                          int64_t threads);
  /// Follows a job submitted before (the run's slurm_job_id), e.g. after an agent restart.
  static std::unique_ptr<SlurmJob> adopt(const RunRecord& run, const RunDir& dir);
  ~SlurmJob();

  const std::string& job_id() const { return job_id_; }
  /// Polls (through the shared queue) and returns the run's status when Slurm's state changed
  /// since the last call; a new restart count is reported with requeued set.
  std::optional<SlurmStatus> tick(double now);
  /// scancel; the end comes through tick() as CANCELLED.
  void cancel();
  /// A cancel whose scancel failed (Slurm busy or down) is sent again, every few seconds.
  void retry_cancel(double now);
  /// For a distributed job: which rank failed, from the rank exit files (nullopt: none did).
  std::optional<std::string> failed_rank() const;

 private:
  SlurmJob(std::string job_id, const RunDir& dir, int64_t processes);
  std::string job_id_;
  RunDir dir_;
  int64_t processes_ = 1;
  std::string last_state_;
  int64_t last_restarts_ = 0;
  bool cancel_sent_ = false;
  bool cancel_failed_ = false;
  double next_cancel_at_ = 0;
};

/// Where the job's script records its exit status, and where the ranks of a distributed job
/// record theirs (in the run's folder, on the shared filesystem).
std::filesystem::path slurm_exit_file(const RunDir& dir);
std::filesystem::path slurm_rank_dir(const RunDir& dir);
/// The exit status the script recorded, if it did.
std::optional<int> read_slurm_exit(const RunDir& dir);

}  // namespace glia::platform::compute
