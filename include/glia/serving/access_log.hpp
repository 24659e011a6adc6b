// An endpoint's access log: one line per request, appended as it is answered:
//   2026-12-05T09:30:00.123Z POST /score 200 0.412 1
// (UTC time, method, path with its bytes escaped and spaces as %20, status, milliseconds,
// rows scored). Thread-safe; each line is one write(2) to a file opened O_APPEND.
#pragma once

#include <mutex>
#include <string>

namespace glia::serving {

class AccessLog {
 public:
  AccessLog() = default;
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  /// Opens `path` (created 0644 under the umask) instead of the file open now; "" closes it.
  /// glia::Error (os_error) naming the file when it cannot be opened (the old one stays).
  void open(const std::string& path);
  const std::string& path() const { return path_; }
  void write(const std::string& method, const std::string& path, int status, double seconds,
             int64_t rows);

  /// The line write() appends (without its newline), at `unix_seconds`.
  static std::string line(double unix_seconds, const std::string& method, const std::string& path,
                          int status, double seconds, int64_t rows);

 private:
  std::mutex mu_;
  int fd_ = -1;
  std::string path_;
};

}  // namespace glia::serving
