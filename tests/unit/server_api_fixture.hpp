// The REST API tests' fixture: a real temporary workspace "team" with an owner, a contributor
// and a reader (real tokens), every route of `glia server` on a Router, and requests dispatched
// through it (streamed bodies in pieces, as a socket gives them).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

#include "glia/http/router.hpp"
#include "glia/platform/access.hpp"
#include "server/routes.hpp"
#include "temp_dir.hpp"

namespace glia::server::testing_api {

namespace fs = std::filesystem;
using nlohmann::json;

class StringSink : public http::BodySink {
 public:
  bool write(const char* data, size_t size) override {
    bytes.append(data, size);
    return true;
  }
  bool stopping() const override { return false; }
  std::string bytes;
};

class ServerApiTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("api");
    std::vector<platform::Workspace> list;
    list.push_back(platform::Workspace::init(dir_ / "ws", "team"));
    context_ = std::make_unique<ServerContext>(std::move(list));
    auto& store = ws().store();
    platform::add_user(store, "olga", platform::Role::Owner, "test");
    platform::add_user(store, "carl", platform::Role::Contributor, "test");
    platform::add_user(store, "rita", platform::Role::Reader, "test");
    owner_ = platform::issue_token(store, "olga", "", std::nullopt).text;
    contributor_ = platform::issue_token(store, "carl", "", std::nullopt).text;
    reader_ = platform::issue_token(store, "rita", "", std::nullopt).text;
    register_all_routes(router_, *context_);

    platform::NewRun job;
    job.experiment = "exp";
    job.command = "python train.py";
    job.spec = "{}";
    job.queue = true;
    job.tags = {{"team", "ml"}};
    run_ = store.create_run(job).id;
    platform::NewRun other;
    other.experiment = "other";
    other.command = "x";
    other_ = store.create_run(other).id;
  }
  void TearDown() override {
    context_.reset();
    fs::remove_all(dir_);
  }

  platform::Workspace& ws() { return context_->workspace("team").workspace; }

  http::Response call(const std::string& method, const std::string& target,
                      const std::string& token, const std::string& body = "",
                      const http::Headers& headers = {}) {
    http::Request r;
    r.method = method;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::string query = target.substr(q + 1);
      for (size_t p = 0; p < query.size();) {
        const size_t amp = std::min(query.find('&', p), query.size());
        const std::string pair = query.substr(p, amp - p);
        const size_t eq = pair.find('=');
        r.query.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
        p = amp + 1;
      }
    }
    r.headers = headers;
    if (!token.empty()) r.headers.emplace("Authorization", "Bearer " + token);
    const auto match = router_.match(method, r.path);
    if (match.handler && match.options.stream_body) {
      if (!body.empty()) r.headers.emplace("Content-Length", std::to_string(body.size()));
      r.read_body = [body](const http::ChunkReceiver& receive) {
        for (size_t p = 0; p < body.size(); p += 1000)  // in pieces, as a socket gives them
          if (!receive(body.data() + p, std::min<size_t>(1000, body.size() - p))) return false;
        return true;
      };
    } else {
      r.body = body;
    }
    return router_.dispatch(r);
  }
  static json body_of(const http::Response& r) { return json::parse(r.body); }
  static std::string streamed(const http::Response& r) {
    StringSink sink;
    EXPECT_TRUE(r.stream) << "not a streamed response";
    if (r.stream) {
      EXPECT_TRUE(r.stream(sink));
    }
    return sink.bytes;
  }

  const std::string api_ = "/api/v1/workspaces/team";
  fs::path dir_;
  std::unique_ptr<ServerContext> context_;
  http::Router router_;
  std::string owner_, contributor_, reader_, run_, other_;
};

}  // namespace glia::server::testing_api
