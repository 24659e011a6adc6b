// RunLogger's batches to a run it started are applied exactly once even when an answer is lost:
// a store that applies a batch and then fails (as a server whose answer never arrived) must not
// get it twice when the logger sends it again. The store is the real SQLite store, reached as a
// remote workspace's store through the platform's RemoteLink hook.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "glia/error.hpp"
#include "glia/platform/endpoints.hpp"
#include "glia/platform/log_follow.hpp"
#include "glia/platform/run_logger.hpp"
#include "glia/platform/workspace.hpp"
#include "store/sqlite_store.hpp"

namespace {

namespace fs = std::filesystem;
using namespace glia::platform;

// Applies every batch, but answers the first `lose` of them with a failure; refuses the next
// `refuse` batches (applying nothing) with an error of kind `refusal`. Likewise for the status
// changes: the first `lose_status` are set but their answers lost, the next `unreachable_status`
// are not set (a server not reached).
class LosingStore : public sqlite::SqliteStore {
 public:
  using sqlite::SqliteStore::SqliteStore;
  int lose = 0, refuse = 0, lose_status = 0, unreachable_status = 0, batches = 0;
  glia::ErrorKind refusal = glia::ErrorKind::InvalidArgument;
  /// Status writes (create_run, set_status) applied before the connection drops; < 0: no limit.
  int status_writes_left = -1;
  RunRecord create_run(const NewRun& run) override {
    spend_status_write();
    return sqlite::SqliteStore::create_run(run);
  }
  bool apply_tracking(const std::string& run_id, const TrackingBatch& batch, int64_t new_offset,
                      std::optional<int64_t> expected_offset) override {
    ++batches;
    if (refuse > 0) {
      --refuse;
      throw glia::Error(refusal, "the batch was refused");
    }
    const bool applied =
        sqlite::SqliteStore::apply_tracking(run_id, batch, new_offset, expected_offset);
    if (lose > 0) {
      --lose;
      throw glia::Error(glia::ErrorKind::Unavailable, "the answer was lost");
    }
    return applied;
  }
  void set_status(const std::string& id, RunStatus status, double at, std::optional<int> exit_code,
                  const std::string& error) override {
    spend_status_write();
    if (status != RunStatus::Running && unreachable_status > 0) {
      --unreachable_status;
      throw glia::Error(glia::ErrorKind::Unavailable, "the server was not reached");
    }
    sqlite::SqliteStore::set_status(id, status, at, exit_code, error);
    if (status != RunStatus::Running && lose_status > 0) {
      --lose_status;
      throw glia::Error(glia::ErrorKind::Unavailable, "the answer was lost");
    }
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
  EndpointKeys endpoint_keys(const std::string&, const std::string&) override {
    throw glia::Error(glia::ErrorKind::Internal, "not used");
  }
  std::string endpoint_log_tail(const std::string&, int64_t, bool) override {
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
  // Reported once: the values logged after it are written at the offset the store now has.
  logger->log("acc", 0.7);
  logger->flush();
  logger->complete();
  EXPECT_EQ(store_->get_run(id).status, RunStatus::Completed);
  EXPECT_EQ(store_->metric_series(id, "acc").back().value, 0.7);
}

// A batch refused for good (not a failure that may pass) is dropped, reported once: the values
// logged after it are written, and the run ends, instead of staying Running behind it.
TEST_F(RunLoggerExactlyOnce, ABatchRefusedForGoodIsDroppedNotSentFirstForever) {
  for (const glia::ErrorKind kind : {glia::ErrorKind::NotFound, glia::ErrorKind::InvalidArgument,
                                     glia::ErrorKind::Permission, glia::ErrorKind::Conflict}) {
    auto logger = RunLogger::from_environment("exp", "cmd");
    const std::string id = logger->run_id();
    logger->log("loss", 1.0);
    logger->flush();
    logger->log("loss", 0.5);
    store_->refuse = 1;
    store_->refusal = kind;
    try {
      logger->flush();
      FAIL() << "the refused batch was not reported";
    } catch (const glia::Error& e) {
      EXPECT_EQ(e.kind(), kind);
    }
    logger->log("loss", 0.25);
    logger->flush();  // not the refused batch again: the new value only
    logger->complete();
    const auto series = store_->metric_series(id, "loss");
    ASSERT_EQ(series.size(), 2u);
    EXPECT_EQ(series[0].value, 1.0);
    EXPECT_EQ(series[1].value, 0.25);
    EXPECT_EQ(store_->get_run(id).status, RunStatus::Completed);
  }
}

TEST_F(RunLoggerExactlyOnce, ABatchThatMayPassLaterIsKeptForTheNextFlush) {
  for (const glia::ErrorKind kind : {glia::ErrorKind::Unavailable, glia::ErrorKind::NoSpace}) {
    auto logger = RunLogger::from_environment("exp", "cmd");
    const std::string id = logger->run_id();
    logger->log("loss", 1.0);
    store_->refuse = 1;
    store_->refusal = kind;
    EXPECT_THROW(logger->flush(), glia::Error);
    EXPECT_EQ(values(id, "loss"), 0u);
    logger->complete();
    EXPECT_EQ(values(id, "loss"), 1u);
    EXPECT_EQ(store_->get_run(id).status, RunStatus::Completed);
  }
}

// The end of the run whose answer was lost (it was set) or that did not reach the store is
// completed, not left Running for the destructor to mark Failed.
TEST_F(RunLoggerExactlyOnce, ALostAnswerToTheEndOfTheRunIsResolved) {
  {
    auto logger = RunLogger::from_environment("exp", "cmd");
    const std::string id = logger->run_id();
    logger->log("acc", 0.5);
    store_->lose_status = 1;
    logger->complete();
    logger.reset();
    EXPECT_EQ(store_->get_run(id).status, RunStatus::Completed);
  }
  {
    auto logger = RunLogger::from_environment("exp", "cmd");
    const std::string id = logger->run_id();
    store_->unreachable_status = 2;
    store_->lose_status = 1;
    logger->complete(false, "diverged");
    logger.reset();
    const RunRecord run = store_->get_run(id);
    EXPECT_EQ(run.status, RunStatus::Failed);
    EXPECT_EQ(run.error, "diverged");
  }
}

TEST_F(RunLoggerExactlyOnce, AStoreNeverReachedAtTheEndIsReported) {
  auto logger = RunLogger::from_environment("exp", "cmd");
  const std::string id = logger->run_id();
  store_->unreachable_status = 1000;
  try {
    logger->complete();
    FAIL() << "an end never recorded was not reported";
  } catch (const glia::Error& e) {
    EXPECT_EQ(e.kind(), glia::ErrorKind::Unavailable);
  }
  EXPECT_EQ(store_->get_run(id).status, RunStatus::Running);
  store_->unreachable_status = 0;
  logger.reset();  // the destructor ends it
  EXPECT_EQ(store_->get_run(id).status, RunStatus::Failed);
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

// Batches are bounded in bytes too: many table rows (a remote store call holds at most 4 MiB) go
// in several batches as they are logged, every row kept.
TEST_F(RunLoggerExactlyOnce, ManyRowsGoInSeveralBatchesOfBoundedSize) {
  auto logger = RunLogger::from_environment("exp", "cmd");
  const std::string id = logger->run_id();
  const int before = store_->batches;
  for (int i = 0; i < 20000; ++i)
    logger->log_row("per_class_accuracy_table",
                    {{"class_index", i}, {"accuracy_value", 0.5}, {"precision_value", 0.25}});
  EXPECT_GE(store_->batches - before, 2) << "20,000 rows waited for one batch";
  logger->complete();
  EXPECT_EQ(store_->metric_rows(id).size(), 20000u);
}

}  // namespace
