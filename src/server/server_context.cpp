#include "server/server_context.hpp"

#include <sodium.h>
#include <strings.h>

#include <algorithm>

#include "glia/error.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/local_agent.hpp"

namespace glia::server {

ServerContext::ServerContext(std::vector<platform::Workspace> workspaces)
    : started_at_(platform::now_seconds()) {
  for (auto& ws : workspaces) {
    for (const auto& s : served_)
      if (s->name == ws.name())
        throw Error("two served workspaces are named '" + ws.name() + "' ('" +
                    s->workspace.root().string() + "' and '" + ws.root().string() +
                    "'); workspace names must differ");
    auto served =
        std::make_unique<ServedWorkspace>(ServedWorkspace{ws.name(), std::move(ws), nullptr});
    served->auth = std::make_unique<platform::Authenticator>(served->workspace.store());
    served_.push_back(std::move(served));
  }
}

ServedWorkspace& ServerContext::workspace(const std::string& name) {
  for (auto& s : served_)
    if (s->name == name) return *s;
  throw Error(ErrorKind::NotFound, "no workspace '" + name + "' is served here");
}

std::vector<ServedWorkspace*> ServerContext::workspaces() {
  std::vector<ServedWorkspace*> out;
  for (auto& s : served_) out.push_back(s.get());
  return out;
}

ServedWorkspace* ServerContext::only_workspace() {
  return served_.size() == 1 ? served_.front().get() : nullptr;
}

void ServerContext::wake_agent(ServedWorkspace& ws) {
  if (agent_command.empty()) return;
  auto command = agent_command;
  command.insert(command.end(), {"-w", ws.workspace.root().string()});
  platform::ensure_agent(ws.workspace, command);
}

std::optional<std::string> bearer_token(const http::Request& request) {
  const auto h = request.header("Authorization");
  if (!h) return std::nullopt;
  // The scheme is case-insensitive (RFC 9110 11.1): "Bearer", "bearer", "BEARER".
  constexpr std::string_view kBearer = "bearer ";
  if (h->size() <= kBearer.size() || ::strncasecmp(h->c_str(), kBearer.data(), kBearer.size()) != 0)
    return std::nullopt;
  return h->substr(kBearer.size());
}

platform::Principal ServerContext::authenticate(ServedWorkspace& ws, const std::string& token) {
  for (const auto& [secret, who] : sessions_)
    if (secret.size() == token.size() &&
        sodium_memcmp(secret.data(), token.data(), token.size()) == 0)
      return who;
  return ws.auth->authenticate(token);
}

platform::Principal ServerContext::authenticate(ServedWorkspace& ws, const Credential& credential) {
  if (!credential.web_session) return authenticate(ws, credential.value);
  const auto grant = web_sessions_.grant(credential.value, ws.name);
  if (!grant)
    throw Error(ErrorKind::Unauthenticated,
                web_sessions_.live(credential.value)
                    ? "the web view's session does not open workspace '" + ws.name + "'"
                    : "the web view's session has ended (signed out, expired, or the server "
                      "restarted): sign in again");
  if (grant->fixed) return *grant->fixed;
  return ws.auth->authenticate_verified(grant->token_id);
}

WebLogin ServerContext::start_web_session(const std::string& token) {
  WebLogin login;
  std::vector<WebSessions::Grant> grants;
  for (auto& served : served_) {
    WebSessions::Grant grant{served->name, {}, std::nullopt};
    platform::Principal who;
    try {
      who = authenticate(*served, token);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Unauthenticated) throw;
      continue;
    }
    const bool session_token = std::any_of(sessions_.begin(), sessions_.end(), [&](auto& s) {
      return s.first.size() == token.size() &&
             sodium_memcmp(s.first.data(), token.data(), token.size()) == 0;
    });
    if (session_token)
      grant.fixed = who;
    else
      grant.token_id = who.token_id;
    if (login.user.empty()) login.user = who.user;
    login.workspaces.emplace_back(served->name, who.role);
    grants.push_back(std::move(grant));
  }
  if (grants.empty())
    throw Error(ErrorKind::Unauthenticated,
                "the token is not valid for any served workspace (revoked, expired or "
                "mistyped?)");
  login.session_id = web_sessions_.start(std::move(grants), web_session_lifetime_s);
  return login;
}

void ServerContext::end_web_session(const std::string& session_id) {
  web_sessions_.end(session_id);
}

void ServerContext::add_session_token(std::string token, platform::Principal who) {
  sessions_.emplace_back(std::move(token), std::move(who));
}

std::optional<std::string> ServerContext::session_cookie(const http::Request& request) const {
  // Cookie: a=1; glia_session=T (RFC 6265 5.4: pairs separated by "; "); every Cookie header.
  const std::string name = cookie_name + "=";
  const auto [first, last] = request.headers.equal_range("Cookie");
  for (auto it = first; it != last; ++it) {
    std::string_view rest = it->second;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      if (pair.starts_with(name) && pair.size() > name.size())
        return std::string(pair.substr(name.size()));
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
  }
  return std::nullopt;
}

std::optional<Credential> ServerContext::request_credential(const http::Request& request) const {
  // An Authorization header, whatever it holds, is what the client meant: never set aside for
  // the cookie (one that is not a bearer token is no token, a 401).
  if (request.header("Authorization")) {
    auto token = bearer_token(request);
    if (!token) return std::nullopt;
    return Credential{std::move(*token), false};
  }
  auto session = session_cookie(request);
  if (!session) return std::nullopt;
  return Credential{std::move(*session), true};
}

platform::Principal ServerContext::authorize(http::Request& request, ServedWorkspace& ws,
                                             platform::Role need, const std::string& action) {
  const std::optional<Credential> credential = request_credential(request);
  if (credential && credential->web_session) {
    if (request.method != "GET" && request.method != "HEAD" &&
        request.header("X-Glia-UI").value_or("") != "1")
      throw Error(ErrorKind::Permission,
                  "a request signed in with the web view's cookie that changes something must "
                  "carry the header 'X-Glia-UI: 1' (cross-site requests are refused)");
  }
  if (!credential)
    throw Error(ErrorKind::Unauthenticated,
                request.header("Authorization")
                    ? "the Authorization header is not 'Bearer <token>' (glia token create makes "
                      "one)"
                    : "no API token: send 'Authorization: Bearer <token>' (glia token create "
                      "makes one)");
  platform::Principal who = authenticate(ws, *credential);
  platform::require_role(who, need, action);
  request.context = who;
  return who;
}

}  // namespace glia::server
