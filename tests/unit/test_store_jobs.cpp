// The Store contract, continued: what jobs need — queueing, processes, tags, compute targets,
// run files, tracking batches with their offsets, rows, images, NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "glia/error.hpp"
#include "store_contract.hpp"

namespace glia::platform {
namespace {

using namespace testing_store;
using StoreJobs = StoreContract;

TEST_P(StoreJobs, QueuedRunRecordsBothStatusesAndJobFields) {
  NewRun n{"exp", "nice name", "echo hi", "local", {}};
  n.spec = R"({"job":{}})";
  n.code_snapshot = std::string(64, 'a');
  n.timeout = 30;
  n.queue = true;
  RunRecord r = store_->create_run(n);
  EXPECT_EQ(r.status, RunStatus::Queued);
  RunRecord back = store_->get_run(r.id);
  EXPECT_EQ(back.status, RunStatus::Queued);
  EXPECT_EQ(back.spec, n.spec);
  EXPECT_EQ(back.code_snapshot, n.code_snapshot);
  EXPECT_EQ(back.timeout, 30);
  EXPECT_FALSE(back.pid);
  auto h = store_->status_history(r.id);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].status, RunStatus::NotStarted);
  EXPECT_EQ(h[1].status, RunStatus::Queued);
}

TEST_P(StoreJobs, ProcessAndTags) {
  RunRecord r = new_run();
  store_->set_process(r.id, 1234, 99, 55);
  store_->set_tags(r.id, {{"x", "1"}, {"a", "c"}});
  RunRecord back = store_->get_run(r.id);
  EXPECT_EQ(back.pid, 1234);
  EXPECT_EQ(back.pid_start, 99);
  EXPECT_EQ(back.agent_pid, 55);
  EXPECT_EQ(back.tags, (std::map<std::string, std::string>{{"a", "c"}, {"x", "1"}}));
  EXPECT_THROW(store_->set_process("nope", 1, 1, 1), Error);
}

TEST_P(StoreJobs, SubmitterAndPropertiesAreKept) {
  NewRun n{"exp", "", "echo hi", "local", {}};
  n.submitter_uid = 1234;
  n.submitter_name = "ada";
  RunRecord r = store_->create_run(n);
  EXPECT_EQ(r.submitter_uid, 1234);
  RunRecord back = store_->get_run(r.id);
  EXPECT_EQ(back.submitter_uid, 1234);
  EXPECT_EQ(back.submitter_name, "ada");
  EXPECT_TRUE(back.properties.empty());
  EXPECT_FALSE(store_->get_run(new_run().id).submitter_uid);  // runs not submitted as jobs

  store_->add_properties(r.id, {{"threads", "2"}, {"threads_from", "share"}});
  store_->add_properties(r.id, {{"threads", "2"}, {"other", "x"}});  // the same value again: fine
  EXPECT_THROW(store_->add_properties(r.id, {{"threads", "3"}, {"late", "y"}}), Error);
  EXPECT_EQ(store_->get_run(r.id).properties,
            (std::map<std::string, std::string>{
                {"other", "x"},
                {"threads", "2"},
                {"threads_from", "share"}}));  // nothing of the refused call
  EXPECT_THROW(store_->add_properties("nope", {{"a", "b"}}), Error);
}

TEST_P(StoreJobs, FiltersByComputeAnyStatusOldestFirst) {
  NewRun a{"e", "", "c", "local", {}}, b{"e", "", "c", "gpu", {}};
  a.queue = b.queue = true;
  std::string first = store_->create_run(a).id;
  store_->create_run(b);
  std::string third = store_->create_run(a).id;
  RunFilter f;
  f.compute = "local";
  f.oldest_first = true;
  auto runs = store_->list_runs(f);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].id, first);
  EXPECT_EQ(runs[1].id, third);
  store_->set_status(first, RunStatus::Running, 1);
  RunFilter g;
  g.any_status = {RunStatus::Running, RunStatus::Completed};
  ASSERT_EQ(store_->list_runs(g).size(), 1u);
  EXPECT_EQ(store_->list_runs(g)[0].id, first);
}

TEST_P(StoreJobs, ComputeTargets) {
  auto local = store_->get_compute("local");  // every store starts with it
  EXPECT_EQ(local.type, "local");
  EXPECT_GE(local.max_concurrent, 1);
  store_->create_compute({"cpu", "local", 3, "three at once", 0});
  EXPECT_THROW(store_->create_compute({"cpu", "local", 1, "", 0}), Error);
  EXPECT_THROW(store_->create_compute({"k8s", "kubernetes", 1, "", 0}), Error);
  EXPECT_THROW(store_->create_compute({"zero", "local", 0, "", 0}), Error);
  ComputeTarget no_threads{"nothreads", "local", 1, "", 0};
  no_threads.threads_per_job = 0;
  EXPECT_THROW(store_->create_compute(no_threads), Error);
  auto cpu = store_->get_compute("cpu");
  EXPECT_EQ(cpu.max_concurrent, 3);
  EXPECT_FALSE(cpu.threads_per_job);  // unset: a share of the cores
  cpu.threads_per_job = 2;
  store_->update_compute(cpu);
  EXPECT_EQ(store_->get_compute("cpu").threads_per_job, 2);
  cpu.threads_per_job.reset();
  store_->update_compute(cpu);
  EXPECT_FALSE(store_->get_compute("cpu").threads_per_job);
  EXPECT_GT(cpu.created_at, 0);
  cpu.max_concurrent = 5;
  store_->update_compute(cpu);
  EXPECT_EQ(store_->get_compute("cpu").max_concurrent, 5);
  EXPECT_THROW(store_->update_compute({"nope", "local", 1, "", 0}), Error);
  try {
    store_->get_compute("gpu");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown compute 'gpu' (known: cpu, local"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(store_->list_computes().size(), 2u);
}

TEST_P(StoreJobs, RunFilesAreReplacedByPathAndSorted) {
  RunRecord r = new_run();
  store_->add_run_files(r.id, {{"outputs/b.txt", std::string(64, 'b'), 2, 1},
                               {"outputs/a.txt", std::string(64, 'a'), 1, 1}});
  store_->add_run_files(r.id, {{"outputs/b.txt", std::string(64, 'c'), 3, 2}});
  auto files = store_->run_files(r.id);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "outputs/a.txt");
  EXPECT_EQ(files[1].sha256, std::string(64, 'c'));
  EXPECT_EQ(files[1].size, 3);
  EXPECT_THROW(store_->add_run_files("nope", {{"x", "y", 1, 1}}), Error);
}

// Regression: "outputs/a.txt" and "outputs/a.txt/b.txt" were both stored, and the run could not
// be downloaded. A path is a file or a folder, never both; a refused batch leaves nothing.
TEST_P(StoreJobs, RunFilePathIsAFileOrAFolderNeverBoth) {
  RunRecord r = new_run();
  const std::string h(64, 'a');
  store_->add_run_files(r.id, {{"outputs/a.txt", h, 5, 1}, {"outputs/d/x", h, 1, 1}});
  auto kind_of = [&](const std::vector<RunFile>& files) {
    try {
      store_->add_run_files(r.id, files);
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::Internal;  // stored: not what is expected
  };
  EXPECT_EQ(kind_of({{"outputs/a.txt/b.txt", h, 5, 2}}), ErrorKind::Conflict);  // under a file
  EXPECT_EQ(kind_of({{"outputs/d", h, 5, 2}}), ErrorKind::Conflict);  // a file onto a folder
  EXPECT_EQ(
      kind_of({{"outputs/ok.txt", h, 1, 2}, {"outputs/n", h, 1, 2}, {"outputs/n/m", h, 1, 2}}),
      ErrorKind::Conflict);  // within one batch: none of it stored
  TrackingBatch b;
  b.metrics = {{"loss", 0, 0.5, 1}};
  b.files = {{"outputs/a.txt/c", h, 1, 3}};
  EXPECT_THROW(store_->apply_tracking(r.id, b, 50), Error);
  EXPECT_EQ(store_->tracking_offset(r.id), 0);
  EXPECT_TRUE(store_->metric_series(r.id, "loss").empty());
  std::vector<std::string> paths;
  for (const auto& f : store_->run_files(r.id)) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"outputs/a.txt", "outputs/d/x"}));
  // A file replaced, and names that only share a beginning, are fine.
  store_->add_run_files(r.id, {{"outputs/a.txt", h, 6, 4},
                               {"outputs/a.txt-2", h, 1, 4},
                               {"outputs/a.tx/y", h, 1, 4},
                               {"outputs/d/x2", h, 1, 4}});
  EXPECT_EQ(store_->run_files(r.id).size(), 5u);
}

TEST_P(StoreJobs, TrackingBatchAppliesWithItsOffsetAtomically) {
  RunRecord r = new_run();
  EXPECT_EQ(store_->tracking_offset(r.id), 0);
  TrackingBatch b;
  b.metrics = {{"Loss", MetricPoint::kNextStep, 0.5, 1},
               {"Loss", MetricPoint::kNextStep, 0.4, 2},
               {"acc", 7, 0.9, 3}};
  b.rows = {{"table", R"({"a":1})", 4}};
  b.images = {{"Accuracy vs Loss", 0, "images/Accuracy vs Loss.png", 5}};
  b.files = {{"images/Accuracy vs Loss.png", std::string(64, 'f'), 10, 5}};
  b.tags = {{"k", "v"}};
  store_->apply_tracking(r.id, b, 120);
  EXPECT_EQ(store_->tracking_offset(r.id), 120);
  auto loss = store_->metric_series(r.id, "Loss");
  ASSERT_EQ(loss.size(), 2u);
  EXPECT_EQ(loss[0].step, 0);
  EXPECT_EQ(loss[1].step, 1);
  EXPECT_EQ(store_->metric_series(r.id, "acc")[0].step, 7);
  EXPECT_EQ(store_->metric_rows(r.id).size(), 1u);
  EXPECT_EQ(store_->metric_images(r.id)[0].path, "images/Accuracy vs Loss.png");
  EXPECT_EQ(store_->run_files(r.id).size(), 1u);
  EXPECT_EQ(store_->get_run(r.id).tags.at("k"), "v");
  // A later unstepped value continues the list after what is stored.
  store_->apply_tracking(r.id, {{{"Loss", MetricPoint::kNextStep, 0.3, 6}}}, 150);
  EXPECT_EQ(store_->metric_series(r.id, "Loss").back().step, 2);
  // A bad batch changes nothing, not even the offset.
  TrackingBatch bad;
  bad.metrics = {{"ok", 0, 1, 1}, {"", 0, 1, 1}};
  EXPECT_THROW(store_->apply_tracking(r.id, bad, 999), Error);
  EXPECT_EQ(store_->tracking_offset(r.id), 150);
  EXPECT_TRUE(store_->metric_series(r.id, "ok").empty());
}

TEST_P(StoreJobs, TrackingBatchFromAStaleOffsetIsNotAppliedTwice) {  // regression
  RunRecord r = new_run();
  TrackingBatch b;
  b.metrics = {{"v", MetricPoint::kNextStep, 1, 1}};
  EXPECT_TRUE(store_->apply_tracking(r.id, b, 10, 0));
  EXPECT_FALSE(store_->apply_tracking(r.id, b, 10, 0));  // a second reader of the same lines
  EXPECT_EQ(store_->metric_series(r.id, "v").size(), 1u);
  EXPECT_EQ(store_->tracking_offset(r.id), 10);
  EXPECT_TRUE(store_->apply_tracking(r.id, b, 20, 10));
  EXPECT_EQ(store_->metric_series(r.id, "v").size(), 2u);
}

TEST_P(StoreJobs, NaNAndInfinityRoundTrip) {
  RunRecord r = new_run();
  const double inf = std::numeric_limits<double>::infinity();
  store_->log_metrics(r.id,
                      {{"loss", 0, std::nan(""), 1}, {"loss", 1, inf, 2}, {"loss", 2, -inf, 3}});
  auto s = store_->metric_series(r.id, "loss");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_TRUE(std::isnan(s[0].value));
  EXPECT_EQ(s[1].value, inf);
  EXPECT_EQ(s[2].value, -inf);
  EXPECT_EQ(store_->latest_metrics(r.id).at("loss").value, -inf);
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreJobs, testing::ValuesIn(kStores),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace glia::platform
