#include "compute/finish.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#include "compute/disk_reserve.hpp"
#include "compute/job_process.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/interactive_run.hpp"
#include "glia/platform/run_dir.hpp"
#include "glia/platform/run_file_tree.hpp"
#include "glia/platform/shared_files.hpp"
#include "glia/platform/tracking.hpp"

namespace glia::platform::compute {

namespace fs = std::filesystem;

namespace {

// Every regular file under `dir`, stored and named "<prefix>/<relative path>".
void collect_tree(ArtifactStore& artifacts, const fs::path& dir, const std::string& prefix,
                  std::vector<RunFile>& files) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    const std::string rel = fs::relative(it->path(), dir, ec).generic_string();
    uint64_t size = 0;
    const std::string hash = artifacts.put_file(it->path(), &size);
    files.push_back({prefix + "/" + rel, hash, static_cast<int64_t>(size), now_seconds()});
  }
}

}  // namespace

void append_system_log(const fs::path& workspace_root, const std::string& run_id,
                       const std::string& line) {
  const RunDir dir = run_dir(workspace_root, run_id);
  try {  // best effort, as ever: the line also goes to the run's error where it matters
    create_shared_folders(dir.std_log().parent_path());
    append_shared_file(dir.std_log(), "[glia] " + line + "\n");
  } catch (const Error&) {
  }
}

namespace {

// Run properties of a kept folder: where it was kept, and when what it held was stored.
constexpr const char* kKeptIn = "kept_in";
constexpr const char* kKeptStoredAt = "kept_stored_at";
// A terminal run's folder older than this with no kept_in was left behind by a finisher that died.
constexpr double kLeftBehindSeconds = 600;

bool is_no_space(const std::exception& e) {
  const auto* err = dynamic_cast<const Error*>(&e);
  return err && err->kind() == ErrorKind::NoSpace;
}

void add_reason(std::string& err, const std::string& reason) {
  err += std::string(err.empty() ? "" : "; ") + reason;
}

// Applies what is left of the tracking file. Returns "" or what went wrong; *no_space says
// whether the disk was full. Failures other than a full disk are retried a few times (the
// store may be busy for a while).
// Where relative paths of image/file records resolve: the job's working directory, or the
// folder an interactive run's tracker was given.
fs::path records_dir(const RunDir& dir, const std::optional<RunRecord>& run) {
  if (run)
    if (auto it = run->properties.find(kTrackerWorkDir); it != run->properties.end())
      if (run->job_type == kInteractiveJobType && !it->second.empty()) return it->second;
  return dir.work();
}

std::string apply_tracking(Workspace& ws, const std::string& run_id, ArtifactStore& artifacts,
                           bool* no_space) {
  const RunDir dir = run_dir(ws.root(), run_id);
  for (int attempt = 1;; ++attempt) {
    try {
      TrackingReader tracking(dir.tracking(), records_dir(dir, ws.store().find_run(run_id)),
                              artifacts);
      tracking.ingest(ws.store(), run_id, /*final=*/true);
      for (const auto& p : tracking.take_problems()) append_system_log(ws.root(), run_id, p);
      return "";
    } catch (const std::exception& e) {
      *no_space = is_no_space(e);
      if (!*no_space && attempt < 3) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      return e.what();
    }
  }
}

// Stores ./outputs, ./logs and the live log as the run's files. Returns "" or what went wrong.
std::string collect_files(Workspace& ws, const std::string& run_id, ArtifactStore& artifacts,
                          bool* no_space) {
  const RunDir dir = run_dir(ws.root(), run_id);
  try {
    std::vector<RunFile> files;
    collect_tree(artifacts, dir.work() / "outputs", "outputs", files);
    collect_tree(artifacts, dir.work() / "logs", "logs", files);
    // A path the job also logged as a file (MLflow's log_artifact, a tracking file record) while
    // its folder holds a folder of that name, or the other way round: the store refuses such a
    // batch whole, which would fail a completed job and keep it for recovery forever. The
    // clashing files are left out and said in the run's log (before it is stored), as the
    // tracking reader does.
    for (const auto& clash : drop_run_file_clashes(ws.store(), run_id, files))
      append_system_log(ws.root(), run_id, clash.second);
    if (fs::is_regular_file(dir.std_log())) {
      uint64_t size = 0;
      const std::string hash = artifacts.put_file(dir.std_log(), &size);
      files.push_back({kStdLogName, hash, static_cast<int64_t>(size), now_seconds()});
    }
    ws.store().add_run_files(run_id, files);  // one transaction: all of them or none
    return "";
  } catch (const std::exception& e) {
    *no_space = is_no_space(e);
    return e.what();
  }
}

std::string iso_time_utc(double seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool files_collected(Store& store, const std::string& run_id) {
  for (const RunFile& f : store.run_files(run_id))
    if (f.path == kStdLogName) return true;  // stored last, with the others
  return false;
}

// Removes a run's folder. Dataset views are read-only folders: every folder of the run is made
// writable again first — never following a symbolic link (the job may have planted one, e.g. to
// a blob).
void remove_run_folder(const fs::path& root) {
  std::error_code ec;
  if (fs::symlink_status(root, ec).type() == fs::file_type::directory) {
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code entry_ec;
      if (it->symlink_status(entry_ec).type() != fs::file_type::directory) continue;
      const int fd = ::open(it->path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        ::fchmod(fd, 0755);
        ::close(fd);
      }
    }
  }
  fs::remove_all(root, ec);
}

}  // namespace

void finish_run(Workspace& ws, const std::string& run_id, RunStatus status,
                std::optional<int> exit_code, const std::string& error) {
  Store& store = ws.store();
  const RunDir dir = run_dir(ws.root(), run_id);
  auto artifacts = ws.artifacts();
  std::string err = error;
  bool no_space = false;
  // A full disk keeps the folder (tracking file, outputs, logs) for recover_kept_runs, which
  // stores what is left once space returns: nothing a client was told was written is lost.
  bool keep_folder = false;
  if (std::string what = apply_tracking(ws, run_id, artifacts, &no_space); !what.empty()) {
    keep_folder = true;
    add_reason(err, no_space ? "disk full while storing tracked values (" + what + ")"
                             : "applying the tracking file failed (" + what + ")");
  }
  if (!no_space) {
    if (std::string what = collect_files(ws, run_id, artifacts, &no_space); !what.empty()) {
      keep_folder = true;
      add_reason(err, no_space ? "disk full while storing outputs (" + what + ")"
                               : "collecting outputs failed: " + what);
    }
  } else {
    add_reason(err, "disk full while storing outputs");
  }
  if (keep_folder) {
    if (status == RunStatus::Completed) status = RunStatus::Failed;
    if (exit_code) add_reason(err, "the job itself exited with code " + std::to_string(*exit_code));
    add_reason(err, "what was not stored was kept in " + dir.root.string() +
                        " to be stored once there is room (the run's properties kept_in and "
                        "kept_stored_at say where and when)");
    append_system_log(ws.root(), run_id, err);
  }
  // The final status needs a few pages of the store: on a full disk, the reserve makes room.
  if (no_space) release_reserve(ws.root());
  if (keep_folder) {  // what recover_kept_runs looks for (a folder alone may be a finish under way)
    try {
      store.add_properties(run_id, {{kKeptIn, dir.root.string()}});
    } catch (const std::exception& e) {  // found later by its age instead
      std::fprintf(stderr, "glia: run %s: recording where it was kept: %s\n", run_id.c_str(),
                   e.what());
    }
  }
  auto current = store.find_run(run_id);
  if (current && current->status == RunStatus::CancelRequested && status != RunStatus::Canceled) {
    status = RunStatus::Canceled;  // the cancel was asked before the job could end by itself
    if (err.empty()) err = "canceled";
  }
  if (current && status == RunStatus::Canceled)  // Glia canceled it: say why
    if (auto it = current->properties.find(kCancelReasonProperty);
        it != current->properties.end() && !keep_folder)
      err = it->second;
  if (current && !is_terminal(current->status)) {
    for (int attempt = 1;; ++attempt) {
      try {
        store.set_status(run_id, status, now_seconds(), exit_code, err);
        break;
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::Conflict) break;  // ended by someone else: their status stands
        if (e.kind() != ErrorKind::NoSpace || attempt > 1 || !release_reserve(ws.root()))
          throw;  // the caller tries again later
      }
    }
  }
  if (!keep_folder) remove_run_folder(dir.root);
}

int recover_kept_runs(Workspace& ws) {
  require_local_workspace(ws, "its jobs are run and watched");
  const fs::path runs = ws.root() / ".glia" / "runs";
  std::error_code ec;
  if (!fs::is_directory(runs, ec)) return 0;
  Store& store = ws.store();
  auto artifacts = ws.artifacts();
  int n = 0;
  for (const auto& entry : fs::directory_iterator(runs, ec)) {
    const std::string id = entry.path().filename().string();
    const auto run = store.find_run(id);
    if (!run || !is_terminal(run->status)) continue;  // a job still going, or not a run folder
    if (run->submitter_uid && *run->submitter_uid != ::geteuid()) continue;  // its user's agent's
    // Kept on purpose, or left behind long ago (a finisher that died before removing it); a
    // folder that just ended without either is being removed by its finisher.
    const bool kept = run->properties.count(kKeptIn) && !run->properties.count(kKeptStoredAt);
    if (!kept && !(run->ended_at && now_seconds() - *run->ended_at > kLeftBehindSeconds)) continue;
    bool no_space = false;
    std::string what = apply_tracking(ws, id, artifacts, &no_space);
    if (what.empty() && !files_collected(store, id))
      what = collect_files(ws, id, artifacts, &no_space);
    if (!what.empty()) {  // left for the next call
      std::fprintf(stderr, "glia agent: run %s: still cannot store what it kept: %s\n", id.c_str(),
                   what.c_str());
      continue;
    }
    if (kept) {
      try {  // the run's error says its folder was kept: say when what it held was stored
        store.add_properties(id, {{kKeptStoredAt, iso_time_utc(now_seconds())}});
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::Conflict) throw;  // recorded already (by an earlier pass)
      }
    }
    remove_run_folder(entry.path());
    ++n;
  }
  return n;
}

int reconcile_orphans(Workspace& ws) {
  require_local_workspace(ws, "its jobs are run and watched");
  Store& store = ws.store();
  RunFilter f;
  f.any_status = active_statuses();
  f.submitter_uid = ::geteuid();  // the caller holds this user's agent lock
  f.limit = 100000;
  int n = 0;
  for (const RunRecord& r : store.list_runs(f)) {
    if (r.spec.empty()) continue;  // a run its own program started: not the agent's
    if (r.is_sweep()) continue;    // no process: the next agent drives it on
    if (r.properties.count("slurm_job_id")) continue;  // Slurm runs it: the next agent adopts it
    if (r.status == RunStatus::CancelRequested && !r.pid) {
      finish_run(ws, r.id, RunStatus::Canceled, std::nullopt, "canceled before it started");
      ++n;
      continue;
    }
    if (r.pid) signal_group(static_cast<pid_t>(*r.pid), r.pid_start, SIGKILL);
    const std::string agent =
        r.agent_pid ? "the agent (pid " + std::to_string(*r.agent_pid) + ")" : "the agent";
    const std::string why = agent + " stopped while the job was " + to_string(r.status) +
                            "; the job's processes were ended";
    append_system_log(ws.root(), r.id, why);
    try {
      store.add_properties(r.id, {{kAgentLostProperty, agent}});
    } catch (const Error& e) {  // set by an earlier try: it stands
      if (e.kind() != ErrorKind::Conflict) throw;
    }
    finish_run(ws, r.id,
               r.status == RunStatus::CancelRequested ? RunStatus::Canceled : RunStatus::Failed,
               std::nullopt, why);
    ++n;
  }
  // Interactive runs are their `glia run track` process's, never the agent's: ended only once
  // that process is gone.
  return n + reconcile_interactive_runs(ws);
}

}  // namespace glia::platform::compute
