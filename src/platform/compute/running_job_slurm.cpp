// RunningJob's Slurm side (slurm_job.hpp): the run's status following the Slurm job's state, and
// the adoption of a job a previous agent submitted.
#include <fcntl.h>

#include <algorithm>
#include <cstdio>

#include "compute/finish.hpp"
#include "compute/job_environment.hpp"
#include "compute/running_job.hpp"
#include "compute/slurm_job.hpp"
#include "glia/error.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform::compute {

void RunningJob::submit_to_slurm(double now) {
  const int64_t per_process =  // srun's ranks on a node share its thread share
      std::max<int64_t>(1, threads_ / std::max<int64_t>(1, dist_.process_count_per_instance));
  slurm_ = SlurmJob::submit(
      ws_.store(), run_, *slurm_target_, spec_,
      job_environment(run_, dir_, ws_.root(), options_, spec_, per_process, environment_, venv_),
      dir_, threads_);
  append_system_log(ws_.root(), run_.id,
                    "submitted to Slurm as job " + slurm_->job_id() + " (partition " +
                        slurm_target_->partition + "; script: logs/slurm/job.sbatch)");
  deadline_.reset();  // limits.timeout counts from Running (slurm_tick), not queue time
  last_ingest_ = now;
}

void RunningJob::slurm_tick(double now) {
  std::optional<SlurmStatus> st;
  try {
    st = slurm_->tick(now);
  } catch (const std::exception& e) {  // Slurm not answering: the state stands, asked again
    std::fprintf(stderr, "glia agent: %s: Slurm: %s\n", run_.id.c_str(), e.what());
    return;
  }
  if (!st) return;
  if (st->terminal) {
    // A job that ran between two polls: its script recorded an exit status, so it was Running.
    if (static_cast<int>(run_.status) < static_cast<int>(RunStatus::Running) &&
        read_slurm_exit(dir_)) {
      try {
        ws_.store().set_status(run_.id, RunStatus::Running, now_seconds());
        run_.status = RunStatus::Running;
      } catch (const Error&) {  // canceled meanwhile: the end says so
      }
    }
    slurm_end_ = *st;
    has_exited_ = true;
    exited_at_ = now;
    return;
  }
  if (!st->reason.empty())
    append_system_log(ws_.root(), run_.id, "Slurm job " + slurm_->job_id() + ": " + st->reason);
  if (st->requeued) return;  // the run stays where it is (statuses only move on): it runs again
  // Forward only: Preparing → Starting → Running → Finalizing; PENDING keeps the run Starting.
  if (static_cast<int>(st->status) <= static_cast<int>(run_.status)) return;
  try {
    ws_.store().set_status(run_.id, st->status, now_seconds());
    run_.status = st->status;
    // limits.timeout counts from the moment Slurm runs the job (not its time in the queue).
    if (run_.timeout && !deadline_ &&
        static_cast<int>(st->status) >= static_cast<int>(RunStatus::Running))
      deadline_ = now + *run_.timeout;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Conflict)  // Conflict: canceled meanwhile, handled there
      std::fprintf(stderr, "glia agent: %s: recording %s: %s\n", run_.id.c_str(),
                   to_string(st->status).c_str(), e.what());
  }
}

std::unique_ptr<RunningJob> RunningJob::adopt(Workspace& ws, const RunRecord& run,
                                              const AgentOptions& options, double now) {
  std::unique_ptr<RunningJob> job(new RunningJob(ws, run, options));
  job->slurm_ = SlurmJob::adopt(run, job->dir_);
  if (!job->slurm_) return nullptr;
  job->spec_ = run.spec.empty() ? nlohmann::json::object() : nlohmann::json::parse(run.spec);
  if (auto target = ws.store().find_compute(run.compute)) job->slurm_target_ = *target;
  create_shared_folders(job->dir_.std_log().parent_path());
  job->log_fd_ = open_shared_file(job->dir_.std_log(), O_WRONLY | O_CREAT | O_APPEND);
  job->last_ingest_ = now;
  append_system_log(ws.root(), run.id,
                    "the agent (pid " + std::to_string(::getpid()) + ") follows Slurm job " +
                        job->slurm_->job_id() + " again");
  if (run.status == RunStatus::CancelRequested) job->request_cancel(now);
  return job;
}

}  // namespace glia::platform::compute
