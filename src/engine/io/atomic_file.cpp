// Durable file replacement (see include/glia/io/atomic_file.hpp).
#include "glia/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fstream>

#include "glia/error.hpp"

namespace glia::io {

namespace fs = std::filesystem;

namespace {

fs::path folder_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

// A name no other writer (thread or process) uses at the same time: pid and a counter.
std::string unique_suffix() {
  static std::atomic<unsigned> counter{0};
  return std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

}  // namespace

mode_t current_umask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::stoul(line.substr(6), 0, 8));
  // No /proc: umask() can only be read by setting it; put it back at once.
  const mode_t mask = ::umask(022);
  ::umask(mask);
  return mask;
}

mode_t effective_mode(mode_t mode) {
  if (mode & kExactMode) return mode & 07777;
  return mode & ~current_umask() & 07777;
}

void fsync_path(const fs::path& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw os_error("cannot open '" + path.string() + "' to sync it", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw os_error("cannot sync '" + path.string() + "' to disk", err);
}

TempFile::TempFile(const fs::path& folder, const std::string& prefix) {
  std::string name = (folder / (prefix + "XXXXXX")).string();
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) throw os_error("cannot create a temporary file in '" + folder.string() + "'", errno);
  fd_ = fd;
  path_ = name;
}

TempFile::~TempFile() {
  if (!path_.empty()) discard();
}

void TempFile::write(const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw os_error("cannot write '" + path_.string() + "'", errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void TempFile::commit(const fs::path& dest, mode_t mode, bool sync_folder) {
  const int fd = fd_;
  fd_ = -1;
  if (::fchmod(fd, effective_mode(mode)) != 0 || ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    throw os_error("cannot write '" + dest.string() + "'", err);
  }
  if (::close(fd) != 0) throw os_error("cannot write '" + dest.string() + "'", errno);
  if (::rename(path_.c_str(), dest.c_str()) != 0)
    throw os_error("cannot write '" + dest.string() + "'", errno);
  path_.clear();
  if (sync_folder) fsync_path(folder_of(dest));
}

void TempFile::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(path_.c_str());
  path_.clear();
}

void commit_file(const fs::path& tmp, const fs::path& dest, mode_t mode, Sync sync) {
  try {
    if (sync == Sync::ByCaller) {
      if (::chmod(tmp.c_str(), effective_mode(mode)) != 0)
        throw os_error("cannot write '" + dest.string() + "'", errno);
    } else {
      int fd;
      do {
        fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
      } while (fd < 0 && errno == EINTR);
      if (fd < 0) throw os_error("cannot write '" + dest.string() + "'", errno);
      const bool ok = ::fchmod(fd, effective_mode(mode)) == 0 && ::fsync(fd) == 0;
      const int err = errno;
      ::close(fd);
      if (!ok) throw os_error("cannot write '" + dest.string() + "'", err);
    }
    if (::rename(tmp.c_str(), dest.c_str()) != 0)
      throw os_error("cannot write '" + dest.string() + "'", errno);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (sync == Sync::FileAndFolder) fsync_path(folder_of(dest));
}

void write_atomically(const fs::path& path, const std::function<void(const std::string&)>& write,
                      mode_t mode) {
  const fs::path dir = folder_of(path);
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error(ErrorKind::NotFound, "cannot create '" + path.string() + "': the folder '" +
                                         dir.string() + "' does not exist");
  // The extension is kept last: some writers (cairo, libzip) go by it.
  const fs::path tmp =
      dir / ("." + path.stem().string() + ".tmp-" + unique_suffix() + path.extension().string());
  try {
    write(tmp.string());
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
  commit_file(tmp, path, mode);
}

void write_file_atomically(const fs::path& path, std::string_view bytes, mode_t mode) {
  const fs::path dir = folder_of(path);
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error(ErrorKind::NotFound, "cannot create '" + path.string() + "': the folder '" +
                                         dir.string() + "' does not exist");
  TempFile tmp(dir, "." + path.filename().string() + ".tmp-");
  tmp.write(bytes.data(), bytes.size());
  tmp.commit(path, mode);
}

}  // namespace glia::io
