// Small POSIX file helpers for the artifact store: an owned descriptor, full reads and writes
// that name the file in their errors, and a temporary file committed by fsync + rename.
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
/// fsyncs a folder so that a rename into it survives a crash (best effort).
void fsync_folder(const fs::path& folder);

/// A temporary file created in `folder` (mkstemp), removed on destruction unless committed.
class TempFile {
 public:
  /// `label` names the file in error messages (the destination, usually).
  TempFile(const fs::path& folder, const std::string& prefix, fs::path label);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_.get(); }
  const fs::path& label() const { return label_; }
  void write(const char* data, size_t size) { write_all(fd_.get(), data, size, label_); }
  /// Sets `mode`, fsyncs, closes and renames onto `dest` (atomic; replaces what is there).
  void commit(const fs::path& dest, mode_t mode, bool sync_folder);
  /// Closes and removes the temporary file.
  void discard();

 private:
  UniqueFd fd_;
  fs::path path_;
  fs::path label_;
};

}  // namespace glia::platform::artifacts
