// The remote store protocol's endpoint calls (src/server/api/store_routes.cpp): a client creates,
// reads, changes and deletes endpoints; the server makes and seals their keys with its own key,
// never answers them (not even sealed), and keeps the agent's calls to itself.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <functional>

#include "glia/http/router.hpp"
#include "glia/platform/access.hpp"
#include "glia/platform/endpoints.hpp"
#include "glia/platform/models.hpp"
#include "glia/platform/store_json.hpp"
#include "server/api/api.hpp"
#include "server/routes.hpp"
#include "temp_dir.hpp"

namespace glia::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class StoreEndpointCalls : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("store-endpoints");
    std::vector<platform::Workspace> list;
    list.push_back(platform::Workspace::init(dir_ / "ws", "team"));
    context_ = std::make_unique<ServerContext>(std::move(list));
    auto& store = ws().store();
    platform::add_user(store, "carl", platform::Role::Contributor, "test");
    platform::add_user(store, "rita", platform::Role::Reader, "test");
    contributor_ = platform::issue_token(store, "carl", "", std::nullopt).text;
    reader_ = platform::issue_token(store, "rita", "", std::nullopt).text;
    register_all_routes(router_, *context_);
    platform::ModelVersion m;
    m.name = "mnist";
    m.manifest = std::string(64, 'a');
    store.create_model_version(m);
  }
  void TearDown() override {
    context_.reset();
    fs::remove_all(dir_);
  }
  platform::Workspace& ws() { return context_->workspace("team").workspace; }
  http::Response call(const std::string& method, const json& args, const std::string& token = "") {
    http::Request r;
    r.method = "POST";
    r.path = "/api/v1/workspaces/team/store/" + method;
    r.headers.emplace("Authorization", "Bearer " + (token.empty() ? contributor_ : token));
    r.body = args.dump();
    return router_.dispatch(r);
  }
  static json result(const http::Response& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body).at("result");
  }
  static platform::EndpointRecord record(const std::string& name = "svc") {
    platform::EndpointRecord e;
    e.name = name;
    e.settings.model_name = "mnist";
    e.settings.model_version = 1;
    return e;
  }

  fs::path dir_;
  std::unique_ptr<ServerContext> context_;
  http::Router router_;
  std::string contributor_, reader_;
};

TEST_F(StoreEndpointCalls, TheServerMakesAndKeepsTheKeys) {
  const json made = result(call("create_endpoint", {{"endpoint", record()}}));
  EXPECT_EQ(made.at("sealed_keys"), "");
  EXPECT_EQ(made.at("created_by"), "carl");
  EXPECT_EQ(made.at("owner_uid"), static_cast<int64_t>(::geteuid()));
  const auto stored = ws().store().find_endpoint("svc");
  ASSERT_TRUE(stored);
  EXPECT_FALSE(stored->sealed_keys.empty());
  const platform::EndpointKeys keys = platform::endpoint_keys(ws(), "svc");
  EXPECT_EQ(keys.primary.size(), 43u);
  // Read back: never the keys, sealed or not.
  for (const json& found : {result(call("find_endpoint", {{"name", "svc"}}, reader_)),
                            result(call("list_endpoints", json::object(), reader_)).at(0)}) {
    EXPECT_EQ(found.at("sealed_keys"), "");
    EXPECT_EQ(found.at("name"), "svc");
    EXPECT_EQ(found.get<platform::EndpointRecord>().settings.model_name, "mnist");
  }
  EXPECT_TRUE(result(call("find_endpoint", {{"name", "nope"}}, reader_)).is_null());
  EXPECT_EQ(result(call("endpoint_events", {{"name", "svc"}}, reader_)).size(), 1u);
  EXPECT_EQ(call("create_endpoint", {{"endpoint", record()}}).status, 409);
}

TEST_F(StoreEndpointCalls, WhatOnlyTheServerSetsIsRefused) {
  EXPECT_EQ(call("create_endpoint", {{"endpoint", record()}}, reader_).status, 403);
  auto e = record();
  e.sealed_keys = "v1.chosen-by-the-client";
  EXPECT_EQ(call("create_endpoint", {{"endpoint", e}}).status, 403);
  e = record();
  e.status.state = platform::EndpointState::Healthy;
  EXPECT_EQ(call("create_endpoint", {{"endpoint", e}}).status, 403);
  e = record();
  e.settings.instances = 0;
  EXPECT_EQ(call("create_endpoint", {{"endpoint", e}}).status, 400);
  e = record("bad/name");
  EXPECT_EQ(call("create_endpoint", {{"endpoint", e}}).status, 400);
  e = record();
  e.settings.scoring = "python";
  e.settings.scoring_script = "score.py";
  e.settings.code_manifest = std::string(64, 'c');  // not stored here
  EXPECT_EQ(call("create_endpoint", {{"endpoint", e}}).status, 404);
  e = record();
  e.settings.model_version = 7;
  EXPECT_EQ(call("create_endpoint", {{"endpoint", e}}).status, 404);
  EXPECT_TRUE(ws().store().list_endpoints().empty());
  // The agent's calls.
  ws().store().create_endpoint([] {
    auto r = record();
    r.sealed_keys = "x";
    return r;
  }());
  EXPECT_EQ(
      call("set_endpoint_status", {{"name", "svc"}, {"status", platform::EndpointStatus{}}}).status,
      403);
  EXPECT_EQ(call("remove_endpoint", {{"name", "svc"}}).status, 403);
}

TEST_F(StoreEndpointCalls, UpdatesKeepTheServersKeysAndDeletesAreRequested) {
  result(call("create_endpoint", {{"endpoint", record()}}));
  const platform::EndpointKeys keys = platform::endpoint_keys(ws(), "svc");
  platform::EndpointSettings s = ws().store().find_endpoint("svc")->settings;
  s.max_batch_size = 64;
  EXPECT_EQ(result(call("update_endpoint_settings",
                        {{"name", "svc"}, {"expected_generation", 1}, {"settings", s}})),
            true);
  EXPECT_EQ(result(call("update_endpoint_settings",
                        {{"name", "svc"}, {"expected_generation", 1}, {"settings", s}})),
            false);
  const auto e = ws().store().find_endpoint("svc");
  EXPECT_EQ(e->generation, 2);
  EXPECT_EQ(e->settings.max_batch_size, 64);
  EXPECT_EQ(platform::endpoint_keys(ws(), "svc").primary, keys.primary);
  // Keys cannot be sent.
  EXPECT_EQ(
      call("update_endpoint_settings",
           {{"name", "svc"}, {"expected_generation", 2}, {"settings", s}, {"sealed_keys", "v1.x"}})
          .status,
      400);
  // What an update never changes: refused, nothing written.
  for (const auto& change : std::vector<std::function<void(platform::EndpointSettings&)>>{
           [](platform::EndpointSettings& x) { x.port = 18555; },
           [](platform::EndpointSettings& x) { x.host = "0.0.0.0"; },
           [](platform::EndpointSettings& x) { x.scoring = "python"; }}) {
    platform::EndpointSettings moved = s;
    change(moved);
    EXPECT_EQ(call("update_endpoint_settings",
                   {{"name", "svc"}, {"expected_generation", 2}, {"settings", moved}})
                  .status,
              400);
  }
  EXPECT_EQ(ws().store().find_endpoint("svc")->generation, 2);
  s.max_queue = 1;  // below max_batch_size
  EXPECT_EQ(call("update_endpoint_settings",
                 {{"name", "svc"}, {"expected_generation", 2}, {"settings", s}})
                .status,
            400);
  EXPECT_EQ(call("request_endpoint_delete", {{"name", "svc"}}, reader_).status, 403);
  result(call("request_endpoint_delete", {{"name", "svc"}}));
  EXPECT_EQ(ws().store().find_endpoint("svc")->status.state, platform::EndpointState::Deleting);
  EXPECT_EQ(call("request_endpoint_delete", {{"name", "nope"}}).status, 404);
}

}  // namespace
}  // namespace glia::server
