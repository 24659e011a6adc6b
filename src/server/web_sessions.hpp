// The web view's sessions (docs/webview.md "Sign-in, cookies and CSRF"): what the browser's cookie
// names instead of an API token. A session id is 32 random bytes; the server keeps, in its memory
// only, a BLAKE2b hash of it, its expiry and what it grants — for each workspace the id of the API
// token that signed in (checked again on every request, so a revoke counts at once), or glia ui's
// principal. Signing out ends it; a restart of the server ends them all.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/access.hpp"

namespace glia::server {

class WebSessions {
 public:
  /// What a session opens in one workspace: the principal of an API token (by its id, its
  /// secret verified at sign-in), or a fixed principal (glia ui's in-memory session token).
  struct Grant {
    std::string workspace;
    std::string token_id;
    std::optional<platform::Principal> fixed;
  };

  /// Starts a session granting `grants` for `lifetime_s` seconds; returns its id (the cookie's
  /// value, 64 hex digits), which is kept nowhere. At most kMaxSessionsPerOwner live at once for
  /// one signer (the same grants: the same API token, or glia ui's principal): its oldest is
  /// dropped for a new one. At most kMaxSessions live at once in all: when full, the signer's own
  /// oldest makes room, and with none of its own the sign-in is refused (Error kind Unavailable,
  /// 503): no one else's session is ended.
  std::string start(std::vector<Grant> grants, double lifetime_s);
  /// The grant of the live session `id` for `workspace`: nullopt when the session is unknown,
  /// ended or expired, or opens no such workspace.
  std::optional<Grant> grant(const std::string& id, const std::string& workspace) const;
  /// Whether `id` names a live session.
  bool live(const std::string& id) const;
  /// Ends the session `id` (nothing when there is none).
  void end(const std::string& id);

  static constexpr size_t kMaxSessions = 10000;
  static constexpr size_t kMaxSessionsPerOwner = 16;

 private:
  struct Session {
    std::vector<Grant> grants;
    double expires_at = 0;
    std::string owner;           // owner(grants)
    unsigned long long seq = 0;  // order of starts: the oldest has the smallest
  };
  static std::string key(const std::string& id);
  static std::string owner(const std::vector<Grant>& grants);
  mutable std::mutex mu_;
  std::map<std::string, Session> sessions_;  // by key(id)
  unsigned long long seq_ = 0;
};

}  // namespace glia::server
