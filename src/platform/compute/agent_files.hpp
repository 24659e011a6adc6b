// The files through which the local agent and the CLI meet: an exclusive lock (held by the one
// running agent of a user in a workspace), a FIFO that wakes the agent when there is work, its
// pid and its log, and the lock CLIs hold while they start an agent. Each Unix user has an agent
// of their own, which runs only that user's jobs: all under .glia/agent/<uid>/.
#pragma once

#include <cstdint>
#include <filesystem>

namespace glia::platform::compute {

struct AgentFiles {
  std::filesystem::path dir;
  std::filesystem::path lock() const { return dir / "agent.lock"; }
  std::filesystem::path wake() const { return dir / "wake"; }
  std::filesystem::path pid() const { return dir / "agent.pid"; }
  std::filesystem::path log() const { return dir / "agent.log"; }
  std::filesystem::path start_lock() const { return dir / "start.lock"; }
};

/// The agent files of the calling user (its effective uid), creating their folder.
AgentFiles agent_files(const std::filesystem::path& workspace_root);

/// The lock every user's agent holds while it counts a target's jobs and claims queued ones
/// (.glia/agent/queue.lock), so that agents of different users never start more than
/// max_concurrent between them.
std::filesystem::path queue_lock_path(const std::filesystem::path& workspace_root);

/// Whether the agent of Unix user `uid` serves the workspace (holds its lock). A lock file this
/// process cannot read counts as held: never take another user's agent for dead on a guess.
bool agent_alive(const std::filesystem::path& workspace_root, int64_t uid);

/// An flock(2) on the agent lock file, released on destruction (or when the process dies).
class AgentLock {
 public:
  /// Tries to take the lock, waiting up to `wait_seconds`; check held().
  AgentLock(const AgentFiles& files, double wait_seconds) : AgentLock(files.lock(), wait_seconds) {}
  /// The same on any lock file (e.g. AgentFiles::start_lock()).
  AgentLock(const std::filesystem::path& lock_file, double wait_seconds);
  ~AgentLock();
  AgentLock(const AgentLock&) = delete;
  AgentLock& operator=(const AgentLock&) = delete;
  bool held() const { return held_; }

 private:
  int fd_ = -1;
  bool held_ = false;
};

/// Opens the wake FIFO for reading (the agent), creating it if needed; non-blocking.
int open_wake_reader(const AgentFiles& files);
/// Writes a byte to the wake FIFO; false if no agent is reading it.
bool wake_agent(const AgentFiles& files);

}  // namespace glia::platform::compute
