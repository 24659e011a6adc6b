// The states of the agent's Slurm jobs, read for all of them at once: one `squeue` call per poll
// (never one per job), at an interval that backs off from 0.5 s to 5 s while nothing changes
// (to 1 s while a job waits to start) and starts again at 0.5 s when a job is added or changes.
// Jobs squeue no longer lists are asked of `scontrol show job` (Slurm keeps ended jobs for
// MinJobAge), then of `sacct` where accounting answers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace glia::platform::compute {

struct SlurmJobInfo {
  std::string state;   // PENDING, RUNNING, COMPLETED... ("UNKNOWN": Slurm does not know the job)
  std::string reason;  // Slurm's reason ("None" when none)
  int64_t restarts = 0;
};

class SlurmQueue {
 public:
  /// The agent's one queue.
  static SlurmQueue& instance();

  void watch(const std::string& job_id);
  void forget(const std::string& job_id);
  /// Polls when the interval has passed (the first poll after watch() at once).
  void poll(double now);
  /// The job's last known state; nullopt before the first poll that saw it.
  std::optional<SlurmJobInfo> info(const std::string& job_id) const;
  /// How many squeue calls were made (for tests and the bench).
  int64_t squeue_calls() const { return squeue_calls_; }
  double interval() const { return interval_; }

  static constexpr double kMinInterval = 0.5, kMaxInterval = 5.0;
  static constexpr double kWaitingMaxInterval = 1.0;  // while a job is PENDING/CONFIGURING

 private:
  std::set<std::string> watched_;
  std::map<std::string, SlurmJobInfo> known_;
  double next_poll_ = 0, interval_ = kMinInterval;
  int64_t squeue_calls_ = 0;
};

/// Parses squeue's `-O JobID:|,State:|,Reason:|,RestartCnt:|` lines into `out` (job id → info).
void parse_squeue(const std::string& text, std::map<std::string, SlurmJobInfo>& out);
/// Parses `scontrol show job -o ID` (JobState=, Reason=, Restarts=); nullopt when no JobState.
std::optional<SlurmJobInfo> parse_scontrol_job(const std::string& text);

}  // namespace glia::platform::compute
