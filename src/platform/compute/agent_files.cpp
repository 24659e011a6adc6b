#include "compute/agent_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "glia/error.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform::compute {

AgentFiles agent_files(const std::filesystem::path& workspace_root) {
  AgentFiles f{workspace_root / ".glia" / "agent" / std::to_string(::geteuid())};
  create_shared_folders(f.dir);
  return f;
}

std::filesystem::path queue_lock_path(const std::filesystem::path& workspace_root) {
  return workspace_root / ".glia" / "agent" / "queue.lock";
}

bool agent_alive(const std::filesystem::path& workspace_root, int64_t uid) {
  const auto lock = workspace_root / ".glia" / "agent" / std::to_string(uid) / "agent.lock";
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno != ENOENT;  // never started: not alive; unreadable: assume alive
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the probe's shared lock, if it got one
  return held;
}

AgentLock::AgentLock(const std::filesystem::path& lock_file, double wait_seconds) {
  fd_ = open_shared_file(lock_file, O_RDWR | O_CREAT);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
  for (;;) {
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) {
      held_ = true;
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

AgentLock::~AgentLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

int open_wake_reader(const AgentFiles& files) {
  create_shared_fifo(files.wake());
  // O_RDWR keeps a writer open, so poll() does not report hang-ups between CLI calls.
  int fd = ::open(files.wake().c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw os_error("cannot open '" + files.wake().string() + "'", errno);
  return fd;
}

bool wake_agent(const AgentFiles& files) {
  int fd = ::open(files.wake().c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  const char byte = 1;
  [[maybe_unused]] auto n = ::write(fd, &byte, 1);  // a full FIFO already means "wake up"
  ::close(fd);
  return true;
}

}  // namespace glia::platform::compute
