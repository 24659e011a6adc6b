// The workspace's secret key for endpoint keys at rest: .glia/secrets/endpoint.key (32 random
// bytes, created once with mode 0600 exactly, never used when group/other can read it or it is
// not the user's) and libsodium's crypto_secretbox (XSalsa20-Poly1305) sealing text with it.
#pragma once

#include <sodium.h>

#include <array>
#include <filesystem>
#include <string>
#include <string_view>

namespace glia::platform::endpoints {

/// <workspace>/.glia/secrets/endpoint.key.
std::filesystem::path secret_key_path(const std::filesystem::path& workspace_root);

class SecretBox {
 public:
  /// The workspace's key, read from its file. With `create`, a missing file is made first (under
  /// a lock on the secrets folder, so concurrent creators make one key). glia::Error (Permission)
  /// for a key file group or others may read or write, one another user owns, or one that cannot
  /// be read; (Corrupt) for one that does not hold a key; (NotFound) when missing and !create.
  static SecretBox open(const std::filesystem::path& workspace_root, bool create);
  ~SecretBox();
  SecretBox(const SecretBox&) = delete;
  SecretBox& operator=(const SecretBox&) = delete;
  SecretBox(SecretBox&& other) noexcept;
  SecretBox& operator=(SecretBox&&) = delete;

  /// "v1." + base64url(nonce || MAC || ciphertext), a fresh random nonce each time.
  std::string seal(std::string_view plaintext) const;
  /// The plaintext of seal()'s text; glia::Error (Corrupt) for text not sealed with this key.
  std::string unseal(std::string_view sealed) const;

 private:
  SecretBox() = default;
  std::array<unsigned char, crypto_secretbox_KEYBYTES> key_{};
};

}  // namespace glia::platform::endpoints
