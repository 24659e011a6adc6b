// Atomic file replacement and bounded whole-file reads for the engine's formats.
#include "formats/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "glia/error.hpp"

namespace glia::formats {

namespace {

void fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open to sync: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  if (rc != 0) throw Error(path + ": cannot sync to disk: " + std::strerror(e));
}

}  // namespace

void write_atomically(const std::string& path,
                      const std::function<void(const std::string&)>& write) {
  static std::atomic<int> counter{0};
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir))
    throw Error(path + ": the folder " + dir.string() + " does not exist");
  const std::string tmp = (dir / ("." + target.filename().string() + ".tmp-" +
                                  std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                              .string();
  try {
    write(tmp);
    fsync_path(tmp, false);
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw Error(path + ": cannot replace the file: " + std::strerror(errno));
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  fsync_path(dir.string(), true);
}

std::string read_file(const std::string& path, int64_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a folder, expected a file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(path + ": cannot open: " + std::strerror(errno));
  const std::streamoff size = in.tellg();
  if (size < 0) throw Error(path + ": cannot read its size");
  if (size > max_bytes)
    throw Error(path + ": " + std::to_string(size) + " bytes, over the limit of " +
                std::to_string(max_bytes));
  std::string data(static_cast<size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(data.data(), size)) throw Error(path + ": read failed");
  return data;
}

}  // namespace glia::formats
