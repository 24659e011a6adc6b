// Files and folders inside a workspace (see include/glia/platform/shared_files.hpp).
#include "glia/platform/shared_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

mode_t under_umask(mode_t mode) {
  return mode & ~io::current_umask() & 07777;
}

void create_shared_folders(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      throw Error(ErrorKind::Conflict,
                  "cannot create the folder '" + dir.string() + "': a file of that name exists");
    return;
  }
  if (dir.has_parent_path() && dir.parent_path() != dir) create_shared_folders(dir.parent_path());
  const mode_t mode = under_umask(kSharedFolderMode);
  if (::mkdir(dir.c_str(), mode) != 0) {
    if (errno == EEXIST) return;  // created by another process meanwhile
    throw os_error("cannot create the folder '" + dir.string() + "'", errno);
  }
  // mkdir() leaves the setgid bit out; chmod sets it (the kernel drops it again when the caller
  // is not in the folder's group, which is then the caller's own group anyway).
  ::chmod(dir.c_str(), mode);
}

int open_shared_file(const fs::path& file, int flags) {
  int fd;
  do {
    fd = ::open(file.c_str(), flags | O_CLOEXEC, kSharedFileMode);  // open() applies the umask
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw os_error("cannot open '" + file.string() + "'", errno);
  return fd;
}

void create_shared_fifo(const fs::path& file) {
  if (::mkfifo(file.c_str(), kSharedFileMode) != 0 && errno != EEXIST)
    throw os_error("cannot create '" + file.string() + "'", errno);
}

void share_file(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || st.st_uid != ::geteuid()) return;
  const mode_t mode = under_umask(kSharedFileMode);
  if ((st.st_mode & 07777) != mode && ::chmod(file.c_str(), mode) != 0)
    throw os_error("cannot set the mode of '" + file.string() + "'", errno);
}

void tighten_folder(const fs::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & 0007) == 0)
    return;
  ::chmod(dir.c_str(), under_umask(kSharedFolderMode));
}

void write_shared_file(const fs::path& file, std::string_view bytes) {
  io::write_file_atomically(file, bytes, kSharedFileMode);
}

}  // namespace glia::platform
