// An endpoint's bearer keys as its process checks them: it holds only their SHA-256 digests
// (the agent writes those to its config), hashes the key a request presents and compares in
// constant time. Keys are high-entropy random strings, so a plain digest is enough to keep
// them out of files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace glia::serving {

/// SHA-256 of `key` as 64 lower-case hex digits.
std::string key_sha256_hex(std::string_view key);

class BearerKeys {
 public:
  BearerKeys() = default;
  /// Digests as key_sha256_hex gives them; glia::Error (InvalidArgument) naming one that is not
  /// 64 lower-case hex digits.
  explicit BearerKeys(const std::vector<std::string>& sha256_hex);
  /// Whether an `Authorization` header value is "Bearer KEY" (scheme case-insensitive) with a
  /// KEY whose digest is one of the keys'.
  bool accepts(std::string_view authorization) const;
  bool empty() const { return digests_.empty(); }

 private:
  std::vector<std::string> digests_;  // 32 raw bytes each
};

}  // namespace glia::serving
