#include "cli/common.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/interactive_run.hpp"
#include "glia/platform/local_agent.hpp"

namespace glia::cli {

namespace fs = std::filesystem;

fs::path normalized_path(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) p = path;
  p = p.lexically_normal();
  // "ws/" normalizes to "…/ws/": the folder is "…/ws" (its name is "ws", not "").
  if (!p.has_filename() && p.has_relative_path()) p = p.parent_path();
  return p;
}

platform::Workspace open_workspace(const std::string& dir) {
  std::optional<fs::path> explicit_dir;
  if (!dir.empty()) explicit_dir = normalized_path(dir);
  auto ws = platform::Workspace::find(explicit_dir);
  if (ws.is_remote()) return ws;  // its server runs the agents
  platform::reconcile_if_no_agent(ws);
  if (!platform::agent_running(ws.root())) {  // a sweep a dead agent was driving goes on now,
    platform::RunFilter f;                    // and a job Slurm runs is followed again
    f.any_status = platform::active_statuses();
    f.submitter_uid = ::geteuid();
    f.limit = 100000;
    for (const auto& r : ws.store().list_runs(f))
      if ((r.status == platform::RunStatus::Running && r.is_sweep()) ||
          r.properties.count("slurm_job_id")) {
        ensure_agent(ws);
        break;
      }
  }
  return ws;
}

std::string format_duration(double seconds) {
  char buf[32];
  if (seconds < 60)
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  else if (seconds < 3600)
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(seconds) / 60,
                  static_cast<int>(seconds) % 60);
  else
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(seconds) / 3600,
                  static_cast<int>(seconds) % 3600 / 60);
  return buf;
}

std::map<std::string, std::string> key_value_options(const std::vector<std::string>& given,
                                                     const std::string& option) {
  std::map<std::string, std::string> out;
  for (const std::string& g : given) {
    const auto eq = g.find('=');
    if (eq == 0 || eq == std::string::npos)
      throw Error(option + " " + quote_bytes(g) + ": expected KEY=VALUE");
    out[g.substr(0, eq)] = g.substr(eq + 1);
  }
  return out;
}

std::string mb(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

void print_json(const nlohmann::json& j) {
  std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

std::string current_user() {
  if (const char* u = std::getenv("USER"); u && *u) return u;
  return "uid " + std::to_string(::getuid());
}

fs::path tool_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

PythonDirs python_dirs() {
  const fs::path share = tool_dir().parent_path() / "share" / "glia";
  return {share / "python", share / "azureml-shim"};
}

void ensure_agent(platform::Workspace& ws) {
  if (ws.is_remote()) return;  // the server wakes its agent on a submit or a cancel
  const fs::path exe = tool_dir() / "glia";
  platform::ensure_agent(ws, {exe.string(), "agent", "run", "-w", ws.root().string()});
}

std::chrono::milliseconds poll_interval(const platform::Workspace& ws,
                                        std::chrono::milliseconds local) {
  return ws.is_remote() ? std::max(local, std::chrono::milliseconds(500)) : local;
}

void keep_agent_alive(platform::Workspace& ws, const std::string& run_id) {
  if (ws.is_remote()) {  // the server keeps its agent alive; a tracker here is this machine's
    platform::reconcile_interactive_run(ws, run_id);
    return;
  }
  {  // a job runs only as its submitter, so only the submitter's agent can move it on
    const auto run = ws.store().get_run(run_id);
    if (run.submitter_uid && *run.submitter_uid != static_cast<int64_t>(::geteuid())) {
      if (!platform::is_terminal(run.status) &&
          !platform::agent_running_for(ws.root(), *run.submitter_uid))
        throw Error(ErrorKind::Unavailable,
                    "run '" + run_id + "' is " + run.submitter_name + "'s (uid " +
                        std::to_string(*run.submitter_uid) +
                        "), whose agent is not running: it goes on with their next glia command");
      return;
    }
  }
  if (platform::agent_running(ws.root())) return;
  platform::reconcile_if_no_agent(ws);
  const auto run = ws.store().get_run(run_id);
  if (run.status == platform::RunStatus::Queued ||
      run.status == platform::RunStatus::CancelRequested || run.is_sweep())
    ensure_agent(ws);
}

bool print_stream_end(const platform::RunRecord& run, const std::string& what) {
  if (!platform::is_terminal(run.status)) {
    std::fprintf(stderr,
                 "glia: stopped following; the %s goes on (glia job stream %s, glia job cancel "
                 "%s)\n",
                 what.c_str(), run.id.c_str(), run.id.c_str());
    return false;
  }
  std::string summary = platform::to_string(run.status);
  if (run.started_at && run.ended_at)
    summary += " after " + format_duration(*run.ended_at - *run.started_at);
  if (!run.error.empty()) summary += ": " + run.error.substr(0, run.error.find('\n'));
  std::fprintf(stderr, "glia: %s: %s\n", run.id.c_str(), summary.c_str());
  return true;
}

int outcome_exit_code(const platform::RunRecord& r) {
  switch (r.status) {
    case platform::RunStatus::Completed:
      return 0;
    case platform::RunStatus::Canceled:
      return 130;
    default:
      if (r.exit_code && *r.exit_code > 0 && *r.exit_code < 256) return *r.exit_code;
      return 1;
  }
}

}  // namespace glia::cli
