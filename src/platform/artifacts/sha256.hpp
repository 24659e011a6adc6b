// Streaming SHA-256 over OpenSSL's EVP interface, and the check that a string names a blob.
#pragma once

#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace glia::platform::artifacts {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  /// The lower-case hex digest; the hasher is spent afterwards.
  std::string hex_digest();

 private:
  evp_md_ctx_st* ctx_;
};

/// True when `s` is 64 lower-case hex digits.
bool is_sha256_hex(std::string_view s);
/// Throws glia::Error unless `s` is 64 lower-case hex digits.
void require_sha256(std::string_view s);

}  // namespace glia::platform::artifacts
