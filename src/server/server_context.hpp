// What every request handler of `glia server` shares: the workspaces served (each with its own
// store, users and tokens) and the one way a request is authenticated and its role checked.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "glia/http/message.hpp"
#include "glia/platform/access.hpp"
#include "glia/platform/workspace.hpp"
#include "server/web_sessions.hpp"

namespace glia::server {

struct ServedWorkspace {
  std::string name;
  platform::Workspace workspace;
  std::unique_ptr<platform::Authenticator> auth;
};

/// The default name of the web view's session cookie (ServerContext::cookie_name), which holds the
/// id of a web session (WebSessions), never an API token (`HttpOnly`, `SameSite=Strict`: the
/// page's scripts cannot read it, other sites cannot send it).
inline constexpr const char* kSessionCookie = "glia_session";

/// What a request authenticates with: its bearer token, or (only with no Authorization header)
/// the web session its cookie names.
struct Credential {
  std::string value;
  bool web_session = false;
};

/// A web view sign-in (ServerContext::start_web_session): the new session's id, for the cookie,
/// the user and the workspaces it opens with the role in each.
struct WebLogin {
  std::string session_id;
  std::string user;
  std::vector<std::pair<std::string, platform::Role>> workspaces;
};

class ServerContext {
 public:
  /// Serves these workspaces; their names must differ (InvalidArgument otherwise).
  explicit ServerContext(std::vector<platform::Workspace> workspaces);

  /// The served workspace named `name`; NotFound otherwise.
  ServedWorkspace& workspace(const std::string& name);
  std::vector<ServedWorkspace*> workspaces();
  /// The workspace when exactly one is served (MLflow's routes at the root use it); else null.
  ServedWorkspace* only_workspace();

  /// Authenticates the request's credential (request_credential: `Authorization: Bearer <token>`,
  /// else — only with no Authorization header — the web session its cookie names) against `ws`'s
  /// users and
  /// checks that their role allows `need` for `action` ("submit jobs"): glia::Error Unauthenticated
  /// (401) for a missing or invalid token — a token of another workspace is unknown here —,
  /// Permission (403) for a role below `need`, and for a cookie-authenticated request other than
  /// GET/HEAD without the header `X-Glia-UI: 1` (CSRF: a cross-site form cannot send it, a
  /// cross-site fetch would need a preflight the server never grants). The principal is also left
  /// in request.context (std::any holding platform::Principal).
  platform::Principal authorize(http::Request& request, ServedWorkspace& ws, platform::Role need,
                                const std::string& action);

  /// The principal of `token` in `ws`: a session token (add_session_token) or one of the
  /// workspace's API tokens (Unauthenticated otherwise). No role check.
  platform::Principal authenticate(ServedWorkspace& ws, const std::string& token);
  /// The principal of a request's credential in `ws`: its bearer token's, or its live web
  /// session's (its API token checked again by id: a revoke counts at once). Unauthenticated for
  /// an ended, expired or unknown session. No role check.
  platform::Principal authenticate(ServedWorkspace& ws, const Credential& credential);

  /// Signs the web view in with `token` (an API token of served workspaces, or a session token):
  /// a new web session for every workspace it opens, for web_session_lifetime_s. Unauthenticated
  /// when it opens none. The token itself is kept nowhere.
  WebLogin start_web_session(const std::string& token);
  /// Ends the web session `session_id` (signing out); nothing when there is none.
  void end_web_session(const std::string& session_id);
  /// How long a web session lasts from its sign-in (and the cookie's Max-Age). Set before serving.
  double web_session_lifetime_s = 12 * 3600;

  /// Accepts `token` for every served workspace as `who` until the server ends (`glia ui`'s
  /// one-time session token: random, in memory only, never stored). Call before serving.
  void add_session_token(std::string token, platform::Principal who);

  double started_at() const { return started_at_; }

  /// Whether the server is reached over TLS: the session cookie is then `Secure`.
  bool secure_cookies = false;
  /// The name of the web view's session cookie. Browsers keep cookies apart by host, not by
  /// port: serve() names it by the port it listens on (glia_session_PORT), so two servers on one
  /// host (two `glia ui`) do not sign each other out. Set before serving.
  std::string cookie_name = kSessionCookie;

  /// Origins (`https://host[:port]`) whose pages may show the web view in a frame, such as a
  /// Jupyter server's for the SDK's RunDetails (`glia server --ui-frame-ancestors`); none: no
  /// page may frame it. Set before serving.
  std::vector<std::string> ui_frame_ancestors;

  /// The value of the request's session cookie (cookie_name); nullopt when absent or empty.
  std::optional<std::string> session_cookie(const http::Request& request) const;
  /// The credential a request carries: its bearer token when it has an Authorization header
  /// (nullopt when that is not `Bearer <token>`), else the web session its cookie names.
  std::optional<Credential> request_credential(const http::Request& request) const;

  /// How the server starts a workspace's compute agent (the glia binary's `agent run`); the
  /// workspace root is appended as `-w ROOT`. Set by `glia server`; empty: no agent is started.
  std::vector<std::string> agent_command;
  /// Wakes the workspace's agent, starting it when none runs (after a submit or a cancel).
  void wake_agent(ServedWorkspace& ws);

 private:
  std::vector<std::unique_ptr<ServedWorkspace>> served_;
  std::vector<std::pair<std::string, platform::Principal>> sessions_;  // session tokens
  WebSessions web_sessions_;
  double started_at_ = 0;
};

/// The bearer token of a request (`Authorization: Bearer T`); nullopt when absent.
std::optional<std::string> bearer_token(const http::Request& request);

}  // namespace glia::server
