// Shared by the HTTP server tests (test_http_server*.cpp): a server on a free port with routes
// for each behaviour tested, and raw-socket exchanges for what a well-behaved client never sends.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "glia/http/range.hpp"
#include "glia/http/server.hpp"

namespace glia::http::testing_server {

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
    // A route whose refusals are worded its own way (as MLflow's routes word theirs).
    router_.add("POST", "/worded",
                [](Request& r) {
                  return Response::json({{"size", r.body.size()}});
                },
                {.max_body = 10, .error_body = [](int status, ErrorKind, const std::string& m) {
                   return Response::json({{"worded", m}}, status);
                 }});
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
inline std::string exchange(int port, const std::vector<std::string>& pieces,
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

// Sends raw bytes on a new connection and returns everything answered within `wait`.
inline std::string raw_exchange(int port, const std::string& bytes,
                                std::chrono::milliseconds wait) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  timeval tv{};
  tv.tv_sec = static_cast<long>(wait.count() / 1000);
  tv.tv_usec = static_cast<long>((wait.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return got;
}

inline size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

}  // namespace glia::http::testing_server
