// The CLI's side of the agent: is one running, wake it or start one, reconcile a dead one's runs.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "compute/agent_files.hpp"
#include "compute/finish.hpp"
#include "glia/error.hpp"
#include "glia/platform/local_agent.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform {

namespace {

// How long a CLI waits for another CLI's agent start, and for the agent it started to listen.
constexpr double kStartWaitSeconds = 10;

// Double fork: the agent is re-parented to init, in a session of its own, so it survives the
// CLI and its terminal. Only async-signal-safe calls between fork and exec.
void spawn_detached(const std::vector<std::string>& command, const std::filesystem::path& log) {
  std::vector<std::string> args = command;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log_path = log.string();
  // The log is created (or given the bits it lacks) as a shared file before the fork; the child
  // opens it with that mode too, computed here (only async-signal-safe calls after the fork).
  ::close(open_shared_file(log, O_WRONLY | O_CREAT | O_APPEND));
  const mode_t log_mode = shared_file_mode(log.parent_path()) & 07777;
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;  // taken first: building the message allocates, which may change errno
    throw os_error("cannot start the agent: fork failed", e);
  }
  if (pid == 0) {
    ::setsid();
    const pid_t agent = ::fork();
    if (agent < 0) ::_exit(errno);  // errno (< 256) is the exit status the parent reports
    if (agent > 0) ::_exit(0);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, log_mode);
    if (in >= 0) ::dup2(in, 0);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
    throw os_error("cannot start the agent: fork failed", WEXITSTATUS(status));
}

}  // namespace

// Probes for an agent take a shared lock (agent_alive), which other users' agents take on this
// lock too: a probe never mistakes another probe for an agent. Only when no agent holds it is
// the lock taken exclusively, waiting a moment for such probes to let go.
constexpr double kProbeWaitSeconds = 0.5;

bool agent_running(const std::filesystem::path& root) {
  return compute::agent_alive(root, ::geteuid());
}

bool agent_running_for(const std::filesystem::path& root, int64_t uid) {
  return compute::agent_alive(root, uid);
}

std::filesystem::path agent_pid_file(const std::filesystem::path& root) {
  return compute::agent_files(root).pid();
}

int reconcile_if_no_agent(Workspace& ws) {
  require_local_workspace(ws, "its jobs are run and watched");
  RunFilter f;
  f.any_status = active_statuses();
  f.submitter_uid = ::geteuid();  // another user's runs are their agent's
  f.limit = 1;
  if (ws.store().list_runs(f).empty()) return 0;  // the common case: one indexed query
  if (agent_running(ws.root())) return 0;         // an agent is alive and owns those runs
  const auto files = compute::agent_files(ws.root());
  compute::AgentLock lock(files, kProbeWaitSeconds);
  if (!lock.held()) return 0;  // an agent started meanwhile
  return compute::reconcile_orphans(ws);
}

void ensure_agent(Workspace& ws, const std::vector<std::string>& agent_command) {
  require_local_workspace(ws, "its jobs are run and watched");
  const auto files = compute::agent_files(ws.root());
  if (compute::wake_agent(files)) return;
  // One CLI at a time starts an agent, and holds the start lock until the new agent listens:
  // the CLIs that waited then find it awake instead of starting agents of their own.
  compute::AgentLock starting(files.start_lock(), kStartWaitSeconds);
  if (compute::wake_agent(files)) return;
  if (!agent_running(ws.root())) {
    compute::AgentLock lock(files, kProbeWaitSeconds);
    if (lock.held()) compute::reconcile_orphans(ws);
  }  // released before the new agent asks for it
  spawn_detached(agent_command, files.log());
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(kStartWaitSeconds);
  while (!compute::wake_agent(files) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

}  // namespace glia::platform
