// The tracking file: what the C++ client writes, what the reader applies, exactly once.
#include <gtest/gtest.h>

#include <unistd.h>
#include "temp_dir.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "glia/error.hpp"
#include "glia/platform/run_logger.hpp"
#include "glia/platform/tracking.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

class TrackingTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("trk");
    fs::create_directories(dir_ / "wd");
    store_ = open_sqlite_store((dir_ / "glia.db").string());
    artifacts_ = std::make_unique<ArtifactStore>(dir_ / "artifacts");
    run_ = store_->create_run({"e", "", "c", "local", {}}).id;
    file_ = dir_ / "tracking.jsonl";
  }
  void TearDown() override {
    for (const char* v : {"GLIA_RUN_ID", "GLIA_TRACKING_FILE", "GLIA_SCRATCH_DIR"}) unsetenv(v);
    store_.reset();
    fs::remove_all(dir_);
  }
  void append(const std::string& text) { std::ofstream(file_, std::ios::app) << text; }
  TrackingReader reader() { return TrackingReader(file_, dir_ / "wd", *artifacts_); }

  fs::path dir_, file_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ArtifactStore> artifacts_;
  std::string run_;
};

TEST_F(TrackingTest, AppliesEveryKindOfRecord) {
  std::ofstream(dir_ / "wd" / "chart.png") << "png bytes";
  std::ofstream(dir_ / "wd" / "report.txt") << "report";
  append(R"({"kind":"metric","name":"Loss","value":0.5})"
         "\n"
         R"({"kind":"metric","name":"Loss","value":"NaN","time":12.5})"
         "\n"
         R"({"kind":"metric","name":"acc","value":0.9,"step":4})"
         "\n"
         R"({"kind":"list","name":"Accuracy","values":[0.1,0.2,"Infinity"]})"
         "\n"
         R"({"kind":"row","name":"t","row":{"epoch":1,"loss":0.3}})"
         "\n"
         R"({"kind":"image","name":"Accuracy vs Loss","path":"chart.png"})"
         "\n"
         R"({"kind":"file","name":"outputs/report.txt","path":"report.txt"})"
         "\n"
         R"({"kind":"tag","key":"framework","value":"keras"})"
         "\n");
  auto r = reader();
  EXPECT_EQ(r.ingest(*store_, run_), 8);
  EXPECT_TRUE(r.take_problems().empty());
  auto loss = store_->metric_series(run_, "Loss");
  ASSERT_EQ(loss.size(), 2u);
  EXPECT_EQ(loss[1].step, 1);
  EXPECT_TRUE(std::isnan(loss[1].value));
  EXPECT_EQ(loss[1].wall_time, 12.5);
  EXPECT_EQ(store_->metric_series(run_, "acc")[0].step, 4);
  auto acc = store_->metric_series(run_, "Accuracy");
  ASSERT_EQ(acc.size(), 3u);
  EXPECT_TRUE(std::isinf(acc[2].value));
  EXPECT_EQ(store_->metric_rows(run_)[0].row_json, R"({"epoch":1,"loss":0.3})");
  ASSERT_EQ(store_->metric_images(run_).size(), 1u);
  auto files = store_->run_files(run_);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "images/Accuracy vs Loss.png");
  EXPECT_EQ(artifacts_->read_blob(files[0].sha256), "png bytes");
  EXPECT_EQ(files[1].path, "outputs/report.txt");
  EXPECT_EQ(store_->get_run(run_).tags.at("framework"), "keras");
  EXPECT_EQ(store_->tracking_offset(run_), static_cast<int64_t>(fs::file_size(file_)));
}

TEST_F(TrackingTest, BadLinesAreSkippedAndNamedByLineNumber) {
  append(
      "{not json\n"
      R"({"kind":"metric","name":"ok","value":1})"
      "\n"
      R"({"kind":"teleport"})"
      "\n"
      R"({"kind":"metric","name":"","value":1})"
      "\n"
      R"({"kind":"metric","name":"x","value":"high"})"
      "\n"
      R"({"kind":"file","name":"../escape","path":"/etc/hostname"})"
      "\n"
      R"({"kind":"image","name":"i","path":"missing.png"})"
      "\n");
  auto r = reader();
  EXPECT_EQ(r.ingest(*store_, run_), 1);
  auto problems = r.take_problems();
  ASSERT_EQ(problems.size(), 6u);
  EXPECT_EQ(problems[0], "tracking file line 1: not valid JSON");
  EXPECT_NE(problems[1].find("line 3: unknown kind 'teleport'"), std::string::npos);
  EXPECT_NE(problems[2].find("line 4"), std::string::npos);
  EXPECT_NE(problems[3].find("line 5"), std::string::npos);
  EXPECT_NE(problems[4].find("line 6"), std::string::npos);
  EXPECT_NE(problems[5].find("line 7: no file at 'missing.png'"), std::string::npos);
  EXPECT_EQ(store_->metric_series(run_, "ok").size(), 1u);
}

// A file record that would make a path a file and a folder at once is skipped and named; the
// rest of its batch is applied (the store refuses the clash, which would stop the tracking).
TEST_F(TrackingTest, AFileUnderAFileIsSkippedAndTheRestApplied) {
  std::ofstream(dir_ / "wd" / "a.txt") << "a";
  append(R"({"kind":"file","name":"outputs/a.txt","path":"a.txt"})"
         "\n");
  reader().ingest(*store_, run_);
  append(R"({"kind":"file","name":"outputs/a.txt/b.txt","path":"a.txt"})"
         "\n"
         R"({"kind":"metric","name":"ok","value":1})"
         "\n"
         R"({"kind":"file","name":"outputs/c","path":"a.txt"})"
         "\n"
         R"({"kind":"file","name":"outputs/c/d","path":"a.txt"})"
         "\n");
  auto r = reader();
  EXPECT_EQ(r.ingest(*store_, run_), 4);
  auto problems = r.take_problems();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("'outputs/a.txt/b.txt' not stored: 'outputs/a.txt' would be"),
            std::string::npos)
      << problems[0];
  EXPECT_NE(problems[1].find("'outputs/c/d' not stored"), std::string::npos) << problems[1];
  EXPECT_EQ(store_->metric_series(run_, "ok").size(), 1u);
  auto files = store_->run_files(run_);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "outputs/a.txt");
  EXPECT_EQ(files[1].path, "outputs/c");
  EXPECT_EQ(store_->tracking_offset(run_), static_cast<int64_t>(fs::file_size(file_)));
}

TEST_F(TrackingTest, PartialLineWaitsUntilCompleteOrTheJobEnds) {
  append(R"({"kind":"metric","name":"a","value":1})"
         "\n"
         R"({"kind":"metric","name":"a","val)");
  auto r = reader();
  EXPECT_EQ(r.ingest(*store_, run_), 1);
  append(R"(ue":2})"
         "\n"
         R"({"kind":"metric","name":"a","value":3})");
  EXPECT_EQ(r.ingest(*store_, run_), 1);  // the completed line; the new partial one waits
  EXPECT_EQ(r.ingest(*store_, run_, /*final=*/true), 0);
  auto problems = r.take_problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("line 3: incomplete last line"), std::string::npos);
  EXPECT_EQ(store_->metric_series(run_, "a").size(), 2u);
}

TEST_F(TrackingTest, ANewReaderResumesAtTheStoredOffsetExactlyOnce) {
  for (int i = 0; i < 100; ++i)
    append(R"({"kind":"metric","name":"v","value":)" + std::to_string(i) + "}\n");
  reader().ingest(*store_, run_);
  for (int i = 100; i < 150; ++i)
    append(R"({"kind":"metric","name":"v","value":)" + std::to_string(i) + "}\n");
  append("oops\n");
  auto second = reader();  // like an agent started after the first was killed
  EXPECT_EQ(second.ingest(*store_, run_), 50);
  EXPECT_EQ(second.ingest(*store_, run_), 0);
  auto problems = second.take_problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("line 151"), std::string::npos);
  auto v = store_->metric_series(run_, "v");
  ASSERT_EQ(v.size(), 150u);
  for (int i = 0; i < 150; ++i) {
    EXPECT_EQ(v[static_cast<size_t>(i)].step, i);
    EXPECT_EQ(v[static_cast<size_t>(i)].value, i);
  }
}

TEST_F(TrackingTest, ALineOverTheLimitIsSkippedAndTheRestApplied) {  // regression
  const std::string huge(5u << 20, 'x');
  append(R"({"kind":"metric","name":"a","value":1})"
         "\n" +
         huge);
  auto r = reader();
  EXPECT_EQ(r.ingest(*store_, run_), 1);  // the long line is not finished: wait for it
  EXPECT_TRUE(r.take_problems().empty());
  append(
      "\n"
      R"({"kind":"metric","name":"x","value":2})"
      "\ngarbage\n");
  EXPECT_EQ(r.ingest(*store_, run_), 1);
  auto problems = r.take_problems();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "tracking file line 2: longer than 4 MiB; skipped");
  EXPECT_EQ(problems[1], "tracking file line 4: not valid JSON");
  EXPECT_EQ(store_->metric_series(run_, "x").size(), 1u);
  EXPECT_EQ(store_->tracking_offset(run_), static_cast<int64_t>(fs::file_size(file_)));
}

TEST_F(TrackingTest, IngestsInBoundedSteps) {
  for (int i = 0; i < 3000; ++i)
    append(R"({"kind":"metric","name":"v","value":)" + std::to_string(i) + "}\n");
  auto r = reader();
  bool more = false;
  const int64_t first = r.ingest(*store_, run_, false, 1, &more);
  EXPECT_TRUE(more);
  EXPECT_EQ(first, 3000);  // a step reads at least one chunk
  EXPECT_EQ(r.ingest(*store_, run_, false, 1, &more), 0);
  EXPECT_FALSE(more);
}

TEST_F(TrackingTest, TwoProcessesOfOneJobExtendOneList) {  // regression: no client-side steps
  setenv("GLIA_RUN_ID", run_.c_str(), 1);
  setenv("GLIA_TRACKING_FILE", file_.c_str(), 1);
  for (int process = 0; process < 2; ++process) {
    auto log = RunLogger::from_environment("e", "c");
    for (int i = 0; i < 3; ++i) log->log("Loss", process * 10 + i);
  }
  reader().ingest(*store_, run_);
  auto loss = store_->metric_series(run_, "Loss");
  ASSERT_EQ(loss.size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(loss[i].step, static_cast<int64_t>(i));
  EXPECT_EQ(loss[3].value, 10);
}

TEST_F(TrackingTest, NoFileYetIsNothingToDo) {
  EXPECT_EQ(reader().ingest(*store_, run_), 0);
}

TEST_F(TrackingTest, CppClientInAJobWritesWhatTheReaderApplies) {
  setenv("GLIA_RUN_ID", run_.c_str(), 1);
  setenv("GLIA_TRACKING_FILE", file_.c_str(), 1);
  setenv("GLIA_SCRATCH_DIR", (dir_ / "scratch").c_str(), 1);
  {
    auto log = RunLogger::from_environment("ignored", "ignored");
    ASSERT_EQ(log->mode(), RunLogger::Mode::TrackingFile);
    for (int i = 0; i < 2500; ++i) log->log("x", i * 0.25);
    log->log("loss", std::nan(""));
    log->log_list("Accuracy", {0.5, 0.75});
    log->log_row("table", {{"epoch", 1}, {"loss", 0.25}});
    const fs::path chart = log->scratch_file("chart.svg");
    EXPECT_EQ(chart.parent_path(), dir_ / "scratch");
    std::ofstream(chart) << "<svg/>";
    log->log_image("Accuracy vs Loss", chart);
    log->upload_file("outputs/notes.txt", chart);
    EXPECT_THROW(log->upload_file("../x", chart), Error);
    try {
      log->upload_file("outputs/missing.txt", dir_ / "missing.txt");
      ADD_FAILURE() << "a missing file was uploaded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    }
  }  // the destructor flushes
  auto r = reader();
  EXPECT_EQ(r.ingest(*store_, run_), 2500 + 1 + 2 + 1 + 1 + 1);  // a list: one record a value
  EXPECT_TRUE(r.take_problems().empty());
  auto x = store_->metric_series(run_, "x");
  ASSERT_EQ(x.size(), 2500u);
  EXPECT_EQ(x[2499].step, 2499);
  EXPECT_EQ(x[2499].value, 2499 * 0.25);
  EXPECT_TRUE(std::isnan(store_->metric_series(run_, "loss")[0].value));
  EXPECT_EQ(store_->metric_series(run_, "Accuracy").size(), 2u);
  EXPECT_EQ(store_->metric_images(run_)[0].path, "images/Accuracy vs Loss.svg");
  EXPECT_EQ(store_->run_files(run_).size(), 2u);
  EXPECT_EQ(store_->get_run(run_).status, RunStatus::NotStarted);  // the agent owns the status
}

}  // namespace
}  // namespace glia::platform
