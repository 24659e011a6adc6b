// The argon2id hash a token's secret is stored as (libsodium's crypto_pwhash_str string).
#pragma once

#include <string>
#include <string_view>

namespace glia::platform::access {

/// The argon2id hash string of `secret` (crypto_pwhash_str, server parameters: see the .cpp).
std::string hash_secret(std::string_view secret);

/// Whether `hash` is an argon2id hash string with exactly this server's parameters.
bool standard_hash(const std::string& hash);

/// Whether `secret` matches `hash` (a crypto_pwhash_str string); false for a hash that is not
/// one. At most a few hashes and verifications run at once (each takes 19 MiB); others wait.
bool verify_secret(const std::string& hash, std::string_view secret);

}  // namespace glia::platform::access
