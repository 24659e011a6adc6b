// Hashing and verifying token secrets with argon2id (libsodium).
#include "access/secret_hash.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <semaphore>
#include <thread>

#include "access/sodium_init.hpp"
#include "glia/error.hpp"

namespace glia::platform::access {

namespace {

// The parameters are chosen for a server, not for passwords typed by people: OWASP's argon2id
// recommendation (t=2, m=19 MiB, p=1). A token's secret is 256 random bits, so no hash cost is
// needed against guessing; the hash only has to keep a copied database useless, which any
// argon2id hash does. Libsodium's INTERACTIVE (64 MiB) or SENSITIVE (1 GiB) limits would make
// each first verification cost 64 MiB-1 GiB of server memory and a request that many
// milliseconds; with these, a verification takes tens of milliseconds and 19 MiB, happens once
// per token per server process (the Authenticator caches it), and at most one per core (2 to 16)
// run at once (below: hashing and verifying together), so unknown or wrong tokens cannot make the
// server allocate without bound.
constexpr unsigned long long kOpsLimit = 2;
constexpr size_t kMemLimit = size_t{19} << 20;

std::counting_semaphore<>& hash_slots() {
  static std::counting_semaphore<> slots(
      static_cast<std::ptrdiff_t>(std::clamp(std::thread::hardware_concurrency(), 2u, 16u)));
  return slots;
}

}  // namespace

std::string hash_secret(std::string_view secret) {
  ensure_sodium();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  hash_slots().acquire();
  const int rc = crypto_pwhash_str_alg(out.data(), secret.data(), secret.size(), kOpsLimit,
                                       kMemLimit, crypto_pwhash_ALG_ARGON2ID13);
  hash_slots().release();
  if (rc != 0) throw Error(ErrorKind::Unavailable, "could not hash a token secret: out of memory");
  return std::string(out.data());
}

bool standard_hash(const std::string& hash) {
  ensure_sodium();
  return hash.rfind("$argon2id$", 0) == 0 && hash.size() < crypto_pwhash_STRBYTES &&
         crypto_pwhash_str_needs_rehash(hash.c_str(), kOpsLimit, kMemLimit) == 0;
}

bool verify_secret(const std::string& hash, std::string_view secret) {
  // Only argon2id hashes at this server's cost are accepted: a row holding anything else (a hash
  // whose memory or time parameters would let one request exhaust the server) never verifies.
  if (!standard_hash(hash)) return false;
  hash_slots().acquire();
  const int rc = crypto_pwhash_str_verify(hash.c_str(), secret.data(), secret.size());
  hash_slots().release();
  return rc == 0;
}

}  // namespace glia::platform::access
