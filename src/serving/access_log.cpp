// The access log (access_log.hpp).
#include "glia/serving/access_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "glia/error.hpp"
#include "glia/escape.hpp"

namespace glia::serving {

AccessLog::~AccessLog() {
  if (fd_ >= 0) ::close(fd_);
}

void AccessLog::open(const std::string& path) {
  std::lock_guard lock(mu_);
  if (path == path_) return;
  int fd = -1;
  if (!path.empty()) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw os_error("access log " + quote_bytes(path), errno);
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  path_ = path;
}

std::string AccessLog::line(double unix_seconds, const std::string& method, const std::string& path,
                            int status, double seconds, int64_t rows) {
  const auto whole = static_cast<time_t>(std::floor(unix_seconds));
  const int millis = static_cast<int>((unix_seconds - static_cast<double>(whole)) * 1000.0);
  std::tm tm{};
  gmtime_r(&whole, &tm);
  char time_text[96];
  std::snprintf(time_text, sizeof time_text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                std::min(millis, 999));
  std::string p;
  for (char c : escape_bytes(path)) {
    if (c == ' ')
      p += "%20";
    else
      p += c;
  }
  char tail[64];
  std::snprintf(tail, sizeof tail, " %d %.3f %lld", status, seconds * 1e3,
                static_cast<long long>(rows));
  return std::string(time_text) + " " + escape_bytes(method) + " " + p + tail;
}

void AccessLog::write(const std::string& method, const std::string& path, int status,
                      double seconds, int64_t rows) {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string text = line(now, method, path, status, seconds, rows) + "\n";
  std::lock_guard lock(mu_);
  if (fd_ < 0) return;
  // A failed write (a full disk) loses the line, never the request.
  [[maybe_unused]] const auto n = ::write(fd_, text.data(), text.size());
}

}  // namespace glia::serving
