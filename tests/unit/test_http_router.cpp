// The HTTP layer's routing, error mapping and byte ranges, without a network.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "glia/http/range.hpp"
#include "glia/http/router.hpp"

namespace glia::http {
namespace {

Request make(const std::string& method, const std::string& path) {
  Request r;
  r.method = method;
  r.path = path;
  return r;
}

nlohmann::json body_of(const Response& r) {
  return nlohmann::json::parse(r.body);
}

TEST(HttpRouter, MatchesLiteralsParamsAndTheRest) {
  Router router;
  router.add("GET", "/api/v1/runs/{id}", [](Request& r) {
    return Response::json({{"id", r.param("id")}});
  });
  router.add("GET", "/api/v1/runs/{id}/files/{path...}", [](Request& r) {
    return Response::json({{"id", r.param("id")}, {"path", r.param("path")}});
  });
  Request a = make("GET", "/api/v1/runs/r1");
  EXPECT_EQ(body_of(router.dispatch(a))["id"], "r1");
  Request b = make("GET", "/api/v1/runs/r1/files/outputs/model/x.h5");
  const auto jb = body_of(router.dispatch(b));
  EXPECT_EQ(jb["path"], "outputs/model/x.h5");
  Request c = make("GET", "/api/v1/runs/r1/files");  // the rest is never empty
  EXPECT_EQ(router.dispatch(c).status, 404);
  Request d = make("HEAD", "/api/v1/runs/r2");  // GET routes answer HEAD
  EXPECT_EQ(router.dispatch(d).status, 200);
}

TEST(HttpRouter, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Router router;
  router.add("GET", "/x", [](Request&) { return Response::json({}); });
  router.add("DELETE", "/x", [](Request&) { return Response::json({}); });
  Request a = make("GET", "/nothing");
  const Response ra = router.dispatch(a);
  EXPECT_EQ(ra.status, 404);
  EXPECT_EQ(body_of(ra)["error"]["kind"], "not_found");
  Request b = make("POST", "/x");
  const Response rb = router.dispatch(b);
  EXPECT_EQ(rb.status, 405);
  EXPECT_EQ(rb.headers.find("allow")->second, "DELETE, GET, HEAD");
}

TEST(HttpRouter, ErrorsMapToTheirKindsStatusAndOthersTo500) {
  Router router;
  router.add("GET", "/nf",
             [](Request&) -> Response { throw Error(ErrorKind::NotFound, "unknown run 'x'"); });
  router.add("GET", "/conflict",
             [](Request&) -> Response { throw Error(ErrorKind::Conflict, "busy"); });
  router.add("GET", "/auth",
             [](Request&) -> Response { throw Error(ErrorKind::Unauthenticated, "no token"); });
  router.add("GET", "/bug", [](Request&) -> Response { throw std::runtime_error("secret"); });
  router.add("POST", "/json", [](Request& r) { return Response::json(r.json_body()); });
  Request a = make("GET", "/nf");
  const Response ra = router.dispatch(a);
  EXPECT_EQ(ra.status, 404);
  EXPECT_EQ(body_of(ra)["error"]["message"], "unknown run 'x'");
  Request b = make("GET", "/conflict");
  EXPECT_EQ(router.dispatch(b).status, 409);
  Request c = make("GET", "/auth");
  const Response rc = router.dispatch(c);
  EXPECT_EQ(rc.status, 401);
  EXPECT_EQ(rc.headers.count("WWW-Authenticate"), 1u);  // RFC 9110 11.6.1
  Request d = make("GET", "/bug");
  const Response rd = router.dispatch(d);
  EXPECT_EQ(rd.status, 500);
  EXPECT_EQ(rd.body.find("secret"), std::string::npos);  // nothing of the inside leaks
  // A glia::Error of kind Internal speaks of the inside too: the log has it, the client not.
  router.add("GET", "/invariant", [](Request&) -> Response {
    throw Error(ErrorKind::Internal, "sqlite: no such column x in /srv/ws/.glia/store.db");
  });
  Request i = make("GET", "/invariant");
  testing::internal::CaptureStderr();
  const Response ri = router.dispatch(i);
  const std::string logged = testing::internal::GetCapturedStderr();
  EXPECT_EQ(ri.status, 500);
  EXPECT_EQ(body_of(ri)["error"]["kind"], "internal");
  EXPECT_EQ(ri.body.find("store.db"), std::string::npos) << ri.body;
  EXPECT_NE(logged.find("store.db"), std::string::npos) << logged;
  // What the client sent is quoted in the log: a decoded path's newline cannot forge a line.
  Request forged = make("GET", "/bug");
  forged.path = "/bug\nglia server: forged";
  router.add("GET", "/bug\nglia server: forged",
             [](Request&) -> Response { throw std::runtime_error("boom"); });
  testing::internal::CaptureStderr();
  router.dispatch(forged);
  const std::string log2 = testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(log2.begin(), log2.end(), '\n'), 1) << log2;
  // Not even a std::exception: still Glia's 500 body, never an escape.
  router.add("GET", "/odd", [](Request&) -> Response { throw 42; });
  Request o = make("GET", "/odd");
  testing::internal::CaptureStderr();
  const Response ro = router.dispatch(o);
  testing::internal::GetCapturedStderr();
  EXPECT_EQ(ro.status, 500);
  EXPECT_EQ(body_of(ro)["error"]["kind"], "internal");
  Request e = make("POST", "/json");
  e.body = "{not json";
  const Response re = router.dispatch(e);
  EXPECT_EQ(re.status, 400);
  EXPECT_EQ(body_of(re)["error"]["kind"], "invalid_argument");
}

TEST(HttpRouter, RefusesMalformedAndDuplicateRoutes) {
  Router router;
  const auto h = [](Request&) { return Response::json({}); };
  EXPECT_THROW(router.add("GET", "nope", h), Error);
  EXPECT_THROW(router.add("GET", "/a/{rest...}/b", h), Error);
  EXPECT_THROW(router.add("GET", "/a/x{y}", h), Error);
  router.add("GET", "/a", h);
  EXPECT_THROW(router.add("GET", "/a", h), Error);
  EXPECT_EQ(router.routes().size(), 1u);
}

// A single-valued header sent twice is refused (which copy counts is not the server's guess); a
// list-valued one reads as its copies joined (RFC 9110 5.3).
TEST(HttpRequest, ASingleValuedHeaderSentTwiceIsRefused) {
  Request r = make("GET", "/x");
  r.headers = {{"Idempotency-Key", "k3"},
               {"idempotency-key", "k4"},
               {"If-None-Match", "\"a\""},
               {"If-None-Match", "\"b\""},
               {"Range", "bytes=0-1"}};
  try {
    r.header("Idempotency-Key");
    ADD_FAILURE() << "a repeated header was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("given 2 times"), std::string::npos) << e.what();
  }
  EXPECT_EQ(r.header_list("If-None-Match"), "\"a\", \"b\"");
  EXPECT_EQ(r.header("Range"), "bytes=0-1");
  EXPECT_EQ(r.header("Authorization"), std::nullopt);
  EXPECT_EQ(r.header_list("Authorization"), std::nullopt);
  // Through a route: a 400 with the error body, as any bad input.
  Router router;
  router.add("GET", "/x", [](Request& q) {
    return Response::json({{"key", q.header("Idempotency-Key").value_or("")}});
  });
  const Response answer = router.dispatch(r);
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(body_of(answer)["error"]["kind"], "invalid_argument");
}

// A route's error_body words the refusals the HTTP layer makes for it (a 416 here).
TEST(HttpRequest, ARoutesErrorBodyWordsTheLayersRefusals) {
  Router router;
  RouteOptions options;
  options.error_body = [](int status, ErrorKind, const std::string& message) {
    return Response::json({{"worded", message}}, status);
  };
  router.add(
      "GET", "/blob",
      [](Request& q) {
        return ranged_response(q, 10, "text/plain",
                               [](uint64_t, uint64_t, BodySink&) { return true; });
      },
      options);
  Request r = make("GET", "/blob");
  r.headers = {{"Range", "bytes=20-30"}};
  const Response answer = router.dispatch(r);
  EXPECT_EQ(answer.status, 416);
  EXPECT_TRUE(body_of(answer).contains("worded")) << answer.body;
  EXPECT_EQ(answer.headers.find("Content-Range")->second, "bytes */10");
}

TEST(HttpRange, ParsesOneRangeAndRefusesWhatCannotBeSatisfied) {
  using K = RangeRequest;
  EXPECT_EQ(parse_range(std::nullopt, 100).kind, K::Whole);
  auto r = parse_range("bytes=10-19", 100);
  EXPECT_EQ(r.kind, K::Part);
  EXPECT_EQ(r.range.offset, 10u);
  EXPECT_EQ(r.range.length, 10u);
  r = parse_range("bytes=90-", 100);
  EXPECT_EQ(r.range.offset, 90u);
  EXPECT_EQ(r.range.length, 10u);
  r = parse_range("bytes=-30", 100);  // the last 30
  EXPECT_EQ(r.range.offset, 70u);
  r = parse_range("bytes=95-200", 100);  // clipped to the end
  EXPECT_EQ(r.range.length, 5u);
  EXPECT_EQ(parse_range("bytes=100-", 100).kind, K::Unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 100).kind, K::Unsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-1,5-6", 100).kind, K::Whole);  // several: whole body
  EXPECT_EQ(parse_range("items=0-1", 100).kind, K::Whole);
  EXPECT_EQ(parse_range("bytes=9-2", 100).kind, K::Whole);  // invalid: ignored
  EXPECT_EQ(parse_range("bytes=x-2", 100).kind, K::Whole);
}

}  // namespace
}  // namespace glia::http
