// Issuing API tokens: a random id and secret, only the id and an argon2id hash of the secret
// stored.
#include <cmath>

#include "access/secret_hash.hpp"
#include "access/token_text.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/access.hpp"
#include "glia/platform/clock.hpp"

namespace glia::platform {

namespace {

constexpr size_t kMaxDescription = 1000;

}  // namespace

bool is_standard_token_hash(const std::string& hash) {
  return access::standard_hash(hash);
}

std::string token_status(const ApiToken& token, double now) {
  if (token.revoked_at) return "revoked";
  if (token.expires_at && *token.expires_at <= now) return "expired";
  return "active";
}

IssuedToken issue_token(Store& store, const std::string& user, const std::string& description,
                        std::optional<double> expires_at) {
  check_user_name(user);
  if (description.size() > kMaxDescription)
    throw Error("token description is " + std::to_string(description.size()) +
                " bytes long; at most " + std::to_string(kMaxDescription) + " are allowed");
  const double now = now_seconds();
  if (expires_at && (!std::isfinite(*expires_at) || *expires_at <= now))
    throw Error("token expiry must lie in the future");
  const auto found = store.find_user(user);
  if (!found) throw Error(ErrorKind::NotFound, "unknown user " + quote_bytes(user));
  if (found->disabled)
    throw Error(ErrorKind::Conflict,
                "user " + quote_bytes(user) + " is disabled; enable it before issuing a token");
  // 64 random bits: a clash is all but impossible, but one would be refused (Conflict), so a few
  // tries make it certain.
  for (int attempt = 0;; ++attempt) {
    const access::TokenText t = access::random_token();
    ApiToken record{t.id, user, access::hash_secret(t.secret), description, now, expires_at, {}};
    try {
      record = store.create_token(record);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Conflict && attempt < 3 && store.find_token(t.id)) continue;
      throw;
    }
    return {record, access::token_text(t)};
  }
}

}  // namespace glia::platform
