// The one exception type Glia throws for bad input and failed operations: a one-line message
// that names the thing and what was expected, and a kind that callers test (never the message).
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace glia {

enum class ErrorKind {
  InvalidArgument,  // bad input: a file, flag, YAML key, request (the default)
  NotFound,         // a named thing (run, dataset, model, file) does not exist
  Conflict,         // already exists, or the state does not allow it now
  Permission,       // the OS or the workspace refused access (a role that may not do it)
  Unauthenticated,  // no credentials, or credentials that are not (or no longer) valid
  Unavailable,      // busy or not reachable now: trying again later may work
  NoSpace,          // a disk (or quota) is full: trying again once space is freed may work
  Corrupt,          // stored data is damaged or not what it claims to be
  Internal,         // a bug or an invariant broken (keep it last: kErrorKinds ends with it)
};
// Each kind's HTTP status, CLI exit code and stable name: glia/error_kinds.hpp.

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message)
      : std::runtime_error(message), kind_(ErrorKind::InvalidArgument) {}
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// The kind an OS error number stands for.
inline ErrorKind errno_kind(int err) noexcept {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return ErrorKind::NoSpace;
    case EACCES:
    case EPERM:
    case EROFS:
      return ErrorKind::Permission;
    case ENOENT:
    case ENOTDIR:
      return ErrorKind::NotFound;
    case EEXIST:
      return ErrorKind::Conflict;
    case EAGAIN:  // also fork's "too many processes"
    case EBUSY:
    case EINTR:
    case ENOMEM:  // out of memory (or fork's page tables): may pass once others free theirs
    case EMFILE:  // out of file descriptors, this process's or the system's
    case ENFILE:
      return ErrorKind::Unavailable;
    case EIO:
      return ErrorKind::Corrupt;
    default:
      return ErrorKind::Internal;
  }
}

// "<what>: <strerror(err)>" with the kind of `err`: for failed system calls.
inline Error os_error(const std::string& what, int err) {
  return Error(errno_kind(err), what + ": " + std::strerror(err));
}

}  // namespace glia
