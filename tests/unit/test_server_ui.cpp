// The web view's server side through Router::dispatch on a real workspace with real users and
// tokens: the shell and its compiled-in files (ETag/304, 404 for a missing file), the sign-in
// (a token traded for an HttpOnly SameSite cookie holding a server-side session's id, never the
// token; refused tokens; the X-Glia-UI header; sign-out and expiry ending the session), the
// cookie accepted by the REST and MLflow routes with CSRF protection on writes, and glia ui's
// in-memory session token.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "glia/platform/clock.hpp"
#include "server/ui/assets.hpp"
#include "server/web_sessions.hpp"
#include "server_api_fixture.hpp"

namespace glia::server {
namespace {

using nlohmann::json;

// The REST API tests' workspace (an owner, a contributor and a reader; a queued run), with
// requests that carry headers (a cookie) rather than a bearer token.
class ServerUiTest : public testing_api::ServerApiTest {
 protected:
  http::Response request(const std::string& method, const std::string& path,
                         const http::Headers& headers = {}, const std::string& body = "") {
    return call(method, path, "", body, headers);
  }
  static std::string header(const http::Response& r, const std::string& name) {
    const auto it = r.headers.find(name);
    return it == r.headers.end() ? "" : it->second;
  }
  static http::Headers cookie(const std::string& token, bool ui_header = true) {
    http::Headers h{{"Cookie", "theme=dark; glia_session=" + token + "; other=1"}};
    if (ui_header) h.emplace("X-Glia-UI", "1");
    return h;
  }
  http::Response login(const std::string& token, bool ui_header = true) {
    http::Headers h{{"Content-Type", "application/json"}};
    if (ui_header) h.emplace("X-Glia-UI", "1");
    return request("POST", "/ui/login", h, json{{"token", token}}.dump());
  }
  // The cookie's value a sign-in with `token` sets (a session id).
  std::string session(const std::string& token) {
    const auto r = login(token);
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string set = header(r, "Set-Cookie");
    const size_t eq = set.find('='), semi = set.find(';');
    return set.substr(eq + 1, semi - eq - 1);
  }
};

TEST_F(ServerUiTest, TheShellServesEveryPageAndItsFilesWithETags) {
  EXPECT_EQ(request("GET", "/").status, 302);
  EXPECT_EQ(header(request("GET", "/"), "Location"), "/ui/");
  const ui::Asset* index = ui::find_asset("index.html");
  ASSERT_NE(index, nullptr);
  for (const char* page : {"/ui", "/ui/w/team/runs/abc", "/ui/login"}) {
    const auto r = request("GET", page);
    EXPECT_EQ(r.status, 200) << page;
    EXPECT_EQ(r.body, index->body) << page;
    EXPECT_NE(header(r, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  }
  // Every compiled-in file is served at its path with its type; a repeat with the ETag is a 304.
  ASSERT_GT(ui::assets().size(), 3u);
  for (const ui::Asset& a : ui::assets()) {
    if (a.path == "index.html") continue;
    const auto r = request("GET", "/ui/" + std::string(a.path));
    ASSERT_EQ(r.status, 200) << a.path;
    EXPECT_EQ(r.body, a.body);
    EXPECT_EQ(r.content_type, a.content_type);
    EXPECT_EQ(header(r, "ETag"), a.etag);
    const auto again =
        request("GET", "/ui/" + std::string(a.path), {{"If-None-Match", std::string(a.etag)}});
    EXPECT_EQ(again.status, 304) << a.path;
    EXPECT_TRUE(again.body.empty());
  }
  EXPECT_NE(ui::find_asset("static/vendor/dygraph.min.js"), nullptr);
  EXPECT_EQ(request("GET", "/ui/static/js/no-such.js").status, 404);
}

TEST_F(ServerUiTest, NoPageMayFrameTheWebViewUnlessTheServerNamesItsOrigin) {
  auto frame_ancestors = [&](const std::string& path) {
    const std::string policy = header(request("GET", path), "Content-Security-Policy");
    const size_t at = policy.find("frame-ancestors");
    return at == std::string::npos ? std::string("(none given)") : policy.substr(at);
  };
  for (const char* path : {"/ui/w/team/runs/abc", "/ui/static/js/app.js"})
    EXPECT_EQ(frame_ancestors(path), "frame-ancestors 'none'") << path;
  // glia server --ui-frame-ancestors: a notebook's RunDetails shows the run page in a frame.
  context_->ui_frame_ancestors = {"http://localhost:8888", "https://jupyter.example:8443"};
  for (const char* path : {"/ui/w/team/runs/abc", "/ui/static/js/app.js"})
    EXPECT_EQ(frame_ancestors(path),
              "frame-ancestors http://localhost:8888 https://jupyter.example:8443")
        << path;
}

TEST_F(ServerUiTest, SigningInSetsAnHttpOnlyStrictCookieForAValidTokenOnly) {
  const auto ok = login(reader_);
  ASSERT_EQ(ok.status, 200) << ok.body;
  const json body = json::parse(ok.body);
  EXPECT_EQ(body["user"], "rita");
  EXPECT_EQ(body["workspaces"], json::parse(R"([{"name": "team", "role": "reader"}])"));
  const std::string set = header(ok, "Set-Cookie");
  // Regression: the cookie was the API token itself. It is a session's id: 64 hex digits.
  EXPECT_EQ(set.find(reader_), std::string::npos) << set;
  EXPECT_EQ(set.rfind("glia_session=", 0), 0u) << set;
  EXPECT_EQ(set.find(';') - std::string("glia_session=").size(), 64u) << set;
  EXPECT_NE(set.find("; Max-Age=43200"), std::string::npos) << set;  // 12 hours
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(set.find("Secure"), std::string::npos);  // not over TLS
  context_->secure_cookies = true;
  EXPECT_NE(header(login(reader_), "Set-Cookie").find("; Secure"), std::string::npos);

  EXPECT_EQ(login("glia_0123456789abcdef_wrong").status, 401);
  EXPECT_EQ(login("not a token\r\nX: y").status, 401);
  EXPECT_EQ(login(reader_, false).status, 403);  // a cross-site form cannot sign anyone in
  EXPECT_EQ(request("POST", "/ui/login", {{"X-Glia-UI", "1"}}, R"({"token": 5})").status, 400);
  EXPECT_EQ(
      request("POST", "/ui/login", {{"X-Glia-UI", "1"}}, R"({"token": "x", "more": 1})").status,
      400);

  const auto out = request("POST", "/ui/logout", {{"X-Glia-UI", "1"}});
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(header(out, "Set-Cookie").find("Max-Age=0"), std::string::npos);
}

TEST_F(ServerUiTest, TheCookieOpensTheApiAndWritesNeedTheUiHeader) {
  const std::string runs = "/api/v1/workspaces/team/runs";
  const std::string reader = session(reader_), owner = session(owner_);
  EXPECT_EQ(request("GET", runs).status, 401);
  EXPECT_EQ(request("GET", runs, cookie(reader, false)).status, 200);  // GETs need no header
  EXPECT_EQ(request("GET", runs, cookie("glia_0123456789abcdef_nope")).status, 401);
  EXPECT_EQ(request("GET", runs, cookie(reader_)).status, 401);  // an API token is no session
  const auto who = request("GET", "/api/v1/workspaces", cookie(reader));
  ASSERT_EQ(who.status, 200);
  EXPECT_EQ(json::parse(who.body)["user"], "rita");
  // MLflow's routes take the cookie too.
  EXPECT_EQ(request("GET", "/mlflow/team/api/2.0/mlflow/experiments/search", cookie(reader)).status,
            200);

  const std::string cancel = runs + "/" + run_ + "/cancel";
  EXPECT_EQ(request("POST", cancel, cookie(owner, false)).status, 403);  // CSRF refused
  EXPECT_EQ(request("POST", cancel, cookie(reader)).status, 403);        // a reader may not
  EXPECT_EQ(request("POST", cancel, cookie(owner)).status, 202);
  // A bearer token is used as it always was, whatever cookie comes with it.
  http::Headers both = cookie(owner, false);
  both.emplace("Authorization", "Bearer " + reader_);
  EXPECT_EQ(request("POST", cancel, both).status, 403);
}

TEST_F(ServerUiTest, AnAuthorizationHeaderIsNeverSetAsideForTheCookie) {
  // The cookie counts only when the request has no Authorization header: one that is not a
  // bearer token (Basic, an empty Bearer) is refused, not silently replaced by the cookie.
  const std::string runs = "/api/v1/workspaces/team/runs";
  for (const char* value : {"Basic b2xnYTpwdw==", "Bearer ", "Bearer"}) {
    http::Headers h = cookie(session(owner_));
    h.emplace("Authorization", value);
    EXPECT_EQ(request("GET", runs, h).status, 401) << value;
    EXPECT_EQ(request("GET", "/api/v1/workspaces", h).status, 401) << value;
    EXPECT_EQ(request("GET", "/mlflow/team/api/2.0/mlflow/experiments/search", h).status, 401)
        << value;
  }
}

TEST_F(ServerUiTest, TheCookieIsNamedForItsServerSoTwoOnOneHostKeepTheirSessions) {
  // Cookies are not kept apart by port: two servers on 127.0.0.1 (two `glia ui`, or one beside
  // `glia server`) with one cookie name would sign each other out. serve() names it by port.
  context_->cookie_name = "glia_session_8765";
  const auto ok = login(reader_);
  ASSERT_EQ(ok.status, 200);
  const std::string set = header(ok, "Set-Cookie");
  ASSERT_EQ(set.rfind("glia_session_8765=", 0), 0u);
  const std::string id = set.substr(18, set.find(';') - 18);
  EXPECT_EQ(header(request("POST", "/ui/logout", {{"X-Glia-UI", "1"}}), "Set-Cookie")
                .rfind("glia_session_8765=;", 0),
            0u);
  const std::string runs = "/api/v1/workspaces/team/runs";
  EXPECT_EQ(request("GET", runs, {{"Cookie", "glia_session_8765=" + id}}).status, 200);
  // Another server's cookie is not this one's.
  EXPECT_EQ(request("GET", runs, {{"Cookie", "glia_session_9000=" + id}}).status, 401);
  EXPECT_EQ(request("GET", runs, cookie(id)).status, 401);
}

TEST_F(ServerUiTest, ASessionTokenOpensEveryServedWorkspaceAsItsPrincipal) {
  const std::string session = "gliaui_0123456789abcdefABCDEF";
  EXPECT_EQ(login(session).status, 401);
  context_->add_session_token(session, {"ann", platform::Role::Owner, "session"});
  const auto ok = login(session);
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(json::parse(ok.body)["user"], "ann");
  const std::string set = header(ok, "Set-Cookie");
  EXPECT_EQ(set.find(session), std::string::npos) << set;  // regression: the token was the cookie
  const std::string id = set.substr(13, set.find(';') - 13);
  EXPECT_EQ(request("GET", "/api/v1/workspaces/team/runs", cookie(id)).status, 200);
  EXPECT_EQ(request("GET", "/api/v1/workspaces/team/runs", cookie(id + "x")).status, 401);
  EXPECT_EQ(request("GET", "/api/v1/workspaces/team/runs", cookie(session)).status, 401);
  // Signing out ends it on the server.
  http::Headers out = cookie(id);
  EXPECT_EQ(request("POST", "/ui/logout", out).status, 200);
  EXPECT_EQ(request("GET", "/api/v1/workspaces/team/runs", cookie(id)).status, 401);
}

// Regression: the cookie was the API token, and signing out only asked the browser to drop it: a
// copy kept working. Now signing out ends the session on the server, as its expiry does, and the
// session follows its token (a revoke counts at once).
TEST_F(ServerUiTest, SigningOutOrExpiryEndsTheSessionOnTheServerAndARevokeCountsAtOnce) {
  const std::string runs = "/api/v1/workspaces/team/runs";
  const std::string kept = session(reader_), other = session(reader_);
  EXPECT_NE(kept, other);  // a new session per sign-in
  ASSERT_EQ(request("GET", runs, cookie(kept)).status, 200);
  const auto out = request("POST", "/ui/logout", cookie(kept));
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(header(out, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  const auto refused = request("GET", runs, cookie(kept));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(json::parse(refused.body)["error"]["kind"], "unauthenticated");
  EXPECT_EQ(request("GET", runs, cookie(other)).status, 200);  // another sign-in goes on

  context_->web_session_lifetime_s = 0.3;
  const std::string brief = session(reader_);
  EXPECT_EQ(request("GET", runs, cookie(brief)).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(request("GET", runs, cookie(brief)).status, 401);  // expired

  const auto id = platform::token_id_of(reader_);
  ASSERT_TRUE(id);
  ws().store().revoke_token(*id, platform::now_seconds());
  EXPECT_EQ(request("GET", runs, cookie(other)).status, 401);  // its token was revoked
}

// Regression: with the table full, each sign-in ended the session ending soonest, whoever's it
// was: one reader signing in 10,000 times signed everyone else out. Now one token keeps at most
// kMaxSessionsPerOwner sessions (its own oldest out first), and a full table refuses a new
// sign-in (Unavailable, 503) rather than ending another's session.
TEST(WebSessionsTest, ManySignInsByOneTokenEndOnlyItsOwnOldestAndAFullTableRefuses) {
  WebSessions sessions;
  auto grants = [](const std::string& token_id) {
    return std::vector<WebSessions::Grant>{{"team", token_id, std::nullopt}};
  };
  const std::string victim = sessions.start(grants("victim"), 3600);
  std::vector<std::string> mine;
  for (size_t i = 0; i < WebSessions::kMaxSessions + 50; ++i)
    mine.push_back(sessions.start(grants("attacker"), 3600));
  EXPECT_TRUE(sessions.live(victim));
  ASSERT_TRUE(sessions.grant(victim, "team"));
  EXPECT_EQ(sessions.grant(victim, "team")->token_id, "victim");
  // Only the newest kMaxSessionsPerOwner of the attacker's sessions live.
  const size_t cap = WebSessions::kMaxSessionsPerOwner;
  for (size_t i = 0; i < mine.size(); ++i)
    EXPECT_EQ(sessions.live(mine[i]), i >= mine.size() - cap) << i;
  // glia ui's fixed principal counts as its own signer.
  std::vector<WebSessions::Grant> ui{{"team", "", platform::Principal{"ui", {}, ""}}};
  const std::string ui_session = sessions.start(ui, 3600);
  EXPECT_TRUE(sessions.live(ui_session));

  // A full table: a new signer is refused, no one's session is ended.
  WebSessions full;
  const std::string first = full.start(grants("t0"), 3600);
  for (size_t i = 1; i < WebSessions::kMaxSessions; ++i)
    full.start(grants("t" + std::to_string(i)), 3600);
  try {
    full.start(grants("newcomer"), 3600);
    ADD_FAILURE() << "a full table took a new session";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
  }
  EXPECT_TRUE(full.live(first));
  // A signer with sessions of its own makes room among them (its oldest out).
  const std::string again = full.start(grants("t0"), 3600);
  EXPECT_TRUE(full.live(again));
  EXPECT_FALSE(full.live(first));
  EXPECT_TRUE(full.live(full.start(grants("t1"), 3600)));
}

}  // namespace
}  // namespace glia::server
