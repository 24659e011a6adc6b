// The HTTP client against a live Glia HTTP server: errors come back as the same kinds, safe
// requests are retried, downloads resume where a cut connection stopped them, uploads stream.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "glia/http/client.hpp"
#include "glia/http/range.hpp"
#include "glia/http/server.hpp"

namespace glia::http {
namespace {

std::string pattern_bytes(uint64_t offset, uint64_t length) {
  std::string s;
  for (uint64_t i = 0; i < length; ++i) s.push_back(static_cast<char>('a' + (offset + i) % 26));
  return s;
}

class HttpClientTest : public testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/json", [](Request& r) {
      return Response::json({{"auth", r.header("Authorization").value_or("")}});
    });
    router_.add("GET", "/missing",
                [](Request&) -> Response { throw Error(ErrorKind::NotFound, "unknown run 'x'"); });
    router_.add("GET", "/flaky", [this](Request&) {
      if (++flaky_ <= 2) return Response::error(ErrorKind::Unavailable, "busy");
      return Response::json({{"after", flaky_.load()}});
    });
    router_.add("POST", "/flaky", [this](Request&) {
      ++posts_;
      return Response::error(ErrorKind::Unavailable, "busy");
    });
    router_.add("GET", "/blob", [this](Request& r) {
      const bool cut = ++blob_calls_ == 1;  // the first answer breaks off halfway
      return ranged_response(r, 100000, "application/octet-stream",
                             [cut](uint64_t offset, uint64_t length, BodySink& sink) {
                               const uint64_t n = cut ? length / 2 : length;
                               return sink.write(pattern_bytes(offset, n)) && !cut;
                             });
    });
    // Answers every Range with the body from its start, labeled as the part asked for: bytes
    // that are not the ones after what the client has.
    router_.add("GET", "/liar", [](Request&) {
      Response r;
      r.status = 206;
      r.set_header("Content-Range", "bytes 0-9/100");
      r.content_type = "application/octet-stream";
      r.body = pattern_bytes(0, 10);
      return r;
    });
    router_.add("PUT", "/up",
                [](Request& r) {
                  std::string got;
                  r.read_body([&](const char* d, size_t n) {
                    got.append(d, n);
                    return true;
                  });
                  return Response::json(
                      {{"size", got.size()}, {"ok", got == pattern_bytes(0, got.size())}});
                },
                {.max_body = 1u << 22, .stream_body = true});
    ServerOptions o;
    o.port = 0;
    server_ = std::make_unique<Server>(router_, o);
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
  }
  ClientOptions options() {
    ClientOptions o;
    o.url = "http://127.0.0.1:" + std::to_string(server_->port());
    o.token = "glia_t";
    return o;
  }
  Router router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<int> flaky_{0}, posts_{0}, blob_calls_{0};
};

TEST_F(HttpClientTest, SendsTheTokenAndMapsErrorsBackToTheirKinds) {
  Client c(options());
  EXPECT_EQ(c.get_json("/json")["auth"], "Bearer glia_t");
  try {
    c.get_json("/missing");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_STREQ(e.what(), "unknown run 'x'");
  }
}

TEST_F(HttpClientTest, RetriesSafeRequestsOnlyAndUnreachableIsUnavailable) {
  Client c(options());
  EXPECT_EQ(c.get_json("/flaky")["after"], 3);
  try {
    c.send_json("POST", "/flaky", {{"x", 1}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
  }
  EXPECT_EQ(posts_.load(), 1);  // a POST not marked idempotent is sent once
  ClientOptions o = options();
  o.url = "http://127.0.0.1:1";  // nothing listens there
  o.max_attempts = 2;
  Client nowhere(o);
  try {
    nowhere.get_json("/json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
    // Regression: the cause was cpp-httplib's enum name, "Connection", for every cause.
    EXPECT_NE(std::string(e.what()).find("connection refused"), std::string::npos) << e.what();
  }
  o.url = "http://nonexistent.invalid:18899";  // a name that never resolves (RFC 2606)
  o.max_attempts = 1;
  try {
    Client(o).get_json("/json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
    EXPECT_NE(std::string(e.what()).find("host 'nonexistent.invalid'"), std::string::npos)
        << e.what();
  }
}

TEST_F(HttpClientTest, DownloadsResumeWhereACutStoppedThem) {
  Client c(options());
  std::string got;
  c.download("/blob", [&](const char* d, size_t n) {
    got.append(d, n);
    return true;
  });
  EXPECT_EQ(blob_calls_.load(), 2);
  ASSERT_EQ(got.size(), 100000u);
  EXPECT_EQ(got, pattern_bytes(0, 100000));
  std::string tail;
  c.download(
      "/blob",
      [&](const char* d, size_t n) {
        tail.append(d, n);
        return true;
      },
      99990);
  EXPECT_EQ(tail, pattern_bytes(99990, 10));
  // A part that does not start where the client asked is refused, not appended.
  std::string wrong;
  try {
    c.download(
        "/liar",
        [&](const char* d, size_t n) {
          wrong.append(d, n);
          return true;
        },
        50);
    ADD_FAILURE() << "a part from the wrong offset was taken";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << e.what();
  }
  EXPECT_EQ(wrong, "");
}

TEST_F(HttpClientTest, UploadsStreamAndBadUrlsAreRefused) {
  Client c(options());
  const auto j = c.upload("/up", 3000000, [](uint64_t offset, uint64_t length, BodySink& sink) {
    return sink.write(pattern_bytes(offset, length));
  });
  EXPECT_EQ(j["size"], 3000000);
  EXPECT_TRUE(j["ok"].get<bool>());
  for (const char* bad : {"ftp://x", "http://", "localhost:8080", "http://a b/"}) {
    ClientOptions o;
    o.url = bad;
    EXPECT_THROW(Client{o}, Error) << bad;
  }
  ClientOptions prefixed = options();
  prefixed.url += "/";
  EXPECT_EQ(Client(prefixed).get_json("/json")["auth"], "Bearer glia_t");  // "/" prefix dropped
}

}  // namespace
}  // namespace glia::http
