// POSIX file helpers for the artifact store (see file_io.hpp).
#include "file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "glia/error.hpp"

namespace glia::platform::artifacts {

std::string errno_text(int err) {
  return std::strerror(err);
}

char* io_buffer() {
  thread_local std::unique_ptr<char[]> buffer;
  if (!buffer) buffer.reset(new char[kIoBufferSize]);
  return buffer.get();
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

int UniqueFd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

UniqueFd open_for_reading(const fs::path& file) {
  int fd;
  do {
    fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0)
    throw Error(errno_kind(errno), "cannot read '" + file.string() + "': " + errno_text(errno));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return UniqueFd(fd);
}

size_t read_some(int fd, char* data, size_t size, const fs::path& file) {
  for (;;) {
    const ssize_t n = ::read(fd, data, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR)
      throw Error(errno_kind(errno), "cannot read '" + file.string() + "': " + errno_text(errno));
  }
}

void write_all(int fd, const char* data, size_t size, const fs::path& file) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(errno_kind(errno), "cannot write '" + file.string() + "': " + errno_text(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void copy_fd(int in, const fs::path& in_name, int out, const fs::path& out_name) {
  // copy_file_range copies inside the kernel (and reflinks where the filesystem can); it is not
  // supported everywhere, so any failure before the first byte falls back to read/write.
  bool copied_any = false;
  for (;;) {
    const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, kIoBufferSize * 64, 0);
    if (n > 0) {
      copied_any = true;
      continue;
    }
    if (n == 0) return;
    if (errno == EINTR) continue;
    if (copied_any && errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL)
      throw Error(errno_kind(errno), "cannot copy '" + in_name.string() + "' to '" +
                                         out_name.string() + "': " + errno_text(errno));
    break;  // not supported here: the file offsets are where copy_file_range left them
  }
  char* buffer = io_buffer();
  while (size_t n = read_some(in, buffer, kIoBufferSize, in_name))
    write_all(out, buffer, n, out_name);
}

}  // namespace glia::platform::artifacts
