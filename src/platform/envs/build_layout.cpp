#include "envs/build_layout.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "glia/error.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform::envs {

namespace fs = std::filesystem;

bool is_build_hash(const std::string& name) {
  if (name.size() != 64) return false;
  for (char c : name)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

fs::path build_lock_path(const fs::path& root, const std::string& hash) {
  return root / "locks" / (hash + ".lock");
}

FileLock FileLock::wait(const fs::path& file, const std::function<void()>& on_wait) {
  const int fd = open_shared_file(file, O_RDWR | O_CREAT | O_CLOEXEC);
  FileLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return lock;
  if (errno != EWOULDBLOCK) throw os_error("locking '" + file.string() + "'", errno);
  if (on_wait) on_wait();
  while (::flock(fd, LOCK_EX) != 0)
    if (errno != EINTR) throw os_error("locking '" + file.string() + "'", errno);
  return lock;
}

std::optional<FileLock> FileLock::try_take(const fs::path& file, bool create) {
  const int fd = create ? open_shared_file(file, O_RDWR | O_CREAT | O_CLOEXEC)
                        : ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw os_error("opening '" + file.string() + "'", errno);
  }
  FileLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return lock;
  if (errno != EWOULDBLOCK) throw os_error("locking '" + file.string() + "'", errno);
  return std::nullopt;
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<std::string> builds_of(const fs::path& root, const std::string& hash) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root / "builds", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(hash + "-", 0) == 0) out.push_back("builds/" + name);
  }
  return out;
}

std::string published_build(const fs::path& root, const std::string& hash) {
  std::error_code ec;
  const fs::path target = fs::read_symlink(root / hash, ec);
  return ec ? std::string() : target.string();
}

void remove_build(const fs::path& root, const std::string& name, bool dry_run,
                  PruneResult& result) {
  const fs::path dir = root / name;
  std::error_code ec;
  // A finished build: its record's lock, held while it goes (jobs lock it shared to use it).
  std::optional<FileLock> held;
  if (fs::exists(dir / kMarker, ec)) {
    held = FileLock::try_take(dir / kMarker, false);
    if (!held) {
      if (fs::exists(dir / kMarker, ec)) {
        result.in_use.push_back(name);
        return;
      }
    }
  }
  int64_t bytes = 0;
  for (const auto& f : fs::recursive_directory_iterator(dir, ec))
    if (f.is_regular_file(ec) && !f.is_symlink(ec)) bytes += static_cast<int64_t>(f.file_size(ec));
  if (!dry_run) {
    std::error_code rm;
    fs::remove_all(dir, rm);
    if (rm) {
      result.failed.push_back(name + ": " + rm.message());
      return;
    }
  }
  result.removed.push_back(name);
  result.bytes += bytes;
}

}  // namespace glia::platform::envs
