#include "compute/running_job.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>

#include "compute/finish.hpp"
#include "compute/job_environment.hpp"
#include "compute/slurm_job.hpp"
#include "glia/error.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/datasets.hpp"
#include "glia/platform/environment.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/job_resume.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform::compute {

namespace fs = std::filesystem;

namespace {

constexpr size_t kTailBytes = 8192;        // stderr kept for the error message
constexpr size_t kPumpBytes = 1 << 20;     // per pipe per loop: one chatty job cannot starve others
constexpr double kIngestEvery = 0.02;      // at most this often, and only when the file grew
constexpr int64_t kIngestStep = 2 << 20;   // bytes of tracking file applied per step
constexpr double kDrainWait = 2.0;         // after exit, wait this long for pipes held by children
constexpr double kFinishRetrySeconds = 5;  // after a failed finish (a full disk, say)

// The text in single quotes for /bin/sh.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The text with every byte that is not part of valid UTF-8 replaced by '?' (a job's stderr may
// hold anything, and the tail may cut a character; the store and JSON want valid text).
std::string valid_utf8(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    const auto c = static_cast<unsigned char>(in[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= in.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 2;
    if (ok) {
      out.append(in, i, len);
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

// Moves the run on. False when the move is not allowed any more (canceled meanwhile: the
// cancel handling takes over); any other failure (the store busy or the disk full) is thrown.
bool try_status(Store& store, const std::string& id, RunStatus status) {
  try {
    store.set_status(id, status, now_seconds());
    return true;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Conflict) throw;
    return false;
  }
}

// The same where the job goes on whatever happens: a failure is written to the agent's log.
void note_status(Store& store, const std::string& id, RunStatus status) {
  try {
    try_status(store, id, status);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "glia agent: %s: recording %s: %s\n", id.c_str(),
                 to_string(status).c_str(), e.what());
  }
}

}  // namespace

bool claim_run(Store& store, const std::string& run_id) {
  // A sweep's trial whose sweep is being canceled (or has ended) never starts: its sweep's
  // driver cancels it.
  const RunRecord run = store.get_run(run_id);
  if (!run.parent_id.empty()) {
    const auto parent = store.find_run(run.parent_id);
    if (parent && is_terminal(parent->status))  // left behind: ended with a reason
      store.request_cancel(
          run_id,
          {{kCancelReasonProperty, "its sweep " + parent->id + " ended (" +
                                       to_string(parent->status) + ") before it started"}},
          now_seconds());
    if (parent && (is_terminal(parent->status) || parent->status == RunStatus::CancelRequested))
      return false;
  }
  return try_status(store, run_id, RunStatus::Preparing);
}

RunningJob::RunningJob(Workspace& ws, RunRecord run, const AgentOptions& options)
    : ws_(ws),
      run_(std::move(run)),
      options_(options),
      dir_(run_dir(ws.root(), run_.id)),
      artifacts_(ws.artifacts_path()),
      tracking_(dir_.tracking(), dir_.work(), artifacts_) {}

RunningJob::~RunningJob() {
  slurm_.reset();
  for (int fd : {proc_.out_fd, proc_.err_fd, log_fd_})
    if (fd >= 0) ::close(fd);
}

std::unique_ptr<RunningJob> RunningJob::launch(Workspace& ws, const RunRecord& run,
                                               const AgentOptions& options, double now,
                                               const ThreadContext& threads) {
  Store& store = ws.store();
  // Claimed by the agent (start_queued) or claimed here; a failure leaves it Queued.
  if (run.status != RunStatus::Preparing && !try_status(store, run.id, RunStatus::Preparing))
    return nullptr;
  std::unique_ptr<RunningJob> job(new RunningJob(ws, run, options));
  try {
    const RunDir& dir = job->dir_;
    create_shared_folders(dir.std_log().parent_path());
    create_shared_folders(dir.scratch());
    append_shared_file(dir.tracking(), "");
    if (!run.code_snapshot.empty()) job->artifacts_.materialize(run.code_snapshot, dir.work());
    create_shared_folders(dir.work() / "outputs");
    create_shared_folders(dir.work() / "logs");
    // A resumed job starts with its earlier run's checkpoint files (job_resume.hpp).
    if (const int64_t n = restore_resumed_files(store, job->artifacts_, run, dir.work()); n > 0)
      append_shared_file(dir.std_log(),
                         "[glia] resumed from run " + run.properties.at(kResumedFromProperty) +
                             ": " + std::to_string(n) + " checkpoint file(s) restored into " +
                             kCheckpointFolder + "\n");
    // Dataset inputs: a read-only view of the store (no bytes copied) or a private copy. In the
    // job's own mount namespace the views and the blobs are also mounted read-only, so not even
    // root can write into a dataset.
    job->read_only_ = {job->artifacts_.root() / "blobs"};
    for (const RunInput& in : store.run_inputs(run.id)) {
      const fs::path dest = dir.root / "inputs" / in.input;
      ensure_blobs(job->artifacts_, in.manifest);  // by-reference files: fetched and verified
      if (in.mode == "download") {
        job->artifacts_.materialize(in.manifest, dest);
      } else {
        job->artifacts_.link_view(in.manifest, dest);
        job->read_only_.push_back(dest);
      }
    }
    job->log_fd_ = open_shared_file(dir.std_log(), O_WRONLY | O_CREAT | O_APPEND);
    job->spec_ = run.spec.empty() ? nlohmann::json::object() : nlohmann::json::parse(run.spec);
    if (auto target = store.find_compute(run.compute); target && target->type == "slurm")
      job->slurm_target_ = *target;
    const ThreadShare share = thread_share(job_threads(job->spec_), threads.target_threads,
                                           threads.cores, threads.jobs_at_once);
    job->threads_ = share.threads;
    store.add_properties(
        run.id, {{"threads", std::to_string(share.threads)}, {"threads_from", share.reason}});
    job->dist_ = distribution_of(job->spec_);
    if (job->dist_.distributed() && !job->slurm_target_) {  // mpirun: the share divided
      const LaunchPlan plan =
          local_mpi_launch(job->dist_, run.command, share.threads, dir.root / "ranks");
      create_shared_folders(plan.rank_dir);
      store.add_properties(run.id,
                           {{"processes", std::to_string(plan.processes)},
                            {"threads_per_process", std::to_string(plan.threads_per_process)}});
      job->launch_ = plan;
    }
    if (job->spec_.contains("python_environment")) {
      const auto& pe = job->spec_["python_environment"];
      job->environment_ =
          store.find_environment(pe["name"].get<std::string>(), pe["version"].get<int64_t>());
      if (!job->environment_)
        throw Error(ErrorKind::NotFound, "its environment " + pe["name"].get<std::string>() + ":" +
                                             std::to_string(pe["version"].get<int64_t>()) +
                                             " is not in the store");
      // Built: a stat and a lock that keeps prune away, no process. Else built first.
      if (pe.value("build", false) && !job->use_build()) {
        job->start_build(now);
        return job;
      }
    }
    job->start_process(now);
  } catch (const std::exception& e) {
    finish_run(ws, run.id, RunStatus::Failed, std::nullopt,
               std::string("preparing the job failed: ") + e.what());
    return nullptr;
  }
  return job;
}

bool RunningJob::use_build() {
  const auto venv = built_environment(ws_, environment_->build_hash);
  if (!venv) return false;
  build_use_ = BuildUse::lock(*venv);  // unset: pruned meanwhile
  if (!build_use_) return false;
  venv_ = *venv;
  return true;
}

void RunningJob::start_build(double now) {
  // `glia environment build NAME:V` in the job's place: its output is the Preparing log, the
  // agent's loop goes on meanwhile, a cancel signals it like a job, and a dead agent's reconcile
  // kills it through the recorded pid.
  const std::string command =
      "exec " + shell_quote((options_.tool_dir / "glia").string()) + " -w " +
      shell_quote(ws_.root().string()) + " environment build " +
      shell_quote(environment_->name + ":" + std::to_string(environment_->version));
  proc_ = spawn_job(command, dir_.root, current_environment(), {});  // the agent's: pip's index
  building_ = true;
  if (run_.timeout) deadline_ = now + *run_.timeout;  // a hung pip ends too
  for (int fd : {proc_.out_fd, proc_.err_fd})
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  try {
    ws_.store().set_process(run_.id, proc_.pid, proc_.start_ticks, ::getpid());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "glia agent: recording the pid of %s: %s\n", run_.id.c_str(), e.what());
  }
}

void RunningJob::build_ended(Workspace& ws, double now) {
  building_ = false;
  for (int* fd : {&proc_.out_fd, &proc_.err_fd})
    if (*fd >= 0) ::close(std::exchange(*fd, -1));
  const bool ok = WIFEXITED(wait_status_) && WEXITSTATUS(wait_status_) == 0;
  std::string error;
  if (ok) {
    if (use_build()) {
      has_exited_ = false;
      err_tail_.clear();
      try {
        start_process(now);
        return;
      } catch (const std::exception& e) {
        error = std::string("preparing the job failed: ") + e.what();
      }
    } else {
      error = "the build of environment " + environment_->name + ":" +
              std::to_string(environment_->version) + " ended without publishing it";
    }
  } else {
    // The builder's last line is its one-line error (pip's own error lines in it).
    std::string tail = stderr_tail();
    const size_t nl = tail.rfind('\n');
    if (nl != std::string::npos) tail = tail.substr(nl + 1);
    if (tail.rfind("glia: error: ", 0) == 0) tail = tail.substr(13);
    error = tail.empty() ? "building environment " + environment_->name + ":" +
                               std::to_string(environment_->version) + " failed (" +
                               (WIFSIGNALED(wait_status_)
                                    ? signal_name(WTERMSIG(wait_status_))
                                    : "exit code " + std::to_string(WEXITSTATUS(wait_status_))) +
                               ")"
                         : tail;
  }
  if (log_fd_ >= 0) ::close(std::exchange(log_fd_, -1));
  has_exited_ = true;
  finishing_ = std::async(std::launch::async, [root = ws.root(), id = run_.id, error] {
    Workspace own = Workspace::open(root);
    finish_run(own, id, RunStatus::Failed, std::nullopt, error);
  });
}

void RunningJob::start_process(double now) {
  Store& store = ws_.store();
  if (!try_status(store, run_.id, RunStatus::Starting)) {
    // Canceled meanwhile: nothing was started.
    ending_ = Ending::Cancel;
    has_exited_ = true;
    finishing_ = std::async(std::launch::async, [root = ws_.root(), id = run_.id] {
      Workspace own = Workspace::open(root);
      finish_run(own, id, RunStatus::Canceled, std::nullopt, "canceled before it started");
    });
    return;
  }
  run_.status = RunStatus::Starting;
  if (slurm_target_) {  // submitted, not spawned: Slurm says when it runs (slurm_tick)
    submit_to_slurm(now);
    return;
  }
  fs::create_directories(read_only_.front());
  auto env =
      job_environment(run_, dir_, ws_.root(), options_, spec_,
                      launch_ ? launch_->threads_per_process : threads_, environment_, venv_);
  if (launch_) check_launcher(env);
  proc_ = spawn_job(launch_ ? launch_->command : run_.command, dir_.work(), env, read_only_);
  for (int fd : {proc_.out_fd, proc_.err_fd})
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  try {
    store.set_process(run_.id, proc_.pid, proc_.start_ticks, ::getpid());
  } catch (const std::exception& e) {  // the job runs; cancel/reconcile just lack its pid
    std::fprintf(stderr, "glia agent: recording the pid of %s: %s\n", run_.id.c_str(), e.what());
  }
  note_status(store, run_.id, RunStatus::Running);  // if canceled meanwhile, tick() handles it
  if (run_.timeout) deadline_ = now + *run_.timeout;
  last_ingest_ = now;
}

void RunningJob::add_poll_fds(std::vector<pollfd>& fds) const {
  for (int fd : {proc_.out_fd, proc_.err_fd})
    if (fd >= 0) fds.push_back({fd, POLLIN, 0});
}

void RunningJob::drain(int& fd, bool is_stderr) {
  if (fd < 0) return;
  char buf[65536];
  size_t total = 0;
  while (total < kPumpBytes) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;  // EAGAIN: nothing more now
    if (n == 0) {       // EOF: every writer closed it
      ::close(fd);
      fd = -1;
      return;
    }
    total += static_cast<size_t>(n);
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(log_fd_, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) break;  // disk full: the output is lost, the job goes on
      off += w;
    }
    if (is_stderr) {
      err_tail_.append(buf, static_cast<size_t>(n));
      if (err_tail_.size() > kTailBytes) err_tail_.erase(0, err_tail_.size() - kTailBytes);
    }
  }
}

void RunningJob::pump_output() {
  drain(proc_.out_fd, false);
  drain(proc_.err_fd, true);
}

void RunningJob::exited(int wait_status, double now) {
  has_exited_ = true;
  wait_status_ = wait_status;
  exited_at_ = now;
}

void RunningJob::send(int sig) {
  if (slurm_) {  // Slurm ends the job's processes itself (KillWait after SIGTERM)
    if (sig == SIGTERM) slurm_->cancel();
    return;
  }
  if (slurm_target_) return;  // not submitted (yet): no process
  signal_group(proc_.pid, proc_.start_ticks, sig);
}

void RunningJob::request_cancel(double now) {
  if (ending_ != Ending::None) return;
  ending_ = Ending::Cancel;
  term_sent_at_ = now;
  send(SIGTERM);
}

void RunningJob::tick(double now, double kill_grace) {
  if (deadline_ && now >= *deadline_ && ending_ == Ending::None && !has_exited_) {
    ending_ = Ending::Timeout;
    term_sent_at_ = now;
    send(SIGTERM);
  }
  if (ending_ != Ending::None && !killed_ && now - term_sent_at_ >= kill_grace) {
    killed_ = true;
    send(SIGKILL);
  }
  if (slurm_ && ending_ != Ending::None && !has_exited_) slurm_->retry_cancel(now);
  if (slurm_ && !has_exited_) slurm_tick(now);
  if (finishing_.valid()) return;  // the finisher reads the tracking file to its end
  struct stat st {};
  const bool grew = ::stat(dir_.tracking().c_str(), &st) == 0 && st.st_size > ingested_size_;
  if (grew && now - last_ingest_ >= kIngestEvery) {
    last_ingest_ = now;
    ingested_size_ = st.st_size;  // what this read will get to (more: read again next tick)
    try {
      bool more = false;  // a bounded step per tick: other jobs' output and timers go on
      tracking_.ingest(ws_.store(), run_.id, false, kIngestStep, &more);
      if (more) {  // the next step at once
        ingested_size_ = 0;
        last_ingest_ = now - kIngestEvery;
      }
      for (const auto& p : tracking_.take_problems()) append_system_log(ws_.root(), run_.id, p);
    } catch (const std::exception& e) {
      append_system_log(ws_.root(), run_.id, std::string("tracking: ") + e.what());
    }
  }
}

std::string RunningJob::stderr_tail(bool ranks_failed) const {
  // The last few non-empty lines, for the run's error.
  const std::string err_tail = ranks_failed ? without_mpirun_notices(err_tail_) : err_tail_;
  std::vector<std::string> lines;
  size_t end = err_tail.size();
  while (end > 0 && lines.size() < 5) {
    size_t start = err_tail.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    std::string line = err_tail.substr(start, end - start);
    if (!line.empty() && line.find_first_not_of(" \t\r") != std::string::npos)
      lines.insert(lines.begin(), line);
    end = start > 0 ? start - 1 : 0;
  }
  std::string out;
  for (const auto& l : lines) out += "\n" + l;
  return valid_utf8(out);
}

bool RunningJob::try_finish(Workspace& ws, double now) {
  if (finishing_.valid()) {  // handed to a finisher thread: done when it is
    if (finishing_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
    try {
      finishing_.get();  // rethrows what the finisher could not handle
    } catch (...) {      // e.g. the final status could not be written: try again in a while
      retry_finish_at_ = now + kFinishRetrySeconds;
      throw;
    }
    return true;
  }
  if (!has_exited_ || now < retry_finish_at_) return false;
  if ((proc_.out_fd >= 0 || proc_.err_fd >= 0) && now - exited_at_ < kDrainWait) return false;
  send(SIGKILL);
  if (building_ && ending_ == Ending::None) {  // the environment is built (or not): go on
    pump_output();
    build_ended(ws, now);
    return false;
  }  // whatever the job left running in its group ends with it
  pump_output();
  for (int* fd : {&proc_.out_fd, &proc_.err_fd})
    if (*fd >= 0) ::close(std::exchange(*fd, -1));
  RunStatus status = RunStatus::Completed;
  std::optional<int> code;
  std::string error;
  const std::string tail = stderr_tail();
  if (slurm_end_ && ending_ == Ending::None) {  // Slurm's end, with the code the script wrote
    status = slurm_end_->status;
    code = read_slurm_exit(dir_);
    error = slurm_end_->reason;
    if (status == RunStatus::Failed)
      if (auto rank = slurm_->failed_rank()) error += (error.empty() ? "" : ": ") + *rank;
  } else if (ending_ == Ending::Cancel) {
    status = RunStatus::Canceled;
    error = "canceled";
  } else if (ending_ == Ending::Timeout) {
    status = RunStatus::Failed;
    code = 124;
    std::array<char, 32> seconds{};  // as written: 60 -> "60", 1.5 -> "1.5" (shortest exact)
    const auto written = std::to_chars(seconds.begin(), seconds.end(), *run_.timeout).ptr;
    error = "timed out after " + std::string(seconds.begin(), written) + " s (limits.timeout)" +
            (building_ ? " while building its environment (build it first with `glia "
                         "environment build " +
                             environment_->name + ":" + std::to_string(environment_->version) +
                             "`, or raise limits.timeout)"
                       : "");
  } else if (WIFEXITED(wait_status_) && WEXITSTATUS(wait_status_) != 0) {
    status = RunStatus::Failed;
    code = WEXITSTATUS(wait_status_);
    error = "exit code " + std::to_string(*code) + tail;
    // mpirun's code says little: the rank that failed and how, from the ranks' exit files.
    if (launch_) {
      if (auto ranks = failed_rank_message(launch_->rank_dir, launch_->processes)) {
        const bool recorded = ranks->find("without recording") == std::string::npos;
        error = *ranks + " (mpirun: exit code " + std::to_string(*code) + ")" +
                (recorded ? stderr_tail(true) : tail);
      }
    }
  } else if (WIFSIGNALED(wait_status_)) {
    status = RunStatus::Failed;
    code = 128 + WTERMSIG(wait_status_);
    error = "killed by " + signal_name(WTERMSIG(wait_status_)) + tail;
    if (launch_) error = "mpirun was " + error;
  } else {
    code = 0;
  }
  if (status != RunStatus::Canceled) note_status(ws.store(), run_.id, RunStatus::Finalizing);
  if (log_fd_ >= 0) ::close(std::exchange(log_fd_, -1));
  // The rest (the final tracking read, copying outputs into the store) can take seconds for a
  // big job: a thread of its own does it, with its own store connection, so the agent goes on
  // serving the other jobs' output, timers and queue. The job keeps its slot until then.
  finishing_ =
      std::async(std::launch::async, [root = ws.root(), id = run_.id, status, code, error] {
        Workspace own = Workspace::open(root);
        finish_run(own, id, status, code, error);
      });
  return false;
}

}  // namespace glia::platform::compute
