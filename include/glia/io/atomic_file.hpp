// The one way Glia replaces a file durably (engine and platform alike): the bytes go to a
// temporary file on the same file system, which is given its final mode, fsync'd and renamed
// over the destination; then the destination's folder is fsync'd so the rename survives a crash.
// A reader sees the old file or the new one, never a torn one.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace glia::io {

/// The process's umask, read without changing it (/proc/self/status; thread-safe).
mode_t current_umask();

/// Or-ed into a `mode` given below: the mode is applied exactly as given, not under the umask
/// (the files of a shared workspace, whose mode follows the workspace's folder).
constexpr mode_t kExactMode = 01000000;

/// The bits a file given `mode` gets: `mode & 07777` with kExactMode, else `mode & ~umask`.
mode_t effective_mode(mode_t mode);

/// fsyncs a file or a folder; glia::Error (os_error) naming it on failure.
void fsync_path(const std::filesystem::path& path);

/// A new, empty temporary file in `folder` (created 0600 and O_CLOEXEC; its name starts with
/// `prefix`), removed on destruction unless committed. Use it to stream bytes through a
/// descriptor; write_atomically below is the shortcut for a whole file.
class TempFile {
 public:
  TempFile(const std::filesystem::path& folder, const std::string& prefix);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }
  /// Writes all bytes (retrying short writes and EINTR); errors name the temporary file.
  void write(const char* data, size_t size);
  /// Sets the mode effective_mode(mode), fsyncs, closes and renames onto `dest` (which must be on
  /// the same file system; it is replaced), then fsyncs dest's folder unless `sync_folder` is false
  /// (a caller syncing many renames at once).
  void commit(const std::filesystem::path& dest, mode_t mode, bool sync_folder = true);
  /// Closes and removes the temporary file (done by the destructor too).
  void discard();

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

/// How much commit_file syncs.
enum class Sync {
  FileAndFolder,  // fsync the file before the rename and its folder after (the default)
  ByCaller,       // nothing: the caller syncs the whole file system before and after a batch of
                  // renames (BlobBatch: one syncfs instead of one fsync per file)
};

/// Gives the already written file `tmp` the mode effective_mode(mode), fsyncs it, renames it onto
/// `dest` and fsyncs dest's folder (see Sync). On failure `tmp` is removed.
void commit_file(const std::filesystem::path& tmp, const std::filesystem::path& dest, mode_t mode,
                 Sync sync = Sync::FileAndFolder);

/// Calls `write(tmp)` to produce a temporary file beside `path` (a library writing by name,
/// such as libhdf5 or cairo), then commits it as above. On any error the temporary file is
/// removed and `path` is left as it was. `mode` is applied by effective_mode (0666: a user file,
/// under the umask).
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::string& tmp)>& write, mode_t mode = 0666);
/// The same with the bytes given.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                           mode_t mode = 0666);

}  // namespace glia::io
