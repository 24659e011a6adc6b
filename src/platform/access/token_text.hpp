// The text of an API token: `glia_<id>_<secret>`, where <id> is 16 lowercase hex characters (8
// random bytes, the store's lookup key, not secret) and <secret> 43 base64url characters (32
// random bytes, no padding).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace glia::platform::access {

inline constexpr std::string_view kTokenPrefix = "glia_";
inline constexpr size_t kIdBytes = 8, kIdChars = 16;
inline constexpr size_t kSecretBytes = 32, kSecretChars = 43;
inline constexpr size_t kTokenChars = kTokenPrefix.size() + kIdChars + 1 + kSecretChars;

struct TokenText {
  std::string id, secret;
};

/// The id and secret of `text`, nullopt unless it is exactly of the form above (length, prefix,
/// alphabet of each part).
std::optional<TokenText> parse_token_text(std::string_view text);

/// A new random id and secret.
TokenText random_token();

/// A lowercase hex digit (the alphabet of ids).
bool is_hex_lower(char c);

/// `glia_<id>_<secret>`.
std::string token_text(const TokenText& t);

}  // namespace glia::platform::access
