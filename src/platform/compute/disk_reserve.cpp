#include "compute/disk_reserve.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>

namespace glia::platform::compute {

namespace fs = std::filesystem;

fs::path reserve_path(const fs::path& workspace_root) {
  return workspace_root / ".glia" / "agent" / "space.reserve";
}

bool ensure_reserve(const fs::path& workspace_root) {
  const fs::path path = reserve_path(workspace_root);
  std::error_code ec;
  if (fs::file_size(path, ec) == static_cast<uintmax_t>(kReserveBytes)) return true;
  // Built beside and renamed into place: a reserve is either whole or absent.
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  // posix_fallocate really allocates the blocks (a sparse file would free nothing).
  const bool ok = ::posix_fallocate(fd, 0, kReserveBytes) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

bool release_reserve(const fs::path& workspace_root) {
  std::error_code ec;
  return fs::remove(reserve_path(workspace_root), ec);
}

}  // namespace glia::platform::compute
