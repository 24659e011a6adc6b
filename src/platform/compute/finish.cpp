#include "compute/finish.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "compute/job_process.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/run_dir.hpp"
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
  std::error_code ec;
  fs::create_directories(dir.std_log().parent_path(), ec);
  std::ofstream(dir.std_log(), std::ios::app) << "[glia] " << line << "\n";
}

void finish_run(Workspace& ws, const std::string& run_id, RunStatus status,
                std::optional<int> exit_code, const std::string& error) {
  Store& store = ws.store();
  const RunDir dir = run_dir(ws.root(), run_id);
  ArtifactStore artifacts(ws.artifacts_path());
  std::string err = error;
  bool keep_folder = false;
  for (int attempt = 1;; ++attempt) {  // store busy, disk full: retry before giving up
    try {
      TrackingReader tracking(dir.tracking(), dir.work(), artifacts);
      tracking.ingest(store, run_id, /*final=*/true);
      for (const auto& p : tracking.take_problems()) append_system_log(ws.root(), run_id, p);
      break;
    } catch (const std::exception& e) {
      if (attempt < 3) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      // Never delete records a client was told were written: keep the folder and say where.
      keep_folder = true;
      if (status == RunStatus::Completed) status = RunStatus::Failed;
      err += std::string(err.empty() ? "" : "; ") + "applying the tracking file failed (" +
             e.what() + "); it is kept at " + dir.tracking().string();
      append_system_log(ws.root(), run_id, err);
      break;
    }
  }
  try {
    std::vector<RunFile> files;
    collect_tree(artifacts, dir.work() / "outputs", "outputs", files);
    collect_tree(artifacts, dir.work() / "logs", "logs", files);
    if (fs::is_regular_file(dir.std_log())) {
      uint64_t size = 0;
      const std::string hash = artifacts.put_file(dir.std_log(), &size);
      files.push_back({kStdLogName, hash, static_cast<int64_t>(size), now_seconds()});
    }
    store.add_run_files(run_id, files);
  } catch (const std::exception& e) {
    if (status == RunStatus::Completed) status = RunStatus::Failed;
    err += std::string(err.empty() ? "" : "; ") + "collecting outputs failed: " + e.what();
  }
  auto current = store.find_run(run_id);
  if (current && current->status == RunStatus::CancelRequested && status != RunStatus::Canceled) {
    status = RunStatus::Canceled;  // the cancel was asked before the job could end by itself
    if (err.empty()) err = "canceled";
  }
  if (current && !is_terminal(current->status)) {
    try {
      store.set_status(run_id, status, now_seconds(), exit_code, err);
    } catch (const Error&) {  // ended by someone else in the meantime
    }
  }
  std::error_code ec;
  if (keep_folder) return;
  // Dataset views are read-only folders: make every folder of the run writable again so it can
  // be removed — never following a symbolic link (the job may have planted one, e.g. to a blob).
  if (fs::symlink_status(dir.root, ec).type() == fs::file_type::directory) {
    for (auto it = fs::recursive_directory_iterator(dir.root, ec);
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
  fs::remove_all(dir.root, ec);
}

int reconcile_orphans(Workspace& ws) {
  Store& store = ws.store();
  RunFilter f;
  f.any_status = active_statuses();
  f.limit = 100000;
  int n = 0;
  for (const RunRecord& r : store.list_runs(f)) {
    if (r.spec.empty()) continue;  // a run its own program started: not the agent's
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
    finish_run(ws, r.id,
               r.status == RunStatus::CancelRequested ? RunStatus::Canceled : RunStatus::Failed,
               std::nullopt, why);
    ++n;
  }
  return n;
}

}  // namespace glia::platform::compute
