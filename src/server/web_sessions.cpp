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
  if (sessions_.size() >= kMaxSessions)
    sessions_.erase(std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
      return a.second.expires_at < b.second.expires_at;
    }));
  sessions_[key(id)] = Session{std::move(grants), now + lifetime_s};
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
