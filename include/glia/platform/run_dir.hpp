// Where a job lives on the local compute target while it runs: .glia/runs/<run id>/ holds its
// working directory (made from the code snapshot), its live log, its tracking file and a scratch
// folder for files clients reference. Everything worth keeping is copied into the artifact store
// when the job ends; the folder is then removed.
#pragma once

#include <filesystem>
#include <string>

#include "glia/platform/safe_path.hpp"

namespace glia::platform {

struct RunDir {
  std::filesystem::path root;
  std::filesystem::path work() const { return root / "wd"; }
  /// stdout and stderr, interleaved as written (Azure's user_logs/std_log.txt).
  std::filesystem::path std_log() const { return root / "user_logs" / "std_log.txt"; }
  std::filesystem::path tracking() const { return root / "tracking.jsonl"; }
  std::filesystem::path scratch() const { return root / "scratch"; }
};

/// The run-history path of the job's log.
inline constexpr const char* kStdLogName = "user_logs/std_log.txt";

/// The run's folder. The run id becomes one folder name, so it goes through the checked helper:
/// an id that is not a single safe name ("..", "a/b", longer than a file name) throws glia::Error.
inline RunDir run_dir(const std::filesystem::path& workspace_root, const std::string& run_id) {
  return {workspace_root / ".glia" / "runs" / safe_path_component(run_id, "run id")};
}

}  // namespace glia::platform
