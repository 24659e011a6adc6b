// Access control for a workspace served over HTTP (docs/access.md): users with a role, API tokens
// issued once and stored hashed, authenticating a token per request, and the role checks.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "glia/platform/store.hpp"

namespace glia::platform {

// ---- users ----

/// Throws glia::Error (InvalidArgument) unless `name` follows the asset name rule
/// ([A-Za-z0-9][A-Za-z0-9._-]{0,254}).
void check_user_name(const std::string& name);
/// Whether `hash` is a token hash this server makes (argon2id at its own cost): the only kind
/// it verifies.
bool is_standard_token_hash(const std::string& hash);

/// Adds a user after checking its name; an existing name is refused (Conflict). `created_by`:
/// who added it (a Unix user for the CLI, a user for the server).
User add_user(Store& store, const std::string& name, Role role, const std::string& created_by);

// ---- roles ----

/// Whether a user with role `have` may do what needs role `need`: reader < contributor < owner,
/// each allowed what the roles below it are.
bool role_allows(Role have, Role need);

// ---- tokens ----

/// A token as issued: its stored record (the id and the argon2id hash of the secret, never the
/// secret) and the text `glia_<id>_<secret>`, shown to the user once and kept nowhere.
struct IssuedToken {
  ApiToken record;
  std::string text;
};

/// Issues a token for `user` (an existing user: NotFound otherwise; a disabled one is refused
/// with Conflict). `expires_at` (Unix seconds) must lie in the future; nullopt: never expires.
/// `description` is at most 1000 bytes.
IssuedToken issue_token(Store& store, const std::string& user, const std::string& description,
                        std::optional<double> expires_at);

/// "revoked", "expired" (at `now`, Unix seconds) or "active".
std::string token_status(const ApiToken& token, double now);

/// Whether `id` has the form of a token id (16 lowercase hex characters).
bool is_token_id(std::string_view id);

/// The id of a token's text (`glia_<id>_<secret>`), nullopt when the text is not of that form.
/// The secret is not checked.
std::optional<std::string> token_id_of(std::string_view token_text);

// ---- authenticating a request ----

/// Who made a request: the token's user, their role as the store has it now, the token's id.
struct Principal {
  std::string user;
  Role role = Role::Reader;
  std::string token_id;
};

/// Authenticates API tokens against one store. Thread-safe: one Authenticator serves every
/// request thread of a server (the store must be safe for concurrent calls, as SqliteStore is).
///
/// The token row and its user row are read from the store on every call, so a revoke, an expiry,
/// a disabled user or a changed role (also from another process, e.g. `glia token revoke`) takes
/// effect on the very next call. Only the costly argon2id verification of the secret is cached:
/// in memory, bounded (least recently used out first), keyed by a keyed BLAKE2b hash of the
/// token text (never the text), and valid only while the token's stored hash is the one verified.
class Authenticator {
 public:
  explicit Authenticator(Store& store, size_t cache_capacity = 10000);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  /// The principal of `token_text` (`glia_<id>_<secret>`). Throws glia::Error (Unauthenticated,
  /// one line, never the token's secret) for a malformed, unknown, wrong, revoked or expired
  /// token, or a token whose user is disabled or no longer exists.
  Principal authenticate(std::string_view token_text);

  /// The principal of the token `token_id`, whose secret an earlier authenticate() verified (a web
  /// view session made from it holds the id, never the secret). Its row and its user's are read
  /// again, so a revoke, an expiry, a disabled user or a new role count at once. Unauthenticated
  /// as authenticate() for an unknown, revoked or expired token or a disabled or missing user.
  Principal authenticate_verified(const std::string& token_id);

  /// How many verified tokens the cache holds now (at most cache_capacity).
  size_t cached() const;

 private:
  Principal principal_of(const ApiToken& token);  // its state and its user's, read now
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Throws glia::Error (Permission) "user 'bo' (reader) may not <action>; it needs the
/// contributor role" unless the principal's role allows `need`.
void require_role(const Principal& principal, Role need, const std::string& action);

}  // namespace glia::platform
