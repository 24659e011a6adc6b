// What each ErrorKind means to the outside, in one place: the HTTP status a server answers with,
// the exit code the CLI returns and the stable name error bodies carry (docs/errors.md).
// Callers branch on these, never on message text.
#pragma once

#include <optional>
#include <string_view>

#include "glia/error.hpp"

namespace glia {

struct ErrorKindInfo {
  std::string_view name;  // in JSON error bodies: {"error": {"kind": NAME, "message": ...}}
  int http_status;
  int exit_code;
};

// No default: a kind added to ErrorKind without a row here does not compile (-Wswitch).
constexpr ErrorKindInfo error_kind_info(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::InvalidArgument:
      return {"invalid_argument", 400, 2};
    case ErrorKind::NotFound:
      return {"not_found", 404, 3};
    case ErrorKind::Conflict:
      return {"conflict", 409, 4};
    case ErrorKind::Permission:
      return {"permission_denied", 403, 5};
    case ErrorKind::Unauthenticated:
      return {"unauthenticated", 401, 6};
    case ErrorKind::Unavailable:
      return {"unavailable", 503, 7};
    case ErrorKind::NoSpace:
      return {"no_space", 507, 8};
    case ErrorKind::Corrupt:
      return {"corrupt", 500, 9};
    case ErrorKind::Internal:
      return {"internal", 500, 1};
  }
  return {"internal", 500, 1};
}

// Every kind, in declaration order (the guard test checks it against the enum).
inline constexpr ErrorKind kErrorKinds[] = {
    ErrorKind::InvalidArgument, ErrorKind::NotFound,        ErrorKind::Conflict,
    ErrorKind::Permission,      ErrorKind::Unauthenticated, ErrorKind::Unavailable,
    ErrorKind::NoSpace,         ErrorKind::Corrupt,         ErrorKind::Internal,
};

// The kind a stable name stands for (an error body read back by a client), if any.
constexpr std::optional<ErrorKind> error_kind_named(std::string_view name) noexcept {
  for (ErrorKind k : kErrorKinds)
    if (error_kind_info(k).name == name) return k;
  return std::nullopt;
}

// The kind an HTTP status stands for, for a client reading a server's answer that has no error
// body (a proxy's 502, say): 4xx/5xx statuses no kind claims map to the nearest kind.
constexpr ErrorKind error_kind_of_status(int status) noexcept {
  for (ErrorKind k : kErrorKinds)
    if (error_kind_info(k).http_status == status && k != ErrorKind::Corrupt) return k;
  if (status == 413 || status == 414 || status == 431) return ErrorKind::InvalidArgument;
  if (status == 408 || status == 429 || status == 502 || status == 504)
    return ErrorKind::Unavailable;
  return status >= 400 && status < 500 ? ErrorKind::InvalidArgument : ErrorKind::Internal;
}

}  // namespace glia
