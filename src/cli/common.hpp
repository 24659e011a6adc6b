// Helpers shared by the command groups: finding the workspace, times, a run as JSON, the agent,
// and the exit code that reports a job's outcome.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/clock.hpp"
#include "glia/platform/json_views.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::cli {

/// PATH made absolute and normalized: no "." or ".." segments, no trailing '/'.
std::filesystem::path normalized_path(const std::string& path);

/// The workspace named by -w (empty: $GLIA_WORKSPACE or found from the current folder). Runs a
/// dead agent left active are reconciled first, so no command ever shows them Running forever.
platform::Workspace open_workspace(const std::string& dir);
using platform::require_local_workspace;

using platform::iso_time;     // the JSON views' times (json_views.hpp)
using platform::iso_time_ms;  // with milliseconds
std::string format_duration(double seconds);

/// KEY=VALUE options (`--tag`) as a map, the later of two equal keys winning; an empty key or
/// no '=' is an error naming `option`.
std::map<std::string, std::string> key_value_options(const std::vector<std::string>& given,
                                                     const std::string& option);

/// "12.3 MB".
std::string mb(int64_t bytes);
/// Prints JSON indented by 2 (invalid UTF-8 replaced), then a newline.
void print_json(const nlohmann::json& j);
/// Who runs the command, as datasets and models record it: $USER, else "uid N".
std::string current_user();

using platform::run_json;  // the run's fields users see (json_views.hpp)

/// The folder holding the glia executable (and its sibling programs).
std::filesystem::path tool_dir();
/// The folders of Glia's Python packages next to this executable (<bin>/../share/glia/python
/// and <bin>/../share/glia/azureml-shim), which the agent puts on jobs' PYTHONPATH.
struct PythonDirs {
  std::filesystem::path client, azureml_shim;
};
PythonDirs python_dirs();
/// Wakes or starts the workspace's agent.
void ensure_agent(platform::Workspace& ws);
/// For commands that wait on a run: when no agent serves the workspace, reconciles what a dead
/// one left and starts a new one if the run still waits for it (Queued or CancelRequested). On a
/// connected folder (the server runs the agents): ends the run if it is an interactive run whose
/// tracker on this machine is gone (the server cannot see this machine's processes).
void keep_agent_alive(platform::Workspace& ws, const std::string& run_id);
/// How long a command that waits on a run sleeps between reads of the store: `local` for a
/// local workspace; at least 0.5 s for a remote one, where each read is a request to its server.
std::chrono::milliseconds poll_interval(const platform::Workspace& ws,
                                        std::chrono::milliseconds local);

/// After following a run (`what`: "job" or "sweep") until it ended or the user stopped: when it
/// has not ended, says that it goes on and returns false; else prints its outcome line ("glia:
/// ID: Completed after 3.2s[: error]") and returns true. Both on stderr.
bool print_stream_end(const platform::RunRecord& run, const std::string& what);

/// Exit code for a finished job: 0 Completed; Failed: the job's exit code (1..255; 124 for a
/// timeout), else 1; Canceled: 130.
int outcome_exit_code(const platform::RunRecord& r);

}  // namespace glia::cli

namespace glia::cli {

/// Thrown by a command to end glia with a given exit code (main catches it).
struct ExitRequest {
  int code;
};

}  // namespace glia::cli
