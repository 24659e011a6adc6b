// Running a Slurm client command (sbatch, squeue, scontrol, scancel) and reading its answer.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace glia::platform::compute {

struct CommandResult {
  int exit_code = 0;  // 127: it could not start (not installed)
  std::string out, err;
};

/// Runs `argv` (looked up on PATH) with `env` (nullopt: this process's environment), without a
/// shell, and returns its exit code, stdout and stderr. Throws glia::Error only when no process
/// can be made.
CommandResult run_command(const std::vector<std::string>& argv,
                          const std::optional<std::map<std::string, std::string>>& env = {});

/// The first line of `text` with trailing white space removed (a command's one-line error).
std::string first_line(const std::string& text);

}  // namespace glia::platform::compute
