// Starting and ending a job's processes: the command runs under /bin/sh in a process group of
// its own (so cancel and timeouts reach everything it started), with stdout and stderr on pipes
// the agent reads.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace glia::platform::compute {

struct JobProcess {
  pid_t pid = -1;  // also the process group id
  int out_fd = -1, err_fd = -1;
  int64_t start_ticks = 0;
};

/// Forks `/bin/sh -c command` in `cwd` with exactly `env`, in a new process group. Where the
/// kernel allows it (root, or user namespaces), the job gets a mount namespace of its own in
/// which each `read_only` path is bind-mounted read-only; elsewhere file permissions protect
/// them. Throws glia::Error when the fork or the pipes fail.
JobProcess spawn_job(const std::string& command, const std::filesystem::path& cwd,
                     const std::map<std::string, std::string>& env,
                     const std::vector<std::filesystem::path>& read_only = {});

/// The start time of `pid` in clock ticks after boot (/proc/PID/stat), or nullopt if no such
/// process exists.
std::optional<int64_t> process_start_ticks(pid_t pid);

/// What /proc/PID/stat says of a process: its state letter ('R', 'S', 'Z' for a zombie...) and
/// its start time in clock ticks after boot.
struct ProcessStat {
  char state = '?';
  int64_t start_ticks = 0;
};
/// The line of /proc/PID/stat parsed; nullopt when it is not one.
std::optional<ProcessStat> parse_process_stat(const std::string& stat);
/// nullopt when no such process exists.
std::optional<ProcessStat> process_stat(pid_t pid);

/// Sends `sig` to the process group `pgid` if it is still the group the job started: the
/// leader is gone (its group may live on) or has the start time recorded for it.
void signal_group(pid_t pgid, std::optional<int64_t> start_ticks, int sig);

/// "SIGKILL", "SIGTERM", ...
std::string signal_name(int sig);

}  // namespace glia::platform::compute
