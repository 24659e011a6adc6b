#include "compute/disk_reserve.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "glia/error.hpp"
#include "glia/platform/shared_files.hpp"

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
  // A shared file: every user of the workspace may remove it and build it again.
  int fd = -1;
  try {
    fd = open_shared_file(tmp, O_WRONLY | O_CREAT | O_TRUNC);
  } catch (const Error&) {
    return false;
  }
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
