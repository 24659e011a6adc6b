// Small POSIX file helpers for the artifact store: an owned descriptor, full reads and writes
// that name the file in their errors. Temporary files committed by fsync + rename are
// glia::io::TempFile (include/glia/io/atomic_file.hpp).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>

namespace glia::platform::artifacts {

namespace fs = std::filesystem;

/// strerror(err) as a std::string.
std::string errno_text(int err);

/// The buffer size for streaming copies and hashing; bounded memory whatever the file size.
constexpr size_t kIoBufferSize = size_t{1} << 20;
/// A per-thread kIoBufferSize buffer (allocated on first use, reused afterwards).
char* io_buffer();

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  int get() const { return fd_; }
  int release();

 private:
  int fd_ = -1;
};

/// Opens `file` for sequential reading; throws glia::Error "cannot read '<file>': <why>".
UniqueFd open_for_reading(const fs::path& file);
/// Reads up to `size` bytes (retrying EINTR); 0 at end of file. Errors name `file`.
size_t read_some(int fd, char* data, size_t size, const fs::path& file);
/// Writes all `size` bytes (retrying short writes and EINTR). Errors name `file`.
void write_all(int fd, const char* data, size_t size, const fs::path& file);
/// Copies everything from `in` to `out` (copy_file_range where possible, else read/write).
void copy_fd(int in, const fs::path& in_name, int out, const fs::path& out_name);
}  // namespace glia::platform::artifacts
