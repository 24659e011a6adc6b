// The HTTP server over real sockets: body limits (413), streamed uploads and downloads, ranges,
// slow clients that must not block others, and a graceful stop that lets requests finish.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "glia/http/range.hpp"
#include "glia/http/server.hpp"

namespace glia::http {
namespace {

using namespace std::chrono_literals;

class HttpServerTest : public testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/hello", [](Request& r) {
      return Response::json({{"hello", r.query_value("name").value_or("world")}});
    });
    router_.add("POST", "/small",
                [](Request& r) {
                  return Response::json({{"size", r.body.size()}});
                },
                {.max_body = 1000});
    router_.add("PUT", "/upload",
                [this](Request& r) {
                  uint64_t n = 0;
                  const bool ok = r.read_body([&](const char*, size_t size) {
                    n += size;
                    return true;
                  });
                  uploaded_ = n;
                  return Response::json({{"size", n}, {"ok", ok}});
                },
                {.max_body = 50u << 20, .stream_body = true});
    router_.add("GET", "/blob", [](Request& r) {
      return ranged_response(r, 1000, "application/octet-stream",
                             [](uint64_t offset, uint64_t length, BodySink& sink) {
                               std::string s;
                               for (uint64_t i = 0; i < length; ++i)
                                 s.push_back(static_cast<char>('a' + (offset + i) % 26));
                               return sink.write(s);
                             });
    });
    router_.add("GET", "/chunks", [](Request&) {
      Response r;
      r.content_type = "text/plain";
      r.stream = [](BodySink& sink) {
        for (int i = 0; i < 5; ++i)
          if (!sink.write("line " + std::to_string(i) + "\n")) return false;
        return true;
      };
      return r;
    });
    router_.add("GET", "/slow", [](Request&) {
      std::this_thread::sleep_for(800ms);
      return Response::json({{"slow", true}});
    });
    // A streaming route that refuses before reading its body (as a route checking a token does).
    router_.add("PUT", "/refuse",
                [](Request&) -> Response { throw Error(ErrorKind::Unauthenticated, "no token"); },
                {.max_body = 1u << 20, .stream_body = true});
    // A streaming route whose receiver throws part way (a full disk while storing an upload).
    router_.add("PUT", "/fail-midway",
                [](Request& r) -> Response {
                  uint64_t n = 0;
                  r.read_body([&](const char*, size_t size) {
                    n += size;
                    if (n > 1000) throw Error(ErrorKind::NoSpace, "no space left on the disk");
                    return true;
                  });
                  return Response::json({{"size", n}});
                },
                {.max_body = 1u << 22, .stream_body = true});
    // A handler still working when the server is told to stop, whose answer is a stream.
    router_.add("GET", "/slow-stream", [this](Request&) {
      slow_started_ = true;
      std::this_thread::sleep_for(800ms);
      Response r;
      r.content_type = "application/octet-stream";
      r.content_length = 5;
      r.stream = [](BodySink& sink) { return sink.write("hello"); };
      return r;
    });
    // A header value made of what a user gave (a file name, say) with a line break in it.
    router_.add("GET", "/header", [](Request& r) {
      Response res = Response::json({{"ok", true}});
      res.set_header("X-Name", r.query_value("name").value_or(""));
      return res;
    });
    // A route's own 416 without a body.
    router_.add("GET", "/bare416", [this](Request&) {
      ++bare_calls_;
      Response r;
      r.status = 416;
      return r;
    });
    // A live stream: one line now, the next only once the test says so.
    router_.add("GET", "/live", [this](Request&) {
      Response r;
      r.content_type = "text/plain; charset=utf-8";
      r.stream = [this](BodySink& sink) {
        if (!sink.write("first line\n")) return false;
        for (int i = 0; i < 500 && !release_.load(); ++i) std::this_thread::sleep_for(10ms);
        return sink.write("second line\n");
      };
      return r;
    });
    ServerOptions o;
    o.port = 0;
    o.read_timeout_s = 5;
    server_ = std::make_unique<Server>(router_, o);
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
  }
  httplib::Client client() { return httplib::Client("127.0.0.1", server_->port()); }

  Router router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<uint64_t> uploaded_{0};
  std::atomic<bool> release_{false};
  std::atomic<int> bare_calls_{0};
  std::atomic<bool> slow_started_{false};
};

// A raw connection to the server: sends each piece of `pieces` (300 ms apart, so that each
// arrives in a read of its own), then reads until the server closes or nothing comes for
// `quiet`; returns everything read.
std::string exchange(int port, const std::vector<std::string>& pieces,
                     std::chrono::milliseconds quiet = 1500ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{};
  tv.tv_sec = static_cast<long>(quiet.count() / 1000);
  tv.tv_usec = static_cast<long>((quiet.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(300ms);
    const std::string& bytes = pieces[i];
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
  }
  std::string got;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return got;
}

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

TEST_F(HttpServerTest, RefusesOversizeBodiesWith413) {
  auto c = client();
  auto r = c.Post("/small", std::string(500, 'x'), "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(nlohmann::json::parse(r->body)["size"], 500);
  r = c.Post("/small", std::string(5000, 'x'), "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  // Chunked (no Content-Length): counted as it arrives.
  auto c2 = client();
  size_t sent = 0;
  r = c2.Post(
      "/small",
      [&](size_t, httplib::DataSink& sink) {
        if (sent >= 4000) {
          sink.done();
          return true;
        }
        sent += 1000;
        return sink.write(std::string(1000, 'y').data(), 1000);
      },
      "text/plain");
  if (r) {
    EXPECT_EQ(r->status, 413);  // or the connection was cut: either way, refused
  }
}

TEST_F(HttpServerTest, StreamsUploadsWithoutBufferingAndEnforcesTheirLimit) {
  auto c = client();
  const std::string chunk(1 << 20, 'z');
  int chunks = 0;
  auto r = c.Put(
      "/upload",
      [&](size_t, httplib::DataSink& sink) {
        if (chunks == 20) {
          sink.done();
          return true;
        }
        ++chunks;
        return sink.write(chunk.data(), chunk.size());
      },
      "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(uploaded_.load(), 20u << 20);
  // Refused from its Content-Length, before a byte is read: the answer is 413, or the
  // connection is cut while the client is still sending.
  uploaded_ = 0;
  r = c.Put("/upload", std::string(51u << 20, 'q'), "application/octet-stream");
  if (r) {
    EXPECT_EQ(r->status, 413);
  }
  EXPECT_EQ(uploaded_.load(), 0u);  // the handler never ran
}

// A receiver that throws part way through a body: the handler's error is answered at once, not
// after the server tried to read the half-read body again and waited out its read timeout.
TEST_F(HttpServerTest, AReceiverThrowingMidBodyIsAnsweredAtOnce) {
  auto c = client();
  const auto start = std::chrono::steady_clock::now();
  auto res = c.Put("/fail-midway", std::string(200000, 'x'), "application/octet-stream");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 507) << res->body;
  EXPECT_LT(took, 3s);  // the read timeout is 5 s
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

TEST_F(HttpServerTest, SlowClientsDoNotBlockOthers) {
  // 40 connections that send half a request line and then nothing: more than a fixed pool of
  // worker threads would have, so with one the next client would wait for their timeouts.
  std::vector<int> socks;
  for (int i = 0; i < 40; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_GT(::send(fd, "GET /hel", 8, 0), 0);
    socks.push_back(fd);
  }
  std::this_thread::sleep_for(200ms);
  const auto start = std::chrono::steady_clock::now();
  auto c = client();
  auto r = c.Get("/hello");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_LT(took, 1s);
  for (int fd : socks) ::close(fd);
}

TEST_F(HttpServerTest, StopLetsRequestsInFlightFinish) {
  std::atomic<int> status{0};
  std::thread slow([&] {
    auto c = client();
    auto r = c.Get("/slow");
    status = r ? r->status : -1;
  });
  std::this_thread::sleep_for(200ms);  // the request is in its handler
  server_->stop();
  thread_.join();
  slow.join();
  EXPECT_EQ(status.load(), 200);
  thread_ = std::thread([] {});  // TearDown joins and stops again: both harmless
}

TEST_F(HttpServerTest, AnUnreadBodyIsNeverTakenForTheNextRequest) {
  // A body the server did not read (refused by its length, or by a handler that answered
  // before reading) must not be parsed as a request of its own: behind a proxy that shares
  // connections, that would answer one client's smuggled request to another.
  const std::string smuggled =
      "GET /hello?name=smuggled HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(1200, 'p') +
      "\r\n\r\n";
  // The head, then (arriving on its own) the body.
  const auto request = [&](const std::string& method, const std::string& path) {
    return std::vector<std::string>{method + " " + path +
                                        " HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                        std::to_string(smuggled.size()) + "\r\n\r\n",
                                    smuggled};
  };
  std::string got = exchange(server_->port(), request("POST", "/small"));  // over its 1000 bytes
  EXPECT_EQ(got.find("smuggled"), std::string::npos) << got;
  got = exchange(server_->port(), request("PUT", "/refuse"));  // 401 before reading
  EXPECT_NE(got.find(" 401 "), std::string::npos) << got;
  EXPECT_EQ(got.find("smuggled"), std::string::npos) << got;
  // A GET's body is never read either.
  got = exchange(server_->port(), request("GET", "/hello"));
  EXPECT_EQ(got.find("smuggled"), std::string::npos) << got;
  // A chunked body past the limit: its remaining chunks are not requests either.
  const std::string head =
      "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5dc\r\n" +
      std::string(1500, 'c') + "\r\n";
  got = exchange(server_->port(),
                 {head, "2e\r\nGET /hello?name=smuggled HTTP/1.1\r\nHost: x\r\n\r\n\r\n0\r\n\r\n"});
  EXPECT_NE(got.find(" 413 "), std::string::npos) << got;
  EXPECT_EQ(got.find("smuggled"), std::string::npos) << got;
  // A refused body small enough to skip keeps the connection usable for the next request.
  got = exchange(server_->port(),
                 {"PUT /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
                  "GET /hello?name=next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"});
  EXPECT_NE(got.find(" 401 "), std::string::npos) << got;
  EXPECT_NE(got.find("\"next\""), std::string::npos) << got;
}

TEST_F(HttpServerTest, ABodyWhoseLengthIsAmbiguousIsRefusedAndTheConnectionClosed) {
  // Both Content-Length and Transfer-Encoding (RFC 9112 6.1: a smuggling attempt; the server
  // must close the connection), or a Transfer-Encoding other than chunked: 400, and what
  // follows on the connection is never served.
  const std::string next = "GET /hello?name=smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string got = exchange(server_->port(), {"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                               "5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                                               next});
  EXPECT_EQ(got.rfind("HTTP/1.1 400 ", 0), 0u) << got;
  EXPECT_EQ(got.find("smuggled"), std::string::npos) << got;
  const auto start = std::chrono::steady_clock::now();
  got =
      exchange(server_->port(),
               {"POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc", next}, 8s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);  // not read until the client closes
  EXPECT_EQ(got.rfind("HTTP/1.1 400 ", 0), 0u) << got;
  EXPECT_EQ(got.find("smuggled"), std::string::npos) << got;
}

TEST_F(HttpServerTest, AMultipartBodyIsJustABody) {
  // cpp-httplib parses multipart/form-data bodies with callbacks Glia does not give it: the body
  // must reach the route as the bytes sent (a 500 for a client's Content-Type is a server bug).
  const std::string body =
      "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--xyz--\r\n";
  for (const char* path : {"/small", "/upload"}) {
    const std::string got = exchange(
        server_->port(), {std::string(path == std::string("/small") ? "POST " : "PUT ") + path +
                          " HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                          "boundary=xyz\r\nConnection: close\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body});
    EXPECT_EQ(got.rfind("HTTP/1.1 200 ", 0), 0u) << path << ": " << got;
    EXPECT_NE(got.find("\"size\":" + std::to_string(body.size())), std::string::npos) << got;
  }
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

TEST_F(HttpServerTest, AGzipBodyCountsAgainstTheLimitAsItInflates) {
  // Some 800 gzip bytes that inflate to 800 KB: the limit is on what the route would receive.
  std::string plain(800u << 10, '\0'), packed(plain.size(), '\0');
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(plain.data());
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(packed.data());
  z.avail_out = static_cast<uInt>(packed.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  packed.resize(z.total_out);
  deflateEnd(&z);
  ASSERT_LT(packed.size(), 1000u);  // under /small's limit as sent
  for (const char* path : {"/small", "/upload"}) {
    const bool small = std::string(path) == "/small";
    const std::string got =
        exchange(server_->port(), {std::string(small ? "POST " : "PUT ") + path +
                                   " HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nConnection: "
                                   "close\r\nContent-Length: " +
                                   std::to_string(packed.size()) + "\r\n\r\n" + packed});
    if (small)
      EXPECT_EQ(got.rfind("HTTP/1.1 413 ", 0), 0u) << got;
    else
      EXPECT_NE(got.find("\"size\":" + std::to_string(plain.size())), std::string::npos) << got;
  }
}

TEST_F(HttpServerTest, APostWithoutALengthHasAnEmptyBody) {
  // No Content-Length and no Transfer-Encoding: the body is empty (RFC 9112 6.3), as `curl -X
  // POST` sends it; the server must not wait for the client to close.
  const auto start = std::chrono::steady_clock::now();
  const std::string got = exchange(
      server_->port(), {"POST /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"}, 8s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);  // not the read timeout (5 s)
  EXPECT_NE(got.find(" 200 "), std::string::npos) << got;
  EXPECT_NE(got.find("{\"size\":0}"), std::string::npos) << got;
}

TEST_F(HttpServerTest, StopLetsAStreamedAnswerInFlightFinish) {
  // The handler is still working when stop() comes; its streamed answer must still go out whole.
  std::atomic<int> status{0};
  std::string body;
  std::thread slow([&] {
    auto c = client();
    auto r = c.Get("/slow-stream");
    status = r ? r->status : -1;
    if (r) body = r->body;
  });
  while (!slow_started_) std::this_thread::sleep_for(5ms);  // the request is in its handler
  server_->stop();
  thread_.join();
  slow.join();
  EXPECT_EQ(status.load(), 200);
  EXPECT_EQ(body, "hello");
  thread_ = std::thread([] {});
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

TEST_F(HttpServerTest, AnOversizeBodyIsRefusedBeforeTheClientSendsIt) {
  // Expect: 100-continue (curl sends it for large uploads): a body the route would refuse is
  // answered 413 at once, not invited with 100 Continue first.
  const std::string got =
      exchange(server_->port(), {"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                 std::to_string(60u << 20) + "\r\nExpect: 100-continue\r\n\r\n"});
  EXPECT_EQ(got.rfind("HTTP/1.1 413 ", 0), 0u) << got;
  EXPECT_NE(got.find("invalid_argument"), std::string::npos) << got;
  EXPECT_EQ(uploaded_.load(), 0u);
  // Within the limit: invited, then served.
  auto c = client();
  auto r = c.Put("/upload", {{"Expect", "100-continue"}}, std::string(1000, 'e'),
                 "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(uploaded_.load(), 1000u);
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

}  // namespace
}  // namespace glia::http

namespace glia::http {
namespace {

// Sends raw bytes on a new connection and returns everything answered within `wait`.
std::string raw_exchange(int port, const std::string& bytes, std::chrono::milliseconds wait) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  timeval tv{0, static_cast<suseconds_t>(std::chrono::microseconds(wait).count())};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return got;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// Regression: without TCP_NODELAY each answer on a kept-alive connection waited ~40 ms for the
// client's delayed ACK: 40 requests took over a second.
TEST_F(HttpServerTest, KeepAliveAnswersDoNotWaitForDelayedAcks) {
  auto c = client();
  c.set_keep_alive(true);
  ASSERT_TRUE(c.Get("/hello"));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(c.Get("/hello"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 400ms);
}

// Regression: a body the server does not read (a GET's, or one sent to a path without that
// method) was read as the next request on the connection, and answered a second time.
TEST_F(HttpServerTest, UnreadBodiesAreNotTakenForTheNextRequest) {
  const std::string smuggled = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string length = std::to_string(smuggled.size());
  const std::string get = raw_exchange(
      server_->port(),
      "GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n" + smuggled, 500ms);
  EXPECT_EQ(get.rfind("HTTP/1.1 200", 0), 0u) << get;  // served, then the connection closes
  EXPECT_EQ(count_of(get, "HTTP/1.1"), 1u) << get;
  const std::string post = raw_exchange(
      server_->port(),
      "POST /blob HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n" + smuggled, 500ms);
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u) << post;
  EXPECT_EQ(count_of(post, "HTTP/1.1"), 1u) << post;
  const std::string trace =
      raw_exchange(server_->port(), "TRACE /hello HTTP/1.1\r\nHost: x\r\n\r\n", 500ms);
  EXPECT_EQ(trace.rfind("HTTP/1.1 405", 0), 0u) << trace;
  EXPECT_NE(trace.find("\"kind\""), std::string::npos) << trace;
}

}  // namespace
}  // namespace glia::http
