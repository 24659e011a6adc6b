// Parsing and making the text of API tokens (randombytes_buf for both random parts).
#include "access/token_text.hpp"

#include <sodium.h>

#include <array>

#include "access/sodium_init.hpp"
#include "glia/platform/access.hpp"

namespace glia::platform {

namespace access {

bool is_hex_lower(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

namespace {

bool is_base64url(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

std::optional<TokenText> parse_token_text(std::string_view text) {
  if (text.size() != kTokenChars || text.substr(0, kTokenPrefix.size()) != kTokenPrefix)
    return std::nullopt;
  const std::string_view id = text.substr(kTokenPrefix.size(), kIdChars);
  if (text[kTokenPrefix.size() + kIdChars] != '_') return std::nullopt;
  const std::string_view secret = text.substr(kTokenPrefix.size() + kIdChars + 1);
  for (char c : id)
    if (!is_hex_lower(c)) return std::nullopt;
  for (char c : secret)
    if (!is_base64url(c)) return std::nullopt;
  return TokenText{std::string(id), std::string(secret)};
}

TokenText random_token() {
  ensure_sodium();
  std::array<unsigned char, kIdBytes> id{};
  std::array<unsigned char, kSecretBytes> secret{};
  randombytes_buf(id.data(), id.size());
  randombytes_buf(secret.data(), secret.size());
  std::array<char, kIdChars + 1> id_hex{};
  sodium_bin2hex(id_hex.data(), id_hex.size(), id.data(), id.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::array<char, sodium_base64_ENCODED_LEN(kSecretBytes, kVariant)> secret_b64{};
  sodium_bin2base64(secret_b64.data(), secret_b64.size(), secret.data(), secret.size(), kVariant);
  sodium_memzero(secret.data(), secret.size());
  TokenText out{std::string(id_hex.data(), kIdChars), std::string(secret_b64.data(), kSecretChars)};
  sodium_memzero(secret_b64.data(), secret_b64.size());
  return out;
}

std::string token_text(const TokenText& t) {
  return std::string(kTokenPrefix) + t.id + "_" + t.secret;
}

}  // namespace access

bool is_token_id(std::string_view id) {
  if (id.size() != access::kIdChars) return false;
  for (char c : id)
    if (!access::is_hex_lower(c)) return false;
  return true;
}

std::optional<std::string> token_id_of(std::string_view token_text) {
  auto t = access::parse_token_text(token_text);
  if (!t) return std::nullopt;
  return t->id;
}

}  // namespace glia::platform
