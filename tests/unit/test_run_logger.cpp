#include <gtest/gtest.h>

#include <unistd.h>
#include "temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "glia/error.hpp"
#include "glia/platform/input_limits.hpp"
#include "glia/platform/run_logger.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

class RunLoggerTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("rl");
    unsetenv("GLIA_RUN_ID");
    unsetenv("GLIA_WORKSPACE");
  }
  void TearDown() override {
    unsetenv("GLIA_RUN_ID");
    unsetenv("GLIA_WORKSPACE");
    fs::remove_all(dir_);
  }
  fs::path dir_;
};

TEST_F(RunLoggerTest, OfflineKeepsValuesInMemory) {
  auto run = RunLogger::offline();
  EXPECT_FALSE(run->online());
  run->log("Loss", 0.5);
  run->log("Loss", 0.4);
  run->complete();
  ASSERT_EQ(run->history().size(), 2u);
  EXPECT_EQ(run->history()[1].step, 1);  // repeated logs form a list
}

TEST_F(RunLoggerTest, InAWorkspaceCreatesACompletedRunWithItsMetrics) {
  Workspace::init(dir_);
  setenv("GLIA_WORKSPACE", dir_.c_str(), 1);
  std::string id;
  {
    auto run = RunLogger::from_environment("keras-mnist", "train");
    ASSERT_TRUE(run->online());
    id = run->run_id();
    EXPECT_EQ(Workspace::open(dir_).store().get_run(id).status, RunStatus::Running);
    for (int i = 0; i < 2500; ++i) run->log("v", i);  // crosses the batch size twice
    run->log("acc", 0.9, 7);
    run->complete();
  }
  Workspace ws = Workspace::open(dir_);
  EXPECT_EQ(ws.store().get_run(id).status, RunStatus::Completed);
  EXPECT_EQ(ws.store().metric_series(id, "v").size(), 2500u);
  EXPECT_EQ(ws.store().latest_metrics(id).at("acc").step, 7);
  EXPECT_EQ(ws.store().get_run(id).submitter_uid, static_cast<int64_t>(::getuid()));
}

TEST_F(RunLoggerTest, AnUncompletedRunIsMarkedFailed) {
  Workspace::init(dir_);
  setenv("GLIA_WORKSPACE", dir_.c_str(), 1);
  std::string id;
  {
    auto run = RunLogger::from_environment("e", "train");
    id = run->run_id();
    run->log("x", 1.0);
  }
  RunRecord r = Workspace::open(dir_).store().get_run(id);
  EXPECT_EQ(r.status, RunStatus::Failed);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(Workspace::open(dir_).store().metric_series(id, "x").size(), 1u);  // nothing lost
}

TEST_F(RunLoggerTest, AttachesToTheJobsRunAndLeavesItsStatusAlone) {
  Workspace ws = Workspace::init(dir_);
  RunRecord r = ws.store().create_run({"e", "", "job", "local", {}});
  ws.store().set_status(r.id, RunStatus::Running, 1.0);
  setenv("GLIA_WORKSPACE", dir_.c_str(), 1);
  setenv("GLIA_RUN_ID", r.id.c_str(), 1);
  {
    auto run = RunLogger::from_environment("ignored", "x");
    EXPECT_EQ(run->run_id(), r.id);
    run->log("m", 2.0);
  }
  EXPECT_EQ(ws.store().get_run(r.id).status, RunStatus::Running);
  EXPECT_EQ(ws.store().metric_series(r.id, "m").size(), 1u);
  setenv("GLIA_RUN_ID", "no-such-run", 1);
  EXPECT_THROW(RunLogger::from_environment("e", "x"), Error);
}

// Regression: the C++ client wrote records longer than the protocol's line limit, which the
// agent then skipped; it refuses them where the caller can react, and keeps the good ones.
TEST_F(RunLoggerTest, ARecordOverTheLineLimitIsRefusedInAJob) {
  fs::create_directories(dir_);
  const fs::path tracking = dir_ / "tracking.jsonl";
  {
    RunLogger run("run-1", tracking, dir_ / "scratch");
    run.log_row("table", {{"a", 1}});
    const std::string huge(kMaxTrackingLineBytes, 'n');
    EXPECT_THROW(run.log_row(huge, {{"a", 1}}), Error);
    run.log_row("table", {{"a", 2}});
    run.flush();
  }
  std::ifstream in(tracking);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_LT(line.size(), kMaxTrackingLineBytes);
  }
  EXPECT_EQ(lines, 2);
}

TEST_F(RunLoggerTest, TheExperimentNameIsChecked) {
  Workspace::init(dir_);
  setenv("GLIA_WORKSPACE", dir_.c_str(), 1);
  EXPECT_THROW(RunLogger::from_environment("../escaped", "test"), Error);
  EXPECT_THROW(RunLogger::from_environment("", "test"), Error);
  EXPECT_TRUE(Workspace::open(dir_).store().experiments().empty());
}

// An image name becomes a run file path: it goes through the checked helper.
TEST_F(RunLoggerTest, ImageNamesCannotLeaveTheImagesFolder) {
  Workspace::init(dir_);
  setenv("GLIA_WORKSPACE", dir_.c_str(), 1);
  std::ofstream(dir_ / "chart.png") << "png";
  auto run = RunLogger::from_environment("images", "test");
  EXPECT_THROW(run->log_image("../../escaped", dir_ / "chart.png"), Error);
  run->log_image("Accuracy vs Loss", dir_ / "chart.png");
  run->complete();
}

}  // namespace
}  // namespace glia::platform
