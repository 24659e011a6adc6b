// The remote store protocol and interactive runs (`glia run track` on a connected folder): the
// server takes them as a program's runs — created Running with their tracker_* properties, their
// status and tracking the client's — and refuses what would make them a job or let a client set
// the agent's properties.
#include <gtest/gtest.h>

#include <filesystem>

#include "glia/http/router.hpp"
#include "glia/platform/access.hpp"
#include "glia/platform/interactive_run.hpp"
#include "glia/platform/store_json.hpp"
#include "server/api/api.hpp"
#include "server/routes.hpp"
#include "temp_dir.hpp"

namespace glia::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class StoreInteractiveRuns : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("store-interactive");
    std::vector<platform::Workspace> list;
    list.push_back(platform::Workspace::init(dir_ / "ws", "team"));
    context_ = std::make_unique<ServerContext>(std::move(list));
    auto& store = context_->workspace("team").workspace.store();
    platform::add_user(store, "carl", platform::Role::Contributor, "test");
    token_ = platform::issue_token(store, "carl", "", std::nullopt).text;
    register_all_routes(router_, *context_);
  }
  void TearDown() override {
    context_.reset();
    fs::remove_all(dir_);
  }
  http::Response call(const std::string& method, const json& args) {
    http::Request r;
    r.method = "POST";
    r.path = "/api/v1/workspaces/team/store/" + method;
    r.headers.emplace("Authorization", "Bearer " + token_);
    r.body = args.dump();
    return router_.dispatch(r);
  }
  static platform::NewRun interactive() {
    platform::NewRun run;
    run.experiment = "nb";
    run.job_type = platform::kInteractiveJobType;
    run.properties = {{platform::kTrackerPid, "42"}, {platform::kTrackerHost, "laptop"}};
    run.start = 1.0;
    return run;
  }

  fs::path dir_;
  std::unique_ptr<ServerContext> context_;
  http::Router router_;
  std::string token_;
};

TEST_F(StoreInteractiveRuns, CreatedAndEndedByTheClientAsAProgramsRun) {
  const auto made = call("create_run", {{"run", interactive()}});
  ASSERT_EQ(made.status, 200) << made.body;
  const json run = json::parse(made.body).at("result");
  EXPECT_EQ(run.at("job_type"), "interactive");
  EXPECT_EQ(run.at("status"), "Running");
  EXPECT_EQ(run.at("properties").at("tracker_pid"), "42");
  const std::string id = run.at("id");
  EXPECT_EQ(call("add_properties", {{"id", id}, {"properties", {{"note", "x"}}}}).status, 200);
  const auto ended = call("set_status", {{"id", id}, {"status", "Failed"}, {"error", "boom"}});
  EXPECT_EQ(ended.status, 200) << ended.body;
  const auto r = context_->workspace("team").workspace.store().get_run(id);
  EXPECT_EQ(r.status, platform::RunStatus::Failed);
  EXPECT_EQ(r.error, "boom");
}

TEST_F(StoreInteractiveRuns, NeverAJobNorAnotherRunsTrackerProperties) {
  auto queued = interactive();
  queued.queue = true;
  EXPECT_EQ(call("create_run", {{"run", queued}}).status, 400);
  auto with_spec = interactive();
  with_spec.spec = R"({"job": {}})";
  EXPECT_EQ(call("create_run", {{"run", with_spec}}).status, 400);
  auto agents = interactive();
  agents.properties["threads"] = "4";
  EXPECT_EQ(call("create_run", {{"run", agents}}).status, 403);
  auto program = interactive();
  program.job_type = "";  // tracker_* properties: an interactive run's only
  EXPECT_EQ(call("create_run", {{"run", program}}).status, 403);
  auto other = interactive();
  other.job_type = "notebook";
  EXPECT_EQ(call("create_run", {{"run", other}}).status, 400);
  EXPECT_TRUE(context_->workspace("team").workspace.store().list_runs({}).empty());
}

// Regression: the remote store's set_tags skipped the run name tag's check that the REST and
// MLflow routes make, so a client could store an mlflow.runName that disagrees with the run's
// name. Now refused (400) there too; the run's own name is accepted.
TEST_F(StoreInteractiveRuns, SetTagsCannotRenameTheRunThroughTheRunNameTag) {
  const auto made = call("create_run", {{"run", interactive()}});
  ASSERT_EQ(made.status, 200) << made.body;
  const std::string id = json::parse(made.body).at("result").at("id");
  auto& store = context_->workspace("team").workspace.store();
  const std::string name = store.get_run(id).display_name;
  const auto refused =
      call("set_tags", {{"id", id}, {"tags", {{"mlflow.runName", "evil"}, {"k", "v"}}}});
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(json::parse(refused.body)["error"]["kind"], "invalid_argument");
  EXPECT_EQ(store.get_run(id).tags.count("mlflow.runName"), 0u);
  EXPECT_EQ(store.get_run(id).tags.count("k"), 0u);
  const auto same = call("set_tags", {{"id", id}, {"tags", {{"mlflow.runName", name}}}});
  EXPECT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(call("set_tags", {{"id", id}, {"tags", {{"k", "v"}}}}).status, 200);
  EXPECT_EQ(store.get_run(id).tags.at("k"), "v");
}

}  // namespace
}  // namespace glia::server
