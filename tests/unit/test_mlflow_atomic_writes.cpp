// MLflow's writes are one store write each, all or none: a store whose connection drops after
// its first write (as a PostgreSQL server going away mid-request) must leave nothing of a refused
// log-batch or runs/create, so the client's retry applies it once. The store is the real SQLite
// store, reached as a remote workspace's store through the platform's RemoteLink hook.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "glia/error.hpp"
#include "glia/http/router.hpp"
#include "glia/platform/endpoints.hpp"
#include "glia/platform/workspace.hpp"
#include "server/mlflow/mlflow.hpp"
#include "store/sqlite_store.hpp"

namespace glia::server::mlflow {
namespace {

namespace fs = std::filesystem;
using namespace glia::platform;

// Applies `writes_left` writes, then refuses every write (Unavailable) before applying it.
class DroppingStore : public sqlite::SqliteStore {
 public:
  using sqlite::SqliteStore::SqliteStore;
  int writes_left = 1000;
  RunRecord create_run(const NewRun& run) override {
    spend();
    return sqlite::SqliteStore::create_run(run);
  }
  void set_status(const std::string& id, RunStatus status, double at, std::optional<int> exit_code,
                  const std::string& error) override {
    spend();
    sqlite::SqliteStore::set_status(id, status, at, exit_code, error);
  }
  void log_params(const std::string& run_id,
                  const std::map<std::string, std::string>& params) override {
    spend();
    sqlite::SqliteStore::log_params(run_id, params);
  }
  void set_tags(const std::string& id, const std::map<std::string, std::string>& tags) override {
    spend();
    sqlite::SqliteStore::set_tags(id, tags);
  }
  void log_metrics(const std::string& run_id, const std::vector<MetricPoint>& points) override {
    spend();
    sqlite::SqliteStore::log_metrics(run_id, points);
  }
  void log_batch(const std::string& run_id, const std::vector<MetricPoint>& metrics,
                 const std::map<std::string, std::string>& params,
                 const std::map<std::string, std::string>& tags) override {
    spend();
    sqlite::SqliteStore::log_batch(run_id, metrics, params, tags);
  }

 private:
  void spend() {
    if (writes_left <= 0) throw Error(ErrorKind::Unavailable, "the store's connection dropped");
    --writes_left;
  }
};

class TestLink : public RemoteLink {
 public:
  explicit TestLink(std::shared_ptr<DroppingStore> store) : store_(std::move(store)) {}
  std::shared_ptr<Store> store() override { return store_; }
  bool fetch_blob(const std::string&, const ArtifactStore&) override { return false; }
  fs::path server_root() override { return "/nonexistent"; }
  RunRecord follow_log(const std::string&, const std::function<void(std::string_view)>&,
                       const FollowOptions&) override {
    throw Error(ErrorKind::Internal, "not used");
  }
  EndpointKeys endpoint_keys(const std::string&, const std::string&) override {
    throw Error(ErrorKind::Internal, "not used");
  }
  std::string endpoint_log_tail(const std::string&, int64_t, bool) override {
    throw Error(ErrorKind::Internal, "not used");
  }

 private:
  std::shared_ptr<DroppingStore> store_;
};

class MlflowAtomicWrites : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("glia-mlflow-atomic-writes-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = std::make_shared<DroppingStore>((dir_ / "server.db").string());
    auto store = store_;
    set_remote_connector([store](const RemoteConfig&, const fs::path&) {
      return std::make_shared<TestLink>(store);
    });
    ws_ = std::make_unique<Workspace>(
        Workspace::connect(dir_ / "ws", {"http://127.0.0.1:1", "team", "", ""}));
    Binding b;
    b.workspace = [this](http::Request&) -> Workspace& { return *ws_; };
    b.authorize = [](http::Request&, Role, const std::string&) { return std::string("tester"); };
    mount(router_, "", b);
  }
  void TearDown() override {
    ws_.reset();
    set_remote_connector({});
    fs::remove_all(dir_);
  }
  http::Response post(const std::string& path, const json& body) {
    http::Request r;
    r.method = "POST";
    r.path = path;
    r.body = body.dump();
    return router_.dispatch(r);
  }
  fs::path dir_;
  std::shared_ptr<DroppingStore> store_;
  std::unique_ptr<Workspace> ws_;
  http::Router router_;
};

TEST_F(MlflowAtomicWrites, AStoreFailingPartWayLeavesNothingOfTheBatch) {
  const RunRecord run = store_->create_run({"exp", "", "", "local", {}});
  const json batch = {
      {"run_id", run.id},
      {"metrics", {{{"key", "loss"}, {"value", 0.5}, {"timestamp", 1000}, {"step", 0}}}},
      {"params", {{{"key", "lr"}, {"value", "0.1"}}}},
      {"tags", {{{"key", "stage"}, {"value", "dev"}}}}};
  // The connection drops after one write: the batch is either applied whole or not at all.
  store_->writes_left = 1;
  const http::Response r = post("/api/2.0/mlflow/runs/log-batch", batch);
  const size_t values = store_->metric_series(run.id, "loss").size();
  const bool param = store_->run_params(run.id).count("lr") == 1;
  const bool tag = store_->get_run(run.id).tags.count("stage") == 1;
  if (r.status == 200) {
    EXPECT_EQ(values, 1u);
    EXPECT_TRUE(param);
    EXPECT_TRUE(tag);
  } else {
    EXPECT_EQ(values, 0u) << r.body;
    EXPECT_FALSE(param) << "params left by a failed batch: " << r.body;
    EXPECT_FALSE(tag) << "tags left by a failed batch: " << r.body;
  }
  // With the store gone before the batch, nothing is written and the client is told.
  store_->writes_left = 0;
  json again = batch;
  again["params"] = {{{"key", "epochs"}, {"value", "3"}}};
  EXPECT_NE(post("/api/2.0/mlflow/runs/log-batch", again).status, 200);
  EXPECT_EQ(store_->run_params(run.id).count("epochs"), 0u);
  EXPECT_EQ(store_->metric_series(run.id, "loss").size(), values);
}

TEST_F(MlflowAtomicWrites, ARunIsCreatedStartedInOneWrite) {
  const ExperimentRecord e = store_->create_experiment("exp", {});
  const json create = {{"experiment_id", std::to_string(e.id)},
                       {"run_name", "first"},
                       {"start_time", 4102444800000}};  // 2100-01-01: after the run is made
  // The connection drops after one write: the run is made started, or not at all.
  store_->writes_left = 1;
  const http::Response r = post("/api/2.0/mlflow/runs/create", create);
  const auto runs = store_->list_runs({});
  if (r.status == 200) {
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].status, RunStatus::Running);
    EXPECT_EQ(runs[0].started_at, 4102444800.0);
    EXPECT_EQ(json::parse(r.body)["run"]["info"]["status"], "RUNNING");
    const auto history = store_->status_history(runs[0].id);
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0].status, RunStatus::NotStarted);
    EXPECT_EQ(history[1].status, RunStatus::Running);
    EXPECT_EQ(history[1].at, 4102444800.0);
  } else {
    EXPECT_TRUE(runs.empty()) << "a run left " << (runs.empty() ? "" : to_string(runs[0].status))
                              << " by a failed create: " << r.body;
  }
}

}  // namespace
}  // namespace glia::server::mlflow
