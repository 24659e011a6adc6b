// Bearer keys checked against their digests (bearer_keys.hpp), with libsodium's SHA-256 and
// constant-time comparison.
#include "glia/serving/bearer_keys.hpp"

#include <sodium.h>

#include <cctype>

#include "glia/error.hpp"
#include "glia/escape.hpp"

namespace glia::serving {

namespace {

std::string digest(std::string_view key) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(key.data()), key.size());
  return out;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string key_sha256_hex(std::string_view key) {
  const std::string d = digest(key);
  std::string hex(d.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(d.data()),
                 d.size());
  hex.pop_back();
  return hex;
}

BearerKeys::BearerKeys(const std::vector<std::string>& sha256_hex) {
  if (sodium_init() < 0) throw Error(ErrorKind::Internal, "libsodium could not be initialized");
  for (const std::string& h : sha256_hex) {
    if (h.size() != 2 * crypto_hash_sha256_BYTES || !is_lower_hex(h))
      throw Error("key digest " + quote_bytes(h) + ": expected 64 lower-case hex digits");
    std::string raw(crypto_hash_sha256_BYTES, '\0');
    sodium_hex2bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), h.data(), h.size(),
                   nullptr, nullptr, nullptr);
    digests_.push_back(std::move(raw));
  }
}

bool BearerKeys::accepts(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
  std::string_view key = authorization.substr(kScheme.size());
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
  if (key.empty()) return false;
  const std::string d = digest(key);
  bool ok = false;
  for (const std::string& k : digests_)  // every digest compared: the time says nothing
    ok |= sodium_memcmp(k.data(), d.data(), d.size()) == 0;
  return ok;
}

}  // namespace glia::serving
