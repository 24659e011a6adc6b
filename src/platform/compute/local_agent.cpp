// The agent's main loop: poll() over the wake FIFO and every running job's stdout/stderr pipes,
// then housekeeping on each tick — reap exited jobs, enforce timeouts and cancel requests,
// apply tracking files, start queued jobs up to each target's limit.
#include "glia/platform/local_agent.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <system_error>

#include "compute/agent_files.hpp"
#include "compute/disk_reserve.hpp"
#include "compute/endpoint_supervisor.hpp"
#include "compute/finish.hpp"
#include "compute/running_job.hpp"
#include "compute/slurm_job.hpp"
#include "compute/sweep_driver.hpp"
#include "glia/error.hpp"
#include "glia/platform/interactive_run.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform {

namespace fs = std::filesystem;
using compute::RunningJob;

namespace {

double steady_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

class Agent {
 public:
  Agent(Workspace ws, const AgentOptions& options)
      : ws_(std::move(ws)),
        options_(options),
        sweeps_(ws_, ::geteuid()),
        endpoints_(ws_, options_) {}

  void run(int wake_fd) {
    double idle_since = steady_now(), last_check = 0;
    bool woken = true;
    for (;;) {
      std::vector<pollfd> fds{{wake_fd, POLLIN, 0}};
      for (auto& job : jobs_) job->add_poll_fds(fds);
      const int timeout_ms = static_cast<int>(options_.tick_seconds * 1000);
      if (::poll(fds.data(), fds.size(), timeout_ms) > 0 && (fds[0].revents & POLLIN)) {
        char buf[256];
        while (::read(wake_fd, buf, sizeof buf) > 0) {
        }
        woken = true;
      }
      for (auto& job : jobs_) job->pump_output();
      reap();
      const double now = steady_now();
      for (auto& job : jobs_) job->tick(now, options_.kill_grace_seconds);
      const size_t before = jobs_.size();
      std::erase_if(jobs_, [&](const std::unique_ptr<RunningJob>& job) {
        try {
          return job->try_finish(ws_, now);
        } catch (const std::exception& e) {  // finish_run keeps the run for a later retry
          std::fprintf(stderr, "glia agent: finishing %s: %s\n", job->id().c_str(), e.what());
          return false;
        }
      });
      if (jobs_.size() < before) woken = true;  // a slot is free: the queue and sweeps now
      if (woken || now - last_check >= options_.tick_seconds * 2) {
        woken = false;
        last_check = now;
        try {
          handle_cancel_requests();
          active_sweeps_ = sweeps_.tick();  // before the queue: new trials start in this pass
          start_queued();
        } catch (const std::exception& e) {  // e.g. the store busy for long: try next tick
          std::fprintf(stderr, "glia agent: %s\n", e.what());
        }
        try {
          owned_endpoints_ = endpoints_.tick(now);
        } catch (const std::exception& e) {  // the store busy: the processes run on meanwhile
          std::fprintf(stderr, "glia agent: endpoints: %s\n", e.what());
        }
        if (now - last_housekeeping_ >= kHousekeepingSeconds) {
          last_housekeeping_ = now;
          housekeeping(/*wait=*/false);
        }
      }
      if (!jobs_.empty() || queued_ > 0 || active_sweeps_ > 0 || owned_endpoints_ > 0)
        idle_since = now;
      if (now - idle_since >= options_.idle_exit_seconds) return;
    }
  }

 public:
  // Once space has returned after a full disk: the reserve is made again, and what ended runs
  // could not store is stored now — on a thread of its own with its own store connection (it
  // may copy gigabytes), so that the other jobs' output, timers and cancels go on meanwhile.
  void housekeeping(bool wait) {
    if (housekeeping_.valid()) {
      if (!wait && housekeeping_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        return;  // the last pass is still storing
      housekeeping_.get();
    }
    try {
      housekeeping_ = std::async(std::launch::async, [root = ws_.root()] {
        std::optional<Workspace> own;
        try {
          own.emplace(Workspace::open(root));
          if (compute::ensure_reserve(root) && compute::recover_kept_runs(*own) > 0)
            std::fprintf(stderr, "glia agent: stored what ended runs had kept\n");
        } catch (const std::exception& e) {
          std::fprintf(stderr, "glia agent: storing kept runs: %s\n", e.what());
        }
        try {  // interactive runs whose `glia run track` process is gone: ended Failed
          if (own) reconcile_interactive_runs(*own);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "glia agent: interactive runs: %s\n", e.what());
        }
      });
    } catch (const std::system_error& e) {  // no thread to be had now: the next pass
      std::fprintf(stderr, "glia agent: storing kept runs: %s\n", e.what());
      return;
    }
    if (wait) housekeeping_.get();
  }

 private:
  std::future<void> housekeeping_;
  static constexpr double kHousekeepingSeconds = 5;
  double last_housekeeping_ = 0;

  void reap() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (endpoints_.exited(pid, status)) continue;
      for (auto& job : jobs_)
        if (job->pid() == pid) job->exited(status, steady_now());
    }
  }

  void handle_cancel_requests() {
    RunFilter f;
    f.status = RunStatus::CancelRequested;
    f.submitter_uid = uid_;
    f.limit = 10000;
    for (const RunRecord& r : ws_.store().list_runs(f)) {
      if (r.spec.empty() || r.is_sweep()) continue;  // a sweep's cancel: SweepDriver
      auto it = std::find_if(jobs_.begin(), jobs_.end(), [&](auto& j) { return j->id() == r.id; });
      if (it != jobs_.end())
        (*it)->request_cancel(steady_now());
      else  // still queued, or its process already ended
        compute::finish_run(ws_, r.id, RunStatus::Canceled, std::nullopt,
                            r.pid ? "canceled" : "canceled before it started");
    }
  }

  // Starts what the targets' limits allow. Counting a target's jobs and claiming queued ones
  // (Queued -> Preparing) happen under the workspace's queue lock, which every user's agent
  // takes, so that between them they never start more than max_concurrent. The cores are shared
  // by every job running once these have started (across targets and users): each new job gets
  // its share of them.
  void start_queued() {
    std::vector<std::pair<RunRecord, std::optional<int64_t>>> starting;  // run, target threads
    std::set<std::string> skip;  // runs counted through jobs_ or `starting`
    for (const auto& job : jobs_) skip.insert(job->id());
    const double now = steady_now();
    int64_t queued_total = 0;
    {
      compute::AgentLock queue(compute::queue_lock_path(ws_.root()), kQueueLockWaitSeconds);
      if (!queue.held()) return;  // another agent holds it for long: next tick
      std::map<int64_t, bool> alive;
      const auto targets = ws_.store().list_computes();
      // Runs this agent claimed but could not launch (a launch that threw): launched again,
      // in a while. No other agent can take them, and they hold their target's slots.
      RunFilter claimed_before;
      claimed_before.status = RunStatus::Preparing;
      claimed_before.submitter_uid = uid_;
      claimed_before.limit = 10000;
      for (RunRecord& r : ws_.store().list_runs(claimed_before)) {
        if (r.spec.empty() || r.is_sweep() || skip.count(r.id)) continue;
        if (auto it = retry_at_.find(r.id); it != retry_at_.end() && now < it->second) {
          ++queued_total;  // work waiting: the agent stays
          continue;
        }
        std::optional<int64_t> threads;
        for (const auto& t : targets)
          if (t.name == r.compute) threads = t.threads_per_job;
        skip.insert(r.id);
        starting.emplace_back(std::move(r), threads);
      }
      for (const ComputeTarget& target : targets) {
        int64_t running = std::count_if(jobs_.begin(), jobs_.end(),
                                        [&](auto& j) { return j->compute() == target.name; }) +
                          std::count_if(starting.begin(), starting.end(),
                                        [&](auto& s) { return s.first.compute == target.name; }) +
                          active_runs(target.name, active_statuses(), skip, alive);
        RunFilter f;
        f.status = RunStatus::Queued;
        f.compute = target.name;
        f.submitter_uid = uid_;
        f.oldest_first = true;
        f.limit = 10000;
        auto queued = ws_.store().list_runs(f);
        std::erase_if(queued, [](const RunRecord& r) { return r.is_sweep(); });  // no process
        queued_total += static_cast<int64_t>(queued.size());
        for (size_t i = 0; i < queued.size() && running < target.max_concurrent; ++i) {
          try {
            if (!compute::claim_run(ws_.store(), queued[i].id)) continue;  // canceled meanwhile
          } catch (const std::exception& e) {  // the store busy or full: the rest wait
            std::fprintf(stderr, "glia agent: starting %s: %s\n", queued[i].id.c_str(), e.what());
            break;
          }
          queued[i].status = RunStatus::Preparing;
          skip.insert(queued[i].id);
          starting.emplace_back(std::move(queued[i]), target.threads_per_job);
          ++running;
          --queued_total;
        }
      }
    }  // claimed: the others see them as Preparing; preparing them needs no lock
    queued_ = queued_total;
    if (starting.empty()) return;
    compute::ThreadContext threads;
    threads.cores = compute::usable_cores();
    threads.jobs_at_once =
        static_cast<int64_t>(starting.size()) +
        std::count_if(jobs_.begin(), jobs_.end(), [](auto& j) { return j->process_running(); });
    try {
      std::map<int64_t, bool> alive;
      threads.jobs_at_once += active_runs(std::nullopt,
                                          {RunStatus::Preparing, RunStatus::Starting,
                                           RunStatus::Running, RunStatus::CancelRequested},
                                          skip, alive);
    } catch (const std::exception& e) {  // the store busy: the share counts this agent's jobs
      std::fprintf(stderr, "glia agent: counting other users' jobs: %s\n", e.what());
    }
    for (auto& [run, target_threads] : starting) {
      threads.target_threads = target_threads;
      try {
        auto job = RunningJob::launch(ws_, run, options_, now, threads);
        if (job) jobs_.push_back(std::move(job));
        retry_at_.erase(run.id);
      } catch (const std::exception& e) {  // not even its failure could be recorded: later
        std::fprintf(stderr, "glia agent: starting %s: %s\n", run.id.c_str(), e.what());
        retry_at_[run.id] = now + kLaunchRetrySeconds;
      }
    }
  }

  // Job runs in one of `statuses`, on `compute` or on any target, other than those in `skip`:
  // this user's, and those of other users whose agent is alive (a dead agent's runs wait for
  // their user's next command, and must not hold a target's slots meanwhile). `alive` caches
  // the agents probed.
  int64_t active_runs(const std::optional<std::string>& compute,
                      const std::vector<RunStatus>& statuses, const std::set<std::string>& skip,
                      std::map<int64_t, bool>& alive) {
    RunFilter f;
    f.any_status = statuses;
    f.compute = compute;
    f.limit = 100000;
    int64_t n = 0;
    for (const RunRecord& r : ws_.store().list_runs(f)) {
      if (r.spec.empty() || r.is_sweep() || skip.count(r.id))
        continue;  // not a job with a process, or counted already
      if (r.submitter_uid && *r.submitter_uid != uid_) {
        auto it = alive.find(*r.submitter_uid);
        if (it == alive.end())
          it = alive.emplace(*r.submitter_uid, compute::agent_alive(ws_.root(), *r.submitter_uid))
                   .first;
        if (!it->second) continue;
      }
      ++n;
    }
    return n;
  }

  static constexpr double kLaunchRetrySeconds = 5;
  std::map<std::string, double> retry_at_;  // runs whose launch threw, and when to try again
  static constexpr double kQueueLockWaitSeconds = 2;
  Workspace ws_;
  AgentOptions options_;
  const int64_t uid_ = ::geteuid();  // this agent runs its own user's jobs only

 public:
  // Jobs a previous agent submitted to Slurm that are still active: followed again, not ended.
  void adopt_slurm_jobs() {
    RunFilter f;
    f.any_status = active_statuses();
    f.submitter_uid = uid_;
    f.limit = 100000;
    for (const RunRecord& r : ws_.store().list_runs(f)) {
      if (r.spec.empty() || r.is_sweep() || !r.properties.count(compute::kSlurmJobIdProperty))
        continue;
      if (std::any_of(jobs_.begin(), jobs_.end(), [&](auto& j) { return j->id() == r.id; }))
        continue;
      try {
        if (auto job = RunningJob::adopt(ws_, r, options_, steady_now()))
          jobs_.push_back(std::move(job));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "glia agent: following %s again: %s\n", r.id.c_str(), e.what());
      }
    }
  }

  bool work_waiting() {
    RunFilter f;
    f.submitter_uid = uid_;
    f.any_status = {RunStatus::Queued, RunStatus::CancelRequested, RunStatus::Running};
    f.limit = 100000;
    for (const RunRecord& r : ws_.store().list_runs(f))  // Running: only a sweep waits here
      if (r.status != RunStatus::Running || r.is_sweep()) return true;
    f.any_status = active_statuses();  // a job Slurm runs, submitted by an agent now gone
    for (const RunRecord& r : ws_.store().list_runs(f))
      if (r.properties.count(compute::kSlurmJobIdProperty)) return true;
    for (const EndpointRecord& e : ws_.store().list_endpoints())  // served until deleted
      if (e.owner_uid == uid_) return true;
    return false;
  }

 private:
  std::vector<std::unique_ptr<RunningJob>> jobs_;
  int64_t queued_ = 0;
  compute::SweepDriver sweeps_;
  int64_t active_sweeps_ = 0;
  compute::EndpointSupervisor endpoints_;
  int64_t owned_endpoints_ = 0;
};

}  // namespace

bool run_local_agent(const fs::path& root, const AgentOptions& options) {
  const auto files = compute::agent_files(root);
  // The lock comes before the store: an agent that is not needed holds nothing while it waits.
  // A CLI may hold the lock while it reconciles a dead agent's runs (reading their tracking
  // files can take seconds): wait for it rather than leave queued jobs without an agent.
  compute::AgentLock lock(files, 60.0);
  if (!lock.held()) return false;
  Workspace ws = Workspace::open(root);
  write_shared_file(files.pid(), std::to_string(::getpid()) + "\n");
  ::signal(SIGPIPE, SIG_IGN);
  compute::reconcile_orphans(ws);
  compute::ensure_reserve(ws.root());  // kept runs are stored by the first housekeeping pass
  Agent agent(ws, options);
  agent.adopt_slurm_jobs();
  for (;;) {
    const int wake_fd = compute::open_wake_reader(files);
    agent.run(wake_fd);
    // Stop taking wake-ups first, then look once more: a job queued before a CLI's wake-up
    // that this agent no longer saw is found here; after this, CLIs start a new agent.
    ::close(wake_fd);
    if (!agent.work_waiting()) break;
  }
  agent.housekeeping(/*wait=*/true);  // last: what kept runs left, if there is room now
  std::error_code ec;
  fs::remove(files.pid(), ec);
  return true;
}

}  // namespace glia::platform
