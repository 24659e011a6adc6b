// SHA-256 of files and byte strings with OpenSSL's EVP API (which picks SHA-NI/AVX code paths).
#include "sha256.hpp"

#include <openssl/evp.h>

#include <new>

#include "file_io.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"

namespace glia::platform {
namespace artifacts {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) throw std::bad_alloc();
  if (EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw Error("SHA-256 is not available from OpenSSL's libcrypto");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_);
}

void Sha256::update(const void* data, size_t size) {
  if (size > 0 && EVP_DigestUpdate(ctx_, data, size) != 1) throw Error("SHA-256 update failed");
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx_, digest, &length) != 1) throw Error("SHA-256 final failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(size_t{length} * 2, '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

void require_sha256(std::string_view s) {
  if (is_sha256_hex(s)) return;
  const std::string shown = s.size() > 80 ? std::string(s.substr(0, 80)) + "..." : std::string(s);
  throw Error("'" + shown + "' is not a SHA-256 (expected 64 lower-case hex digits)");
}

}  // namespace artifacts

std::string sha256_file(const std::filesystem::path& file) {
  artifacts::UniqueFd fd = artifacts::open_for_reading(file);
  char* buffer = artifacts::io_buffer();
  artifacts::Sha256 hash;
  while (size_t n = artifacts::read_some(fd.get(), buffer, artifacts::kIoBufferSize, file))
    hash.update(buffer, n);
  return hash.hex_digest();
}

std::string sha256_bytes(std::string_view bytes) {
  artifacts::Sha256 hash;
  hash.update(bytes.data(), bytes.size());
  return hash.hex_digest();
}

}  // namespace glia::platform
