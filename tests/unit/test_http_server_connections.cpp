// The HTTP server's connections over real sockets: slow clients that must not block others, bodies
// never taken for the next request (no smuggling), kept-alive answers without delay, and a
// graceful stop that lets requests and streamed answers finish.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "http_server_fixture.hpp"

namespace glia::http::testing_server {
namespace {

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

// Regression: a body the server does not read (a GET's, or one sent to a path without that
// method) was read as the next request on the connection, and answered a second time.
TEST_F(HttpServerTest, UnreadBodiesAreNotTakenForTheNextRequest) {
  const std::string smuggled = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string length = std::to_string(smuggled.size());
  const std::string get = raw_exchange(
      server_->port(),
      "GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n" + smuggled, 500ms);
  EXPECT_EQ(get.rfind("HTTP/1.1 400", 0), 0u) << get;  // refused, then the connection closes
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

}  // namespace
}  // namespace glia::http::testing_server
