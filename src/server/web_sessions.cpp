#include "server/web_sessions.hpp"

#include <sodium.h>

#include <algorithm>

#include "glia/error.hpp"
#include "glia/platform/clock.hpp"

namespace glia::server {

std::string WebSessions::key(const std::string& id) {
  unsigned char hash[crypto_generichash_BYTES];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(id.data()),
                     id.size(), nullptr, 0);
  return std::string(reinterpret_cast<const char*>(hash), sizeof hash);
}

std::string WebSessions::owner(const std::vector<Grant>& grants) {
  // Who signed in: per workspace the token id, or the fixed principal (glia ui's session token).
  std::string who;
  for (const Grant& g : grants) {
    who += g.workspace;
    who += '\x1f';
    who += g.token_id;
    who += '\x1f';
    if (g.fixed) {
      who += g.fixed->user;
      who += '\x1f';
      who += g.fixed->token_id;
    }
    who += '\x1e';
  }
  return who;
}

std::string WebSessions::start(std::vector<Grant> grants, double lifetime_s) {
  if (sodium_init() < 0) throw Error(ErrorKind::Internal, "libsodium could not be initialized");
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[2 * sizeof bytes + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  const std::string id(hex);
  const double now = platform::now_seconds();
  std::lock_guard lock(mu_);
  std::erase_if(sessions_, [now](const auto& s) { return s.second.expires_at <= now; });
  // One token's sign-ins make room among its own sessions only (its oldest out first), never
  // by ending another's: a full table refuses a sign-in that has none of its own to drop.
  std::string who = owner(grants);
  std::vector<std::map<std::string, Session>::iterator> own;
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
    if (it->second.owner == who) own.push_back(it);
  std::sort(own.begin(), own.end(), [](auto& a, auto& b) { return a->second.seq < b->second.seq; });
  size_t dropped = 0;
  while (dropped < own.size() &&
         (own.size() - dropped >= kMaxSessionsPerOwner || sessions_.size() >= kMaxSessions))
    sessions_.erase(own[dropped++]);
  if (sessions_.size() >= kMaxSessions)
    throw Error(ErrorKind::Unavailable,
                "too many web view sessions are open on this server: try again later");
  sessions_[key(id)] = Session{std::move(grants), now + lifetime_s, std::move(who), ++seq_};
  return id;
}

std::optional<WebSessions::Grant> WebSessions::grant(const std::string& id,
                                                     const std::string& workspace) const {
  std::lock_guard lock(mu_);
  const auto it = sessions_.find(key(id));
  if (it == sessions_.end() || it->second.expires_at <= platform::now_seconds())
    return std::nullopt;
  for (const Grant& g : it->second.grants)
    if (g.workspace == workspace) return g;
  return std::nullopt;
}

bool WebSessions::live(const std::string& id) const {
  std::lock_guard lock(mu_);
  const auto it = sessions_.find(key(id));
  return it != sessions_.end() && it->second.expires_at > platform::now_seconds();
}

void WebSessions::end(const std::string& id) {
  std::lock_guard lock(mu_);
  sessions_.erase(key(id));
}

}  // namespace glia::server
