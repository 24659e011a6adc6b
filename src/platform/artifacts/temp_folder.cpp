// Per-process temporary folders in the artifact store (see temp_folder.hpp).
#include "temp_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

#include "glia/error.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform::artifacts {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLive = "w-";    // a live (or dead) process's folder, flock-ed by it
constexpr const char* kNew = ".new-";  // being set up: not yet locked
constexpr auto kLooseAge = std::chrono::hours(24);

// Removes what dead writers left in `tmp`: w-* folders whose lock is free (the flock is released
// by the kernel when its process dies, however it dies) and, older than a day, anything else.
void clean_dead(const fs::path& tmp) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(tmp, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path path = it->path();
    const std::string name = path.filename().string();
    std::error_code e2;
    if (name.rfind(kLive, 0) == 0 && it->is_directory(e2)) {
      const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0) continue;
      if (::flock(fd, LOCK_EX | LOCK_NB) == 0) fs::remove_all(path, e2);  // nobody holds it
      ::close(fd);
      continue;
    }
    const auto written = fs::last_write_time(path, e2);
    if (!e2 && now - written > kLooseAge) fs::remove_all(path, e2);
  }
}

struct Held {
  int fd = -1;
  fs::path path;
  pid_t pid = 0;  // the process that made it (a forked child shares the lock, not the folder)
};

std::mutex mu;
std::map<std::string, Held>* held = new std::map<std::string, Held>;  // never freed: the
// locks must outlive every static destructor that might still write

// At a normal exit the process's folders go (empty ones only: a temporary file still there
// belongs to a thread that is still writing). After a crash the next writer removes them.
void remove_own_folders() {
  std::lock_guard lock(mu);
  for (const auto& [root, h] : *held)
    if (h.pid == ::getpid()) ::rmdir(h.path.c_str());
}

}  // namespace

fs::path temp_folder(const fs::path& root) {
  static const bool registered = std::atexit(remove_own_folders) == 0;
  (void)registered;
  std::lock_guard lock(mu);
  const std::string key = root.lexically_normal().string();
  if (auto it = held->find(key); it != held->end()) {
    std::error_code ec;
    if (fs::is_directory(it->second.path, ec)) return it->second.path;
    ::close(it->second.fd);  // removed under us (the workspace was deleted, say): start again
    held->erase(it);
  }
  const fs::path tmp = root / "tmp";
  create_shared_folders(tmp);
  clean_dead(tmp);
  // Made under a name the cleaner leaves alone, locked, then renamed: a folder named w-* is
  // always locked while its process lives.
  std::string name = (tmp / (std::string(kNew) + "XXXXXX")).string();
  if (::mkdtemp(name.data()) == nullptr)
    throw os_error("cannot create a temporary folder in '" + tmp.string() + "'", errno);
  ::chmod(name.c_str(), folder_mode(tmp));  // mkdtemp makes it 0700
  const int fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::flock(fd, LOCK_EX) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    ::rmdir(name.c_str());
    throw os_error("cannot lock the temporary folder '" + name + "'", err);
  }
  const fs::path final_path =
      tmp / (std::string(kLive) + fs::path(name).filename().string().substr(5));
  if (::rename(name.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    ::close(fd);
    ::rmdir(name.c_str());
    throw os_error("cannot create a temporary folder in '" + tmp.string() + "'", err);
  }
  (*held)[key] = Held{fd, final_path, ::getpid()};
  return final_path;
}

}  // namespace glia::platform::artifacts
