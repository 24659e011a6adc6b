// Running a program for the environment builder (python -m venv, pip): no shell, its stdout and
// stderr merged and handed over line by line as they come, the last lines kept for the error.
// Private to src/platform/envs.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace glia::platform::envs {

struct ProcessResult {
  int exit_code = 0;               // 128 + signal when killed by one; 127 when it did not start
  std::vector<std::string> lines;  // the last lines of output (at most 200)
  bool ok() const { return exit_code == 0; }
};

/// Runs `argv` with exactly `environment` (in `cwd` when given), calling `line` for each line of
/// its output (without the newline; a long line is passed in pieces of 64 KiB). glia::Error when it
/// cannot start.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& environment,
                          const std::function<void(const std::string&)>& line,
                          const std::filesystem::path& cwd = {});

}  // namespace glia::platform::envs
