#include "compute/job_process.hpp"
#include "compute/read_only_mounts.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "glia/error.hpp"

namespace glia::platform::compute {

namespace {

void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    const int e = errno;  // taken first: building the message allocates, which may change errno
    throw os_error("cannot create a pipe for the job", e);
  }
}

}  // namespace

JobProcess spawn_job(const std::string& command, const std::filesystem::path& cwd,
                     const std::map<std::string, std::string>& env,
                     const std::vector<std::filesystem::path>& read_only) {
  std::vector<std::string> ro_paths;
  for (const auto& p : read_only) ro_paths.push_back(p.string());
  const ReadOnlyPlan plan = plan_read_only(ro_paths);
  int out[2], err[2];
  make_pipe(out);
  try {
    make_pipe(err);
  } catch (...) {
    ::close(out[0]);
    ::close(out[1]);
    throw;
  }
  // Everything the child needs is prepared before fork: only async-signal-safe calls after.
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string shell = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {shell.data(), dash_c.data(), cmd.data(), nullptr};
  const std::string dir = cwd.string();
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;  // taken before close() can change it
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    throw os_error("cannot start the job: fork failed", e);
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the shell dies with the agent; reconcile ends the rest
    if (::getppid() != parent) ::_exit(125);
    const bool locked = lock_read_only(plan);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      if (devnull != 0) ::close(devnull);
    }
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (!locked) {
      const char msg[] =
          "[glia] no mount namespace here: dataset views are protected by file permissions "
          "only\n";
      [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
    }
    if (::chdir(dir.c_str()) != 0) {
      const char msg[] = "glia: cannot enter the job's working directory\n";
      [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
      ::_exit(126);
    }
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent: no race with an early kill of the group
  ::close(out[1]);
  ::close(err[1]);
  JobProcess p;
  p.pid = pid;
  p.out_fd = out[0];
  p.err_fd = err[0];
  p.start_ticks = process_start_ticks(pid).value_or(0);
  return p;
}

std::optional<ProcessStat> parse_process_stat(const std::string& stat) {
  // Field 2 (comm) may contain spaces: parse after its closing parenthesis. State is field 3,
  // the start time field 22.
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return std::nullopt;
  std::istringstream rest(stat.substr(close + 2));
  ProcessStat out;
  std::string field;
  if (!(rest >> out.state)) return std::nullopt;
  for (int i = 4; i <= 22; ++i)
    if (!(rest >> field)) return std::nullopt;
  try {
    out.start_ticks = std::stoll(field);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return out;
}

std::optional<ProcessStat> process_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!in || !std::getline(in, stat)) return std::nullopt;
  return parse_process_stat(stat);
}

std::optional<int64_t> process_start_ticks(pid_t pid) {
  const auto s = process_stat(pid);
  if (!s) return std::nullopt;
  return s->start_ticks;
}

void signal_group(pid_t pgid, std::optional<int64_t> start_ticks, int sig) {
  if (pgid <= 1) return;
  if (auto now = process_start_ticks(pgid); now && start_ticks && *now != *start_ticks)
    return;  // the pid was reused by an unrelated process
  ::kill(-pgid, sig);
}

std::string signal_name(int sig) {
  if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(sig);
}

}  // namespace glia::platform::compute
