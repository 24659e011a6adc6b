// One job the agent is running: its process group, its output pipes copied into the live log
// (with a bounded tail of stderr kept for the error message), its tracking file, its deadline
// and the cancel/timeout escalation from SIGTERM to SIGKILL.
#pragma once

#include <poll.h>

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compute/distributed_launch.hpp"
#include "compute/job_process.hpp"
#include "compute/slurm_states.hpp"
#include "compute/thread_share.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/local_agent.hpp"
#include "glia/platform/run_dir.hpp"
#include "glia/platform/tracking.hpp"

namespace glia::platform::compute {

/// What a job's thread share is computed from (see thread_share).
struct ThreadContext {
  std::optional<int64_t> target_threads;  // the target's threads_per_job
  int cores = 1;                          // usable cores
  int64_t jobs_at_once = 1;               // jobs running once this one starts, it included
};

/// Claims a Queued run for this agent (Queued → Preparing). False when it is no longer Queued
/// (canceled meanwhile); other failures (the store busy or full) are thrown.
bool claim_run(Store& store, const std::string& run_id);

class SlurmJob;

class RunningJob {
 public:
  /// Prepares and starts a Queued run, or one claim_run() moved to Preparing (→ Starting →
  /// Running), with its thread share (recorded as the run's "threads" property and exported to
  /// the job). Returns nullptr when the run could not be claimed (canceled meanwhile) or failed
  /// to start (then it is finished as Failed with the reason).
  static std::unique_ptr<RunningJob> launch(Workspace& ws, const RunRecord& run,
                                            const AgentOptions& options, double now,
                                            const ThreadContext& threads);
  /// Follows a job already submitted to Slurm (its slurm_job_id) whose agent is gone: a
  /// restarted agent re-adopts it instead of ending it. nullptr when the run has no Slurm job.
  static std::unique_ptr<RunningJob> adopt(Workspace& ws, const RunRecord& run,
                                           const AgentOptions& options, double now);
  ~RunningJob();

  const std::string& id() const { return run_.id; }
  const std::string& compute() const { return run_.compute; }
  pid_t pid() const { return proc_.pid; }
  /// Whether its process still runs (a job being finished no longer uses its cores).
  bool process_running() const { return !has_exited_; }

  void add_poll_fds(std::vector<pollfd>& fds) const;
  /// Copies what the pipes hold into the log (bounded per call).
  void pump_output();
  void exited(int wait_status, double now);
  /// Timeout and kill escalation; applies the tracking file every so often.
  void tick(double now, double kill_grace);
  void request_cancel(double now);
  /// When the process has exited and its output is drained: starts finishing the run on a
  /// thread of its own. Returns true once that is done (and the job can be forgotten).
  bool try_finish(Workspace& ws, double now);

 private:
  RunningJob(Workspace& ws, RunRecord run, const AgentOptions& options);
  /// Builds the run's environment first (a `glia environment build` process whose output is the
  /// run's Preparing log), or starts the job at once when it needs no build.
  void start_build(double now);
  /// Takes the environment's build for this job when it is built (a BuildUse lock on it).
  bool use_build();
  /// Starting → Running: spawns the job's command. Throws when it cannot start.
  void start_process(double now);
  /// The build process ended: starts the job, or finishes the run Failed with the build's error.
  void build_ended(Workspace& ws, double now);
  void drain(int& fd, bool is_stderr);
  void send(int sig);
  /// The last lines of stderr; `ranks_failed`: without mpirun's notices (the rank named).
  std::string stderr_tail(bool ranks_failed = false) const;

  enum class Ending { None, Timeout, Cancel };
  Workspace& ws_;
  RunRecord run_;
  AgentOptions options_;
  nlohmann::json spec_;
  std::vector<std::filesystem::path> read_only_;
  int64_t threads_ = 1;
  Distribution dist_;                              // distribution: + resources.instance_count
  std::optional<LaunchPlan> launch_;               // set: a distributed job, started by mpirun
  std::optional<EnvironmentVersion> environment_;  // the run's environment, when it names one
  std::filesystem::path venv_;                     // its build, once built
  std::optional<BuildUse> build_use_;              // held while the job runs in it
  bool building_ = false;                          // proc_ is the environment's build
  RunDir dir_;
  ArtifactStore artifacts_;
  TrackingReader tracking_;
  JobProcess proc_;
  int log_fd_ = -1;
  std::string err_tail_;
  bool has_exited_ = false;
  int wait_status_ = 0;
  double exited_at_ = 0, last_ingest_ = 0, term_sent_at_ = 0, retry_finish_at_ = 0;
  int64_t ingested_size_ = 0;    // the tracking file's size when it was last read
  std::future<void> finishing_;  // the finisher thread, once the job has ended
  std::optional<double> deadline_;
  Ending ending_ = Ending::None;
  bool killed_ = false;
  // A job on a Slurm target (slurm_job.hpp): no local process, its state from Slurm.
  std::optional<ComputeTarget> slurm_target_;
  std::unique_ptr<SlurmJob> slurm_;
  std::optional<SlurmStatus> slurm_end_;
  void submit_to_slurm(double now);
  void slurm_tick(double now);
};

}  // namespace glia::platform::compute
