#include "envs/run_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include "glia/error.hpp"

namespace glia::platform::envs {

namespace {

constexpr size_t kLongLine = 64 << 10;
constexpr size_t kKeptLines = 200;

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& environment,
                          const std::function<void(const std::string&)>& line,
                          const std::filesystem::path& cwd) {
  if (argv.empty()) throw Error(ErrorKind::Internal, "run_process: no program");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw os_error("pipe", errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_text;
  for (const auto& [k, v] : environment) env_text.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw os_error("starting '" + argv[0] + "'", rc);
  }
  ProcessResult result;
  std::deque<std::string> kept;
  auto emit = [&](std::string text) {
    if (line) line(text);
    kept.push_back(std::move(text));
    if (kept.size() > kKeptLines) kept.pop_front();
  };
  std::string pending;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
      emit(pending.substr(start, nl - start));
    pending.erase(0, start);
    while (pending.size() >= kLongLine) {
      emit(pending.substr(0, kLongLine));
      pending.erase(0, kLongLine);
    }
  }
  if (!pending.empty()) emit(pending);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.lines.assign(kept.begin(), kept.end());
  return result;
}

}  // namespace glia::platform::envs
