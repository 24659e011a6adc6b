// libsodium is initialized once per process before any of its functions is used.
#pragma once

namespace glia::platform::access {

/// Calls sodium_init() the first time (thread-safe); throws glia::Error (Internal) if it fails.
void ensure_sodium();

}  // namespace glia::platform::access
