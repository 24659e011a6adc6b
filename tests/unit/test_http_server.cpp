// The HTTP server over real sockets: answers and their errors, ranges and streamed answers (never
// held back by compression), header values that cannot split a response, and start-up refusals.
// Request bodies: test_http_server_bodies.cpp; connections and stopping:
// test_http_server_connections.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <netinet/tcp.h>

#include "http_server_fixture.hpp"

namespace glia::http::testing_server {
namespace {

TEST_F(HttpServerTest, AnswersJsonAndErrorsWithTheirStatus) {
  auto c = client();
  auto r = c.Get("/hello?name=bo");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body)["hello"], "bo");
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  r = c.Get("/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(nlohmann::json::parse(r->body)["error"]["kind"], "not_found");
  r = c.Delete("/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
}

TEST_F(HttpServerTest, ServesRangesChunksAnd416) {
  auto c = client();
  auto r = c.Get("/blob");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 1000u);
  EXPECT_EQ(r->get_header_value("Accept-Ranges"), "bytes");
  r = c.Get("/blob", {{"Range", "bytes=26-29"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body, "abcd");
  EXPECT_EQ(r->get_header_value("Content-Range"), "bytes 26-29/1000");
  r = c.Get("/blob", {{"Range", "bytes=5000-"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 416);
  EXPECT_EQ(r->get_header_value("Content-Range"), "bytes */1000");
  // A JSON answer is never cut by a Range header.
  r = c.Get("/hello", {{"Range", "bytes=0-1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body)["hello"], "world");
  r = c.Get("/chunks");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "line 0\nline 1\nline 2\nline 3\nline 4\n");
}

TEST_F(HttpServerTest, RangesCppHttplibCannotParseAreIgnoredAndItsOwnErrorsHaveErrorBodies) {
  // Another unit, or a range whose end is before its start: ignored (RFC 9110 14.2), the whole
  // body, as ranged_response documents; cpp-httplib answered 416 before any route ran.
  auto c = client();
  for (const char* range : {"items=0-5", "bytes=5-1", "bytes=abc"}) {
    auto r = c.Get("/blob", {{"Range", range}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << range;
    EXPECT_EQ(r->body.size(), 1000u) << range;
  }
  // A route's own bodiless 416 is given an error body, and its handler runs once (a second run
  // counted the request twice: stop() then waited for it forever).
  auto bare = c.Get("/bare416");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 416);
  EXPECT_NE(bare->body.find("invalid_argument"), std::string::npos) << bare->body;
  EXPECT_EQ(bare_calls_.load(), 1);
  // What cpp-httplib refuses itself (a malformed request line) answers with Glia's error body.
  const std::string got = exchange(server_->port(), {"BROKEN\r\n\r\n"});
  EXPECT_NE(got.find(" 400 "), std::string::npos) << got;
  EXPECT_NE(got.find("\"kind\":\"invalid_argument\""), std::string::npos) << got;
  // A path whose decoded form holds a newline reaches the router (404 with its error body).
  auto r = c.Get("/x%0Ay");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("not_found"), std::string::npos) << r->body;
}

TEST_F(HttpServerTest, AHeaderValueNeverSplitsTheResponse) {
  // A handler's header value holding CR/LF would write headers (or a whole response) of the
  // client's choosing; it is refused as the internal error it is.
  auto c = client();
  testing::internal::CaptureStderr();
  auto r = c.Get("/header?name=a%0D%0AInjected:%20yes");
  const std::string logged = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_header("Injected"));
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(logged.find("X-Name"), std::string::npos) << logged;
  r = c.Get("/header?name=plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get_header_value("X-Name"), "plain");
}

TEST_F(HttpServerTest, LiveStreamsAreNotHeldBackByCompression) {
  // A client that accepts gzip or br (browsers, Python's requests) must see each line of a live
  // stream as it is written, not when the stream ends.
  std::string got;
  std::thread reader([&] {
    got = exchange(server_->port(),
                   {"GET /live HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate, br\r\n"
                    "Connection: close\r\n\r\n"},
                   3000ms);
  });
  reader.join();  // reads until 3 s pass with nothing new: the second line is not out yet
  release_ = true;
  EXPECT_NE(got.find("first line"), std::string::npos) << got;
  EXPECT_EQ(got.find("Content-Encoding"), std::string::npos) << got;
}

TEST_F(HttpServerTest, AnswersAreGzippedNeverBrotliEncoded) {
  // cpp-httplib would pick brotli at its slowest setting for every browser (0.88 s for a 1,000-run
  // JSON page against 0.16 s gzipped): gzip when accepted, else the bytes as they are.
  auto ask = [&](const std::string& accept) {
    return exchange(server_->port(),
                    {"GET /hello HTTP/1.1\r\nHost: x\r\nAccept-Encoding: " + accept +
                     "\r\nConnection: close\r\n\r\n"},
                    300ms);
  };
  EXPECT_NE(ask("gzip, deflate, br").find("Content-Encoding: gzip"), std::string::npos);
  const std::string br_only = ask("br");
  EXPECT_EQ(br_only.find("Content-Encoding"), std::string::npos) << br_only;
  EXPECT_NE(br_only.find("\"hello\":\"world\""), std::string::npos) << br_only;
  // q=0 is "not acceptable" (RFC 9110 12.5.3): a client refusing gzip gets the bytes as they are.
  for (const char* refusing : {"gzip;q=0, br", "gzip; q=0.0", "identity, GZIP;Q=0"}) {
    const std::string got = ask(refusing);
    EXPECT_EQ(got.find("Content-Encoding"), std::string::npos) << refusing << ": " << got;
  }
  EXPECT_NE(ask("deflate, gzip;q=0.5").find("Content-Encoding: gzip"), std::string::npos);
  EXPECT_NE(ask("GZIP").find("Content-Encoding: gzip"), std::string::npos);
}

TEST(HttpServer, AStreamThatThrowsEndsItsAnswerNotTheServer) {
  // A live stream reads the store while it runs (the web view's events poll it every 0.5 s for
  // as long as a page is open): a failure there (the database gone a moment) is thrown after the
  // status line went out, outside the handler. It must end that answer and be logged, not reach
  // the worker thread (std::terminate: the whole server gone).
  Router router;
  router.add("GET", "/throws", [](Request&) {
    Response r;
    r.content_type = "text/event-stream";
    r.stream = [](BodySink& sink) -> bool {
      if (!sink.write("event: hello\ndata: {}\n\n")) return false;
      throw Error(ErrorKind::Unavailable, "the store cannot be reached");
    };
    return r;
  });
  router.add("GET", "/hello", [](Request&) { return Response::json({{"hello", "world"}}); });
  ServerOptions o;
  o.port = 0;
  Server server(router, o);
  std::thread thread([&] { server.run(); });
  testing::internal::CaptureStderr();
  const std::string got = exchange(
      server.port(), {"GET /throws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"}, 1000ms);
  const std::string logged = testing::internal::GetCapturedStderr();
  EXPECT_NE(got.find("event: hello"), std::string::npos) << got;
  EXPECT_EQ(got.find("0\r\n\r\n"), std::string::npos) << got;  // not ended as if complete
  EXPECT_NE(logged.find("the store cannot be reached"), std::string::npos) << logged;
  httplib::Client c("127.0.0.1", server.port());
  auto r = c.Get("/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  server.stop();
  thread.join();
}

TEST(HttpServer, AnExceptionOutsideAHandlerTellsTheClientNothingOfIt) {
  // Whatever escapes the adapter (here the access-log callback) reaches cpp-httplib, which put
  // e.what() in an EXCEPTION_WHAT header of its bare 500.
  Router router;
  router.add("GET", "/x", [](Request&) { return Response::json({{"x", 1}}); });
  ServerOptions o;
  o.port = 0;
  o.on_request = [](const Request&, int, double) { throw std::runtime_error("/srv/secret/path"); };
  Server server(router, o);
  std::thread t([&] { server.run(); });
  httplib::Client c("127.0.0.1", server.port());
  testing::internal::CaptureStderr();
  auto r = c.Get("/x");
  const std::string logged = testing::internal::GetCapturedStderr();
  server.stop();
  t.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_FALSE(r->has_header("EXCEPTION_WHAT"));
  EXPECT_EQ(r->body.find("secret"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("\"internal\""), std::string::npos) << r->body;
  EXPECT_NE(logged.find("/srv/secret/path"), std::string::npos) << logged;
}

TEST(HttpServer, RefusesAPortInUseAndHalfATlsPair) {
  Router router;
  ServerOptions o;
  o.port = 0;
  Server first(router, o);
  o.port = first.port();
  try {
    Server second(router, o);
    FAIL() << "a second server bound the same port";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
  }
  ServerOptions t;
  t.port = 0;
  t.tls_cert = "/nonexistent/cert.pem";
  EXPECT_THROW(Server(router, t), Error);
  t.tls_key = "/nonexistent/key.pem";
  try {
    Server s(router, t);
    FAIL() << "missing TLS files were accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
}

// An inherited listening socket (socket activation): served in place of binding host:port. (That
// another copy keeps the port accepting while a crashed server is replaced is e2e.endpoints'
// kill -9 under load; a server's stop() shuts the socket down for every copy.)
TEST(HttpServerListenFd, ServesAnInheritedListeningSocket) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int port = ntohs(a.sin_port);
  Router router;
  router.add("GET", "/hello", [](Request&) { return Response::json({{"hello", "world"}}); });
  auto serve_once = [&] {
    ServerOptions o;
    o.listen_fd = ::dup(fd);  // the server's own copy (it closes it); `fd` stays ours
    Server server(router, o);
    EXPECT_EQ(server.port(), port);
    std::thread t([&] { server.run(); });
    httplib::Client c("127.0.0.1", port);
    auto r = c.Get("/hello");
    EXPECT_TRUE(r && r->status == 200);
    server.stop();
    t.join();
  };
  serve_once();
  // Connections accepted on it inherit its options: TCP_NODELAY, or every answer on a kept-alive
  // connection waits ~40 ms for a delayed ACK (it did, once, on the agent's socket).
  int nodelay = 0;
  socklen_t nlen = sizeof nodelay;
  ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &nlen), 0);
  EXPECT_NE(nodelay, 0);
  ::close(fd);

  ServerOptions bad;
  bad.listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // not listening
  EXPECT_THROW(Server(router, bad), Error);
  ::close(bad.listen_fd);
}

}  // namespace
}  // namespace glia::http::testing_server
