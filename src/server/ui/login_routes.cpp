// The web view's sign-in (docs/webview.md "Sign-in, cookies and CSRF"): a token traded for a web
// session whose id the cookie holds (the pages' requests carry it; ServerContext::authorize reads
// it), and signing out, which ends the session on the server.
#include <algorithm>

#include "server/routes.hpp"

namespace glia::server {
namespace {

// Both routes change the browser's state, so both need the header a cross-site form cannot send:
// a login forced by another site (into the attacker's account) is refused like any other write.
void require_ui_header(const http::Request& r) {
  if (r.header("X-Glia-UI").value_or("") != "1")
    throw Error(ErrorKind::Permission,
                "the web view's sign-in must carry the header 'X-Glia-UI: 1' (cross-site requests "
                "are refused)");
}

// A token's characters are those of `glia_<id>_<secret>` (and of glia ui's session token): no
// byte that could end the cookie or the header.
bool cookie_safe(const std::string& token) {
  return !token.empty() && token.size() <= 512 &&
         std::all_of(token.begin(), token.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

std::string cookie(const ServerContext& context, const std::string& value, bool clear) {
  std::string c = context.cookie_name + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
  if (context.secure_cookies) c += "; Secure";
  c +=
      "; Max-Age=" + (clear ? std::string("0")
                            : std::to_string(static_cast<int64_t>(context.web_session_lifetime_s)));
  return c;
}

}  // namespace

void register_login_routes(http::Router& router, ServerContext& context) {
  http::RouteOptions small;
  small.max_body = 16 << 10;
  router.add(
      "POST", "/ui/login",
      [&context](http::Request& r) {
        require_ui_header(r);
        const nlohmann::json body = r.json_body();
        if (!body.is_object() || body.size() != 1 || !body.contains("token") ||
            !body["token"].is_string())
          throw Error("request body: expected {\"token\": \"glia_...\"}");
        const std::string token = body["token"].get<std::string>();
        if (!cookie_safe(token))
          throw Error(ErrorKind::Unauthenticated, "the token is not a Glia API token");
        // The cookie holds a new session's id, never the token (kept nowhere by the server).
        const WebLogin login = context.start_web_session(token);
        nlohmann::json workspaces = nlohmann::json::array();
        for (const auto& [name, role] : login.workspaces)
          workspaces.push_back({{"name", name}, {"role", platform::role_name(role)}});
        http::Response response =
            http::Response::json({{"user", login.user}, {"workspaces", workspaces}});
        response.set_header("Set-Cookie", cookie(context, login.session_id, false));
        response.set_header("Cache-Control", "no-store");
        return response;
      },
      small);
  router.add(
      "POST", "/ui/logout",
      [&context](http::Request& r) {
        require_ui_header(r);
        // The session ends on the server: its cookie, kept or copied, opens nothing from now on.
        if (const auto session = context.session_cookie(r)) context.end_web_session(*session);
        http::Response response = http::Response::json({{"signed_out", true}});
        response.set_header("Set-Cookie", cookie(context, "", true));
        response.set_header("Cache-Control", "no-store");
        return response;
      },
      small);
}

}  // namespace glia::server
