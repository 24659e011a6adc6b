#include "compute/read_only_mounts.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>

namespace glia::platform::compute {

namespace {

bool write_file(const char* path, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = ::write(fd, text.data(), text.size());
  ::close(fd);
  return n == static_cast<ssize_t>(text.size());
}

// A user namespace (with a mount namespace) in which this process keeps its uid and gid.
bool enter_user_namespace(const ReadOnlyPlan& plan) {
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return false;
  write_file("/proc/self/setgroups", "deny");
  return write_file("/proc/self/uid_map", plan.uid_map) &&
         write_file("/proc/self/gid_map", plan.gid_map);
}

// The flags a read-only remount must keep (a user namespace may not drop locked ones).
unsigned long kept_flags(const char* path) {
  struct statfs st {};
  if (::statfs(path, &st) != 0) return 0;
  unsigned long flags = 0;
  if (st.f_flags & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flags & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flags & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flags & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flags & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flags & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

}  // namespace

ReadOnlyPlan plan_read_only(const std::vector<std::string>& paths) {
  ReadOnlyPlan plan;
  plan.paths = paths;
  plan.uid_map = std::to_string(::geteuid()) + " " + std::to_string(::geteuid()) + " 1\n";
  plan.gid_map = std::to_string(::getegid()) + " " + std::to_string(::getegid()) + " 1\n";
  return plan;
}

bool lock_read_only(const ReadOnlyPlan& plan) {
  if (plan.paths.empty()) return true;
  // 1. A mount namespace we may change: root unshares one; others need a user namespace.
  const bool entered = ::geteuid() == 0 ? ::unshare(CLONE_NEWNS) == 0 : enter_user_namespace(plan);
  if (!entered) return false;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  // 2. Each path bound onto itself, then remounted read-only.
  for (const std::string& p : plan.paths) {
    if (::mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return false;
    const unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags(p.c_str());
    if (::mount(nullptr, p.c_str(), nullptr, flags, nullptr) != 0) return false;
  }
  // 3. A user namespace on top: mounts inherited from a more privileged namespace are locked,
  //    so the job cannot remount them writable, not even as root inside it.
  return enter_user_namespace(plan);
}

}  // namespace glia::platform::compute
