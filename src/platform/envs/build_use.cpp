// BuildUse: a shared flock on a build's record (glia-environment.json), held by the agent for as
// long as a job runs in the build. Prune and `build --force` take it exclusively, without
// waiting, for as long as they remove a build (remove_build, build_layout.cpp): a build in use
// is left alone, and a job locking a build being removed finds its record gone.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "envs/build_layout.hpp"
#include "glia/error.hpp"
#include "glia/platform/environments.hpp"

namespace glia::platform {

std::optional<BuildUse> BuildUse::lock(const std::filesystem::path& venv) {
  const int fd = ::open((venv / envs::kMarker).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;  // removed meanwhile
    throw os_error("opening '" + (venv / envs::kMarker).string() + "'", errno);
  }
  // Not waiting (the agent's loop must not stall): held exclusively means being removed now.
  while (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return std::nullopt;
    throw os_error("locking '" + (venv / envs::kMarker).string() + "'", err);
  }
  // A prune that removed the record after the open holds no lock now; the file is gone.
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_nlink == 0) {
    ::close(fd);
    return std::nullopt;
  }
  BuildUse use;
  use.fd_ = fd;
  return use;
}

BuildUse::BuildUse(BuildUse&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

BuildUse& BuildUse::operator=(BuildUse&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

BuildUse::~BuildUse() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace glia::platform
