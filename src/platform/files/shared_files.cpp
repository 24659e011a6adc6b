// Files and folders inside a workspace (see include/glia/platform/shared_files.hpp).
#include "glia/platform/shared_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

fs::path folder_of(const fs::path& file) {
  return file.has_parent_path() ? file.parent_path() : fs::path(".");
}

// mkdir() applies the umask and may leave the setgid bit out: chmod (which applies no umask)
// gives the folder exactly `mode` (the kernel drops setgid when the caller is not in the
// folder's group, which is then the caller's own group anyway). The folder is made under a
// name of its own and renamed into place once it has its mode, so that no other process ever
// sees it with the umask's narrower mode.
void make_folder(const fs::path& dir, mode_t mode) {
  // A short name beside it (the folder's own name may already be as long as names can be).
  static std::atomic<unsigned> counter{0};
  const fs::path tmp = dir.parent_path() / (".mk-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(counter.fetch_add(1)));
  if (::mkdir(tmp.c_str(), mode & 0777) != 0)
    throw os_error("cannot create the folder '" + dir.string() + "'", errno);
  if (::chmod(tmp.c_str(), mode) != 0) {
    const int err = errno;
    ::rmdir(tmp.c_str());
    throw os_error("cannot set the mode of the folder '" + dir.string() + "'", err);
  }
  if (::rename(tmp.c_str(), dir.c_str()) != 0) {  // an empty folder is replaced: no matter
    const int err = errno;
    ::rmdir(tmp.c_str());
    if (err == EEXIST || err == ENOTEMPTY || err == EISDIR) return;  // made by another process
    throw os_error("cannot create the folder '" + dir.string() + "'", err);
  }
}

// True when `dir` exists (as a folder); throws when a file of that name is in the way.
bool folder_exists(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return false;
  if (!S_ISDIR(st.st_mode))
    throw Error(ErrorKind::Conflict,
                "cannot create the folder '" + dir.string() + "': a file of that name exists");
  return true;
}

// Adds to the file open as `fd` (or named `file` when fd < 0) the bits of `want` it lacks, when
// the caller owns it.
void add_bits(const fs::path& file, int fd, mode_t want) {
  struct stat st {};
  if ((fd >= 0 ? ::fstat(fd, &st) : ::stat(file.c_str(), &st)) != 0 || st.st_uid != ::geteuid())
    return;
  const mode_t have = st.st_mode & 07777;
  if ((have & want) == want) return;
  if ((fd >= 0 ? ::fchmod(fd, have | want) : ::chmod(file.c_str(), have | want)) != 0)
    throw os_error("cannot set the mode of '" + file.string() + "'", errno);
}

}  // namespace

mode_t under_umask(mode_t mode) {
  return mode & ~io::current_umask() & 07777;
}

mode_t folder_mode(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    throw os_error("cannot read the mode of the folder '" + dir.string() + "'", errno);
  const mode_t mode = st.st_mode & 02777;
  // No workspace folder gives other users access: this one is outside any (/tmp, a home).
  return (mode & 0007) ? under_umask(kSharedFolderMode) : mode;
}

mode_t shared_file_mode(const fs::path& dir) {
  return (folder_mode(dir) & 0666) | io::kExactMode;
}

mode_t blob_mode(const fs::path& dir) {
  return shared_file_mode(dir) & ~mode_t{0222};
}

void create_workspace_folder(const fs::path& meta) {
  if (folder_exists(meta)) return;
  make_folder(meta, under_umask(kSharedFolderMode));
}

void create_shared_folders(const fs::path& dir) {
  if (folder_exists(dir)) return;
  const fs::path parent = folder_of(dir);
  if (dir.has_parent_path() && parent != dir) create_shared_folders(parent);
  make_folder(dir, folder_mode(parent));
}

int open_shared_file(const fs::path& file, int flags) {
  const mode_t mode = (flags & O_CREAT) ? shared_file_mode(folder_of(file)) & 07777 : 0;
  int fd;
  do {
    fd = ::open(file.c_str(), flags | O_CLOEXEC, mode);  // open() applies the umask: added below
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw os_error("cannot open '" + file.string() + "'", errno);
  if (flags & O_CREAT) {
    try {
      add_bits(file, fd, mode);
    } catch (...) {
      ::close(fd);
      throw;
    }
  }
  return fd;
}

void create_shared_fifo(const fs::path& file) {
  const mode_t mode = shared_file_mode(folder_of(file)) & 07777;
  if (::mkfifo(file.c_str(), mode) != 0 && errno != EEXIST)
    throw os_error("cannot create '" + file.string() + "'", errno);
  add_bits(file, -1, mode);
}

void share_file(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return;
  add_bits(file, -1, shared_file_mode(folder_of(file)) & 07777);
}

void tighten_folder(const fs::path& dir, mode_t mode) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & 0007) == 0 || (mode & 0007) != 0)
    return;
  ::chmod(dir.c_str(), mode & 07777);
}

void append_shared_file(const fs::path& file, std::string_view text) {
  const int fd = open_shared_file(file, O_WRONLY | O_CREAT | O_APPEND);
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw os_error("cannot write '" + file.string() + "'", err);
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  if (::close(fd) != 0) throw os_error("cannot write '" + file.string() + "'", errno);
}

void write_shared_file(const fs::path& file, std::string_view bytes) {
  io::write_file_atomically(file, bytes, shared_file_mode(folder_of(file)));
}

}  // namespace glia::platform
