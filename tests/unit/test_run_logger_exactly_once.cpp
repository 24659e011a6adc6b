// RunLogger's batches to a run it started are applied exactly once even when an answer is lost:
// a store that applies a batch and then fails (as a server whose answer never arrived) must not
// get it twice when the logger sends it again. The store is the real SQLite store, reached as a
// remote workspace's store through the platform's RemoteLink hook.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "glia/error.hpp"
#include "glia/platform/log_follow.hpp"
#include "glia/platform/run_logger.hpp"
#include "glia/platform/workspace.hpp"
#include "store/sqlite_store.hpp"

namespace {

namespace fs = std::filesystem;
using namespace glia::platform;

// Applies every batch, but answers the first `lose` of them with a failure.
class LosingStore : public sqlite::SqliteStore {
 public:
  using sqlite::SqliteStore::SqliteStore;
  int lose = 0;
  /// Status writes (create_run, set_status) applied before the connection drops; < 0: no limit.
  int status_writes_left = -1;
  RunRecord create_run(const NewRun& run) override {
    spend_status_write();
    return sqlite::SqliteStore::create_run(run);
  }
  void set_status(const std::string& id, RunStatus status, double at, std::optional<int> exit_code,
                  const std::string& error) override {
    spend_status_write();
    sqlite::SqliteStore::set_status(id, status, at, exit_code, error);
  }
  bool apply_tracking(const std::string& run_id, const TrackingBatch& batch, int64_t new_offset,
                      std::optional<int64_t> expected_offset) override {
    const bool applied =
        sqlite::SqliteStore::apply_tracking(run_id, batch, new_offset, expected_offset);
    if (lose > 0) {
      --lose;
      throw glia::Error(glia::ErrorKind::Unavailable, "the answer was lost");
    }
    return applied;
  }

 private:
  void spend_status_write() {
    if (status_writes_left == 0)
      throw glia::Error(glia::ErrorKind::Unavailable, "the store's connection dropped");
    if (status_writes_left > 0) --status_writes_left;
  }
};

class TestLink : public RemoteLink {
 public:
  explicit TestLink(std::shared_ptr<LosingStore> store) : store_(std::move(store)) {}
  std::shared_ptr<Store> store() override { return store_; }
  bool fetch_blob(const std::string&, const ArtifactStore&) override { return false; }
  fs::path server_root() override { return "/nonexistent"; }
  RunRecord follow_log(const std::string&, const std::function<void(std::string_view)>&,
                       const FollowOptions&) override {
    throw glia::Error(glia::ErrorKind::Internal, "not used");
  }

 private:
  std::shared_ptr<LosingStore> store_;
};

class RunLoggerExactlyOnce : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("glia-exactly-once-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = std::make_shared<LosingStore>((dir_ / "server.db").string());
    auto store = store_;
    set_remote_connector([store](const RemoteConfig&, const fs::path&) {
      return std::make_shared<TestLink>(store);
    });
    Workspace::connect(dir_ / "ws", {"http://127.0.0.1:1", "team", "", ""});
    ::setenv("GLIA_WORKSPACE", (dir_ / "ws").c_str(), 1);
    for (const char* v : {"GLIA_RUN_ID", "GLIA_TRACKING_FILE"}) ::unsetenv(v);
  }
  void TearDown() override {
    ::unsetenv("GLIA_WORKSPACE");
    set_remote_connector({});
    fs::remove_all(dir_);
  }
  size_t values(const std::string& run_id, const std::string& name) {
    return store_->metric_series(run_id, name).size();
  }
  fs::path dir_;
  std::shared_ptr<LosingStore> store_;
};

TEST_F(RunLoggerExactlyOnce, ABatchWhoseAnswerWasLostIsNotAppliedTwice) {
  auto logger = RunLogger::from_environment("exp", "cmd");
  ASSERT_EQ(logger->mode(), RunLogger::Mode::Store);
  const std::string id = logger->run_id();
  for (int i = 0; i < 3; ++i) logger->log("loss", 1.0 / (i + 1));
  store_->lose = 1;
  try {
    logger->flush();
    FAIL() << "the lost answer was not reported";
  } catch (const glia::Error& e) {
    EXPECT_EQ(e.kind(), glia::ErrorKind::Unavailable);
  }
  EXPECT_EQ(values(id, "loss"), 3u);  // applied, though its answer was lost
  logger->log("loss", 0.25);
  logger->log("loss", 0.2);
  logger->flush();  // sends the lost batch again first (not applied twice), then the new one
  EXPECT_EQ(values(id, "loss"), 5u);
  const auto series = store_->metric_series(id, "loss");
  for (size_t i = 0; i < series.size(); ++i) EXPECT_EQ(series[i].step, static_cast<int64_t>(i));
  logger->complete();
  EXPECT_EQ(values(id, "loss"), 5u);
  EXPECT_EQ(store_->get_run(id).status, RunStatus::Completed);
}

TEST_F(RunLoggerExactlyOnce, ALostAnswerOnTheLastFlushIsResolvedByComplete) {
  auto logger = RunLogger::from_environment("exp", "cmd");
  const std::string id = logger->run_id();
  logger->log("acc", 0.5);
  store_->lose = 1;
  EXPECT_THROW(logger->flush(), glia::Error);
  logger->complete();  // the batch again, then the end of the run
  EXPECT_EQ(values(id, "acc"), 1u);
  EXPECT_EQ(store_->get_run(id).status, RunStatus::Completed);
}

TEST_F(RunLoggerExactlyOnce, AnotherWriterMovingTheOffsetIsAConflictNotALoss) {
  auto logger = RunLogger::from_environment("exp", "cmd");
  const std::string id = logger->run_id();
  logger->log("acc", 0.5);
  logger->flush();
  // Someone else applies a batch to the run (moving its offset) while ours is lost.
  logger->log("acc", 0.6);
  store_->lose = 1;
  EXPECT_THROW(logger->flush(), glia::Error);
  store_->sqlite::SqliteStore::apply_tracking(id, {}, store_->tracking_offset(id) + 1,
                                              std::nullopt);
  try {
    logger->flush();
    FAIL() << "a moved offset was taken for our batch";
  } catch (const glia::Error& e) {
    EXPECT_EQ(e.kind(), glia::ErrorKind::Conflict);
  }
}

// A logger's run is created started in one write: a connection dropping after that write leaves
// a Running run the logger logs into, never a NotStarted run nobody will start.
TEST_F(RunLoggerExactlyOnce, ARunALoggerStartsIsCreatedRunningInOneWrite) {
  store_->status_writes_left = 1;
  std::unique_ptr<RunLogger> logger;
  try {
    logger = RunLogger::from_environment("exp", "cmd");
  } catch (const glia::Error& e) {
    EXPECT_EQ(e.kind(), glia::ErrorKind::Unavailable) << e.what();
  }
  const auto runs = store_->list_runs({});
  if (logger) {
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].status, RunStatus::Running);
    const auto history = store_->status_history(runs[0].id);
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0].status, RunStatus::NotStarted);
    EXPECT_EQ(history[1].status, RunStatus::Running);
    store_->status_writes_left = -1;
    logger->complete();
    EXPECT_EQ(store_->get_run(runs[0].id).status, RunStatus::Completed);
  } else {
    EXPECT_TRUE(runs.empty()) << "a run left " << to_string(runs[0].status)
                              << " by a logger that failed to start it";
  }
}

}  // namespace
