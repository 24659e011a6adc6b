#include "glia/platform/interactive_run.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <system_error>

#include "compute/finish.hpp"
#include "compute/job_process.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/environment.hpp"
#include "glia/platform/experiment_names.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

std::optional<int64_t> number_property(const RunRecord& run, const char* key) {
  const auto it = run.properties.find(key);
  if (it == run.properties.end()) return std::nullopt;
  try {
    size_t used = 0;
    const int64_t v = std::stoll(it->second, &used);
    if (used != it->second.size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string property(const RunRecord& run, const char* key) {
  const auto it = run.properties.find(key);
  return it == run.properties.end() ? std::string() : it->second;
}

}  // namespace

TrackerEnding parse_tracker_line(std::string line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
    line.pop_back();
  TrackerEnding e;
  if (line == "complete") {
    e.status = RunStatus::Completed;
  } else if (line == "cancel") {
    e.status = RunStatus::Canceled;
    e.error = "canceled";
  } else if (line == "fail" || line.rfind("fail ", 0) == 0 || line.rfind("fail\t", 0) == 0) {
    e.status = RunStatus::Failed;
    e.error = line.size() > 5 ? line.substr(5) : "";
    const size_t start = e.error.find_first_not_of(" \t");
    e.error = start == std::string::npos ? "" : e.error.substr(start);
    if (e.error.empty()) e.error = "failed (no message given)";
  } else {
    throw Error("stdin line " + quote_bytes(line) + ": expected complete, fail MESSAGE or cancel");
  }
  return e;
}

void TrackerInput::feed(const char* data, size_t n, std::vector<std::string>& warnings) {
  pending_.append(data, n);
  for (size_t nl; (nl = pending_.find('\n')) != std::string::npos;) {
    std::string line = pending_.substr(0, nl);
    pending_.erase(0, nl + 1);
    take(std::move(line), warnings);
  }
  if (pending_.size() > kMaxLine) {  // a runaway writer: what it wrote is no ending line
    if (!discarding_)
      warnings.push_back("a stdin line longer than " + std::to_string(kMaxLine) +
                         " bytes; ignored");
    pending_.clear();
    discarding_ = true;
  }
}

void TrackerInput::take(std::string line, std::vector<std::string>& warnings) {
  if (discarding_) {  // the rest of the over-long line
    discarding_ = false;
    return;
  }
  if (line.find_first_not_of(" \t\r") == std::string::npos) return;  // blank: nothing said
  try {
    TrackerEnding e = parse_tracker_line(std::move(line));
    if (ending_) {
      warnings.push_back("a second ending line on stdin (" + to_string(e.status) + ") after " +
                         to_string(ending_->status) + "; the first one stands");
      return;
    }
    ending_ = std::move(e);
  } catch (const Error& err) {
    warnings.push_back(std::string(err.what()) + "; ignored");
  }
}

TrackerEnding TrackerInput::at_eof(std::vector<std::string>& warnings) {
  if (!pending_.empty() && !discarding_) {  // a last line without its newline counts
    std::string line;
    line.swap(pending_);
    take(std::move(line), warnings);
  }
  if (ending_) return *ending_;
  return {RunStatus::Failed, kNoEndingError};
}

MachineId MachineId::current() {
  MachineId id;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) id.host = host;
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::getline(in, id.boot_id);
  id.uid = static_cast<int64_t>(::geteuid());
  char ns[64] = {};
  if (const ssize_t n = ::readlink("/proc/self/ns/pid", ns, sizeof ns - 1); n > 0)
    id.pid_ns.assign(ns, static_cast<size_t>(n));
  return id;
}

RunRecord start_interactive_run(Workspace& ws, const InteractiveRunOptions& options) {
  check_experiment_name(options.experiment);
  NewRun run;
  run.experiment = options.experiment;
  run.display_name = options.display_name;
  run.tags = options.tags;
  run.job_type = kInteractiveJobType;
  run.id = make_run_id(options.experiment);
  const SubmittingUser user = current_user();
  run.submitter_uid = user.uid;
  run.submitter_name = user.name;
  const MachineId here = MachineId::current();
  const pid_t pid = ::getpid();
  run.properties = {
      {kTrackerHost, here.host},
      {kTrackerBootId, here.boot_id},
      {kTrackerPid, std::to_string(pid)},
      {kTrackerPidStart, std::to_string(compute::process_start_ticks(pid).value_or(0))},
      {kTrackerPidNamespace, here.pid_ns},
      {kTrackerUid, std::to_string(here.uid)},
      {kTrackerWorkspace, ws.root().string()},
      {kTrackerWorkDir, options.work_dir.string()},
  };
  // The folder first: a run the store shows Running always has its tracking file.
  const RunDir dir = run_dir(ws.root(), run.id);
  try {
    create_shared_folders(dir.scratch());
    append_shared_file(dir.tracking(), "");
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir.root, ec);
    throw;
  }
  run.start = now_seconds();  // created Running in one write: never left NotStarted
  try {
    return ws.store().create_run(run);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir.root, ec);
    throw;
  }
}

void end_interactive_run(Workspace& ws, const std::string& run_id, RunStatus status,
                         const std::string& error) {
  compute::finish_run(ws, run_id, status, std::nullopt, error);
}

ProcessState process_in_namespace(const std::string& ns, pid_t pid) {
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    char link[64] = {};
    const std::string dir = "/proc/" + name;
    const ssize_t n = ::readlink((dir + "/ns/pid").c_str(), link, sizeof link - 1);
    if (n <= 0 || std::string(link, static_cast<size_t>(n)) != ns) continue;
    std::ifstream status(dir + "/status");
    std::string line;
    while (std::getline(status, line) && line.rfind("NSpid:", 0) != 0) {
    }
    // "NSpid:\t<here>\t...\t<in its own namespace>": the last is the pid `ns` calls it.
    const size_t last = line.find_last_of(" \t");
    if (line.rfind("NSpid:", 0) != 0 || last == std::string::npos ||
        line.substr(last + 1) != std::to_string(pid))
      continue;
    const auto s = compute::process_stat(static_cast<pid_t>(std::stoll(name)));
    if (!s) return std::nullopt;
    return std::make_pair(s->state, s->start_ticks);
  }
  return std::nullopt;
}

TrackerState tracker_state(const RunRecord& run, const MachineId& here,
                           const std::function<ProcessState(pid_t)>& stat,
                           const std::function<bool(const fs::path&)>& same_workspace,
                           const std::function<ProcessState(const std::string&, pid_t)>& stat_in) {
  const auto pid = number_property(run, kTrackerPid);
  const auto start = number_property(run, kTrackerPidStart);
  const auto uid = number_property(run, kTrackerUid);
  const std::string host = property(run, kTrackerHost), boot = property(run, kTrackerBootId),
                    folder = property(run, kTrackerWorkspace);
  if (!pid || !start || !uid || host.empty() || folder.empty()) return TrackerState::Elsewhere;
  if (host != here.host || *uid != here.uid || !same_workspace(folder))
    return TrackerState::Elsewhere;
  if (boot != here.boot_id) return TrackerState::Gone;  // this machine restarted since
  // Another pid namespace's pid (recorded since tracker_pid_ns exists): not one of ours, unless
  // this is the first namespace, which sees them all.
  ProcessState now;
  if (const std::string ns = property(run, kTrackerPidNamespace);
      !ns.empty() && !here.pid_ns.empty() && ns != here.pid_ns) {
    if (here.pid_ns != kInitPidNamespace || !stat_in) return TrackerState::Elsewhere;
    now = stat_in(ns, static_cast<pid_t>(*pid));
  } else {
    now = stat(static_cast<pid_t>(*pid));
  }
  if (!now || now->first == 'Z' || now->first == 'X' || now->second != *start)
    return TrackerState::Gone;  // no such process, a zombie, or the pid reused
  return TrackerState::Alive;
}

namespace {

// Ends `r` Failed when its tracker on this machine is gone. Returns whether it ended it; a
// failure to end it now is reported on stderr and left for the next reconciliation.
bool reconcile_one(Workspace& ws, const RunRecord& r, const MachineId& here) {
  if (r.job_type != kInteractiveJobType || is_terminal(r.status)) return false;
  const auto stat = [](pid_t pid) -> ProcessState {
    const auto s = compute::process_stat(pid);
    if (!s) return std::nullopt;
    return std::make_pair(s->state, s->start_ticks);
  };
  const auto same_workspace = [&ws](const fs::path& folder) {
    std::error_code ec;
    return folder == ws.root() || fs::equivalent(folder, ws.root(), ec);
  };
  if (tracker_state(r, here, stat, same_workspace, process_in_namespace) != TrackerState::Gone)
    return false;
  // One reconciler of a run at a time (a connected folder's commands hold no agent lock): a lock
  // on its folder, held until it is ended (and the folder removed).
  const int lock =
      ::open(run_dir(ws.root(), r.id).root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct Unlock {
    int fd;
    ~Unlock() {
      if (fd >= 0) ::close(fd);  // releases the lock
    }
  } unlock{lock};
  if (lock >= 0)
    while (::flock(lock, LOCK_EX) != 0 && errno == EINTR) {
    }
  // `r` may be a listing's, read before its tracker ended the run and exited, or before another
  // reconciler ended it: read again now that the tracker is known gone (it can end nothing
  // more) and the lock held, and leave a run that has ended alone.
  if (const auto now = ws.store().find_run(r.id); !now || is_terminal(now->status)) return false;
  const std::string why = "its tracker (glia run track, pid " + property(r, kTrackerPid) + " on " +
                          property(r, kTrackerHost) + ") ended without ending the run";
  try {
    compute::append_system_log(ws.root(), r.id, why);
    compute::finish_run(ws, r.id, RunStatus::Failed, std::nullopt, why);
    return true;
  } catch (const std::exception& e) {  // the next reconciliation tries again
    std::fprintf(stderr, "glia: ending run %s, whose tracker is gone: %s\n", r.id.c_str(),
                 e.what());
    return false;
  }
}

}  // namespace

int reconcile_interactive_runs(Workspace& ws) {
  RunFilter f;
  f.any_status = active_statuses();
  f.limit = 100000;
  const MachineId here = MachineId::current();
  int n = 0;
  for (const RunRecord& r : ws.store().list_runs(f)) n += reconcile_one(ws, r, here);
  return n;
}

bool reconcile_interactive_run(Workspace& ws, const RunRecord& listed) {
  return reconcile_one(ws, listed, MachineId::current());
}

bool reconcile_interactive_run(Workspace& ws, const std::string& run_id) {
  return reconcile_interactive_run(ws, ws.store().get_run(run_id));
}

}  // namespace glia::platform
