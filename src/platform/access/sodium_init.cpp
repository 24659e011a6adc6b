// sodium_init, once: it picks the fastest implementations and seeds randombytes.
#include "access/sodium_init.hpp"

#include <sodium.h>

#include "glia/error.hpp"

namespace glia::platform::access {

void ensure_sodium() {
  // sodium_init is itself thread-safe and idempotent (0: done now, 1: already done).
  static const int rc = sodium_init();
  if (rc < 0) throw Error(ErrorKind::Internal, "libsodium could not be initialized");
}

}  // namespace glia::platform::access
