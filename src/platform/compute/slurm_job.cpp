#include "compute/slurm_job.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "compute/distributed_launch.hpp"
#include "compute/slurm_command.hpp"
#include "compute/slurm_queue.hpp"
#include "compute/slurm_script.hpp"
#include "glia/error.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform::compute {

namespace fs = std::filesystem;

namespace {
constexpr double kCancelRetrySeconds = 2;
}  // namespace

std::filesystem::path slurm_exit_file(const RunDir& dir) {
  return dir.root / "slurm" / "exit_code";
}
std::filesystem::path slurm_rank_dir(const RunDir& dir) {
  return dir.root / "slurm" / "ranks";
}

std::optional<int> read_slurm_exit(const RunDir& dir) {
  std::ifstream in(slurm_exit_file(dir));
  int code = 0;
  if (in >> code) return code;
  return std::nullopt;
}

SlurmJob::SlurmJob(std::string job_id, const RunDir& dir, int64_t processes)
    : job_id_(std::move(job_id)), dir_(dir), processes_(processes) {
  SlurmQueue::instance().watch(job_id_);
}

SlurmJob::~SlurmJob() {
  SlurmQueue::instance().forget(job_id_);
}

std::unique_ptr<SlurmJob> SlurmJob::submit(Store& store, const RunRecord& run,
                                           const ComputeTarget& target, const nlohmann::json& spec,
                                           std::map<std::string, std::string> env,
                                           const RunDir& dir, int64_t threads) {
  SlurmScriptInput in;
  in.run_id = run.id;
  in.target = target;
  in.command = run.command;
  in.work_dir = dir.work();
  in.std_log = dir.std_log();
  in.exit_file = slurm_exit_file(dir);
  in.rank_dir = slurm_rank_dir(dir);
  in.dist = distribution_of(spec);
  in.timeout = run.timeout;
  in.cpus_per_task = target.threads_per_job ? threads : 0;
  const std::string script = slurm_script(in);
  create_shared_folders(in.rank_dir);
  const fs::path kept = dir.work() / "logs" / "slurm" / "job.sbatch";
  create_shared_folders(kept.parent_path());
  write_shared_file(kept, script);
  // sbatch itself must find Slurm's configuration: the agent's SLURM_CONF when the job's
  // environment has none.
  for (const char* name : {"SLURM_CONF"})
    if (!env.count(name))
      if (const char* v = std::getenv(name)) env[name] = v;
  const CommandResult r = run_command({"sbatch", "--parsable", kept.string()}, env);
  if (r.exit_code != 0)
    throw Error("sbatch refused the job: " +
                (r.err.empty() ? "exit code " + std::to_string(r.exit_code) : first_line(r.err)));
  std::string id = first_line(r.out);
  id = id.substr(0, id.find(';'));  // "ID;cluster" on a federation
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    throw Error("sbatch answered '" + first_line(r.out) + "', not a job id");
  store.add_properties(run.id, {{kSlurmJobIdProperty, id}});
  return std::unique_ptr<SlurmJob>(new SlurmJob(id, dir, in.dist.processes()));
}

std::unique_ptr<SlurmJob> SlurmJob::adopt(const RunRecord& run, const RunDir& dir) {
  const auto it = run.properties.find(kSlurmJobIdProperty);
  if (it == run.properties.end()) return nullptr;
  nlohmann::json spec =
      run.spec.empty() ? nlohmann::json::object() : nlohmann::json::parse(run.spec);
  return std::unique_ptr<SlurmJob>(
      new SlurmJob(it->second, dir, distribution_of(spec).processes()));
}

std::optional<SlurmStatus> SlurmJob::tick(double now) {
  SlurmQueue& q = SlurmQueue::instance();
  q.poll(now);
  const auto info = q.info(job_id_);
  if (!info) return std::nullopt;
  const bool restarted = info->restarts > last_restarts_;
  if (info->state == last_state_ && !restarted) return std::nullopt;
  last_state_ = info->state;
  last_restarts_ = info->restarts;
  if (info->state == "UNKNOWN") {  // purged: the script's exit file says how it ended
    const auto code = read_slurm_exit(dir_);
    if (code) return map_slurm_state(*code == 0 ? "COMPLETED" : "FAILED", "None", code);
    return SlurmStatus{RunStatus::Failed, info->reason + " and the job recorded no exit status",
                       true};
  }
  auto status = map_slurm_state(
      info->state, info->reason,
      info->state == "COMPLETED" || info->state == "FAILED" ? read_slurm_exit(dir_) : std::nullopt);
  if (!status) return SlurmStatus{RunStatus::Running, "Slurm state " + info->state, false};
  if (restarted && !status->terminal) {
    status->requeued = true;
    status->reason = "requeued by Slurm (restart " + std::to_string(info->restarts) + ")";
  }
  return status;
}

void SlurmJob::cancel() {
  if (cancel_sent_) return;
  cancel_sent_ = true;
  const CommandResult r = run_command({"scancel", job_id_});
  cancel_failed_ = r.exit_code != 0;
  if (cancel_failed_) {  // tried again by retry_cancel()
    cancel_sent_ = false;
    std::fprintf(stderr, "glia agent: scancel %s: %s\n", job_id_.c_str(),
                 first_line(r.err.empty() ? r.out : r.err).c_str());
  }
}

void SlurmJob::retry_cancel(double now) {
  if (!cancel_failed_ || cancel_sent_) return;
  if (next_cancel_at_ == 0) next_cancel_at_ = now + kCancelRetrySeconds;
  if (now < next_cancel_at_) return;
  next_cancel_at_ = now + kCancelRetrySeconds;
  cancel();
}

std::optional<std::string> SlurmJob::failed_rank() const {
  if (processes_ <= 1) return std::nullopt;
  return failed_rank_message(slurm_rank_dir(dir_), processes_);
}

}  // namespace glia::platform::compute
