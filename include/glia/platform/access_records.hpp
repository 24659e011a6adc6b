// What the store keeps for access control (see glia/platform/access.hpp, docs/access.md): the
// roles, the users of a workspace and their API tokens (hashed).
#pragma once

#include <optional>
#include <string>

namespace glia::platform {

/// What a user may do in a workspace: read everything (Reader), also submit, log, register and
/// cancel (Contributor), also manage users, tokens and compute (Owner).
enum class Role { Reader, Contributor, Owner };

/// "reader", "contributor", "owner"; parse_role throws glia::Error for any other name.
std::string role_name(Role role);
Role parse_role(const std::string& name);

/// A user of a workspace served over HTTP (names follow the asset name rule).
struct User {
  std::string name;
  Role role = Role::Reader;
  double created_at = 0;  // 0: now (create_user)
  std::string created_by;
  bool disabled = false;  // a disabled user's tokens are refused
};

/// An API token: `glia_<id>_<secret>` is shown once; the store keeps the id (its lookup key, not
/// secret) and an argon2id hash of the secret (libsodium's crypto_pwhash_str string), never the
/// secret itself.
struct ApiToken {
  std::string id;
  std::string user;
  std::string secret_hash;
  std::string description;
  double created_at = 0;  // 0: now (create_token)
  std::optional<double> expires_at;
  std::optional<double> revoked_at;
};

}  // namespace glia::platform
