// The Store contract. Every implementation is listed in kStores and must pass every test here.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include <unistd.h>

#include "glia/error.hpp"
#include "glia/platform/store.hpp"
#include "store_contract.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

using namespace testing_store;

TEST_P(StoreContract, MigratesOnOpenAndReopens) {
  EXPECT_GE(store_->schema_version(), 1);
  const std::string id = new_run().id;
  store_.reset();
  store_ = GetParam().open(dir_);
  EXPECT_EQ(store_->get_run(id).id, id);
}

TEST_P(StoreContract, CreateAndFindRun) {
  RunRecord r = new_run();
  EXPECT_EQ(r.id.rfind("keras-mnist_", 0), 0u) << r.id;
  EXPECT_EQ(r.status, RunStatus::NotStarted);
  RunRecord back = store_->get_run(r.id);
  EXPECT_EQ(back.experiment, "keras-mnist");
  EXPECT_EQ(back.display_name, r.id);
  EXPECT_EQ(back.command, "glia-keras-mnist --epochs 2");
  EXPECT_EQ(back.tags.at("a"), "b");
  EXPECT_FALSE(store_->find_run("nope").has_value());
  try {
    store_->get_run("nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown run 'nope'");
  }
  EXPECT_THROW(store_->create_run({""}), Error);
}

TEST_P(StoreContract, ListFiltersAndOrdersNewestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(new_run(i % 2 ? "b" : "a").id);
  store_->set_status(ids[4], RunStatus::Queued, 1.0);
  auto all = store_->list_runs({});
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all.front().id, ids[4]);
  EXPECT_EQ(all.back().id, ids[0]);
  EXPECT_EQ(store_->list_runs({.experiment = "b"}).size(), 2u);
  EXPECT_EQ(store_->list_runs({.status = RunStatus::Queued}).size(), 1u);
  EXPECT_EQ(store_->list_runs({.limit = 2}).size(), 2u);
  EXPECT_EQ(store_->experiments(), (std::vector<std::string>{"a", "b"}));
}

TEST_P(StoreContract, StatusLifecycleAndHistory) {
  const std::string id = new_run().id;
  for (RunStatus s : {RunStatus::Queued, RunStatus::Preparing, RunStatus::Running})
    store_->set_status(id, s, 10.0 + static_cast<int>(s));
  store_->set_status(id, RunStatus::Failed, 20.0, 137, "killed by signal 9 (SIGKILL)");
  RunRecord r = store_->get_run(id);
  EXPECT_EQ(r.status, RunStatus::Failed);
  EXPECT_EQ(r.exit_code, 137);
  EXPECT_EQ(r.error, "killed by signal 9 (SIGKILL)");
  EXPECT_DOUBLE_EQ(*r.started_at, 10.0 + static_cast<int>(RunStatus::Running));
  EXPECT_DOUBLE_EQ(*r.ended_at, 20.0);
  auto h = store_->status_history(id);
  ASSERT_EQ(h.size(), 5u);
  EXPECT_EQ(h.front().status, RunStatus::NotStarted);
  EXPECT_EQ(h.back().status, RunStatus::Failed);
  // Terminal: nothing changes, nothing is written.
  EXPECT_THROW(store_->set_status(id, RunStatus::Running, 30.0), Error);
  EXPECT_EQ(store_->status_history(id).size(), 5u);
  EXPECT_THROW(store_->set_status("nope", RunStatus::Running, 1.0), Error);
}

TEST_P(StoreContract, BackwardsTransitionIsRejected) {
  const std::string id = new_run().id;
  store_->set_status(id, RunStatus::Running, 1.0);
  try {
    store_->set_status(id, RunStatus::Queued, 2.0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot go from Running to Queued"), std::string::npos);
  }
  store_->set_status(id, RunStatus::CancelRequested, 3.0);
  EXPECT_THROW(store_->set_status(id, RunStatus::Completed, 4.0), Error);
  store_->set_status(id, RunStatus::Canceled, 5.0);
  EXPECT_EQ(store_->get_run(id).status, RunStatus::Canceled);
}

TEST_P(StoreContract, MetricSeriesKeepStepOrderAndLatestIsIndexed) {
  const std::string id = new_run().id;
  store_->log_metrics(id,
                      {{"Loss", 1, 0.5, 1.0}, {"Loss", 0, 0.9, 0.5}, {"Accuracy", 0, 0.8, 0.5}});
  store_->log_metrics(id, {{"Loss", 2, 0.3, 2.0}, {"Loss", 2, 0.31, 2.1}});
  auto loss = store_->metric_series(id, "Loss");
  ASSERT_EQ(loss.size(), 4u);
  EXPECT_EQ(loss[0].step, 0);
  EXPECT_DOUBLE_EQ(loss[1].value, 0.5);
  EXPECT_DOUBLE_EQ(loss[2].value, 0.3);  // same step: logging order
  EXPECT_DOUBLE_EQ(loss[3].value, 0.31);
  auto latest = store_->latest_metrics(id);
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_DOUBLE_EQ(latest["Loss"].value, 0.31);
  EXPECT_DOUBLE_EQ(latest["Accuracy"].value, 0.8);
  EXPECT_TRUE(store_->metric_series(id, "none").empty());
}

TEST_P(StoreContract, MetricBatchIsAllOrNothing) {
  const std::string id = new_run().id;
  EXPECT_THROW(store_->log_metrics(id, {{"ok", 0, 1.0, 0}, {"", 1, 2.0, 0}}), Error);
  EXPECT_TRUE(store_->metric_series(id, "ok").empty());
  EXPECT_TRUE(store_->latest_metrics(id).empty());
  EXPECT_THROW(store_->log_metrics("nope", {{"x", 0, 1.0, 0}}), Error);
}

// Four writers on their own connections, as four jobs would be: every value stored once.
TEST_P(StoreContract, AMetricBatchWithAKeyIsLoggedOnce) {
  const auto run = new_run();
  const std::vector<MetricPoint> batch = {{"loss", MetricPoint::kNextStep, 0.5, 1.0},
                                          {"loss", MetricPoint::kNextStep, 0.4, 2.0}};
  EXPECT_FALSE(store_->log_metrics_once(run.id, batch, "k-1", "fp-1", "first").has_value());
  // The same key and fingerprint again (a retry): the first answer, nothing written.
  EXPECT_EQ(store_->log_metrics_once(run.id, batch, "k-1", "fp-1", "second"), "first");
  EXPECT_EQ(store_->metric_series(run.id, "loss").size(), 2u);
  EXPECT_EQ(store_->latest_metrics(run.id).at("loss").step, 1);
  // The key used for another request: Conflict, nothing written.
  try {
    store_->log_metrics_once(run.id, batch, "k-1", "fp-2", "third");
    ADD_FAILURE() << "a key reused for another request was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Conflict) << e.what();
  }
  EXPECT_EQ(store_->metric_series(run.id, "loss").size(), 2u);
  // Another key, or the same key for another run, is another request.
  EXPECT_FALSE(store_->log_metrics_once(run.id, batch, "k-2", "fp-1", "first").has_value());
  EXPECT_EQ(store_->metric_series(run.id, "loss").size(), 4u);
  const auto other = new_run();
  EXPECT_FALSE(store_->log_metrics_once(other.id, batch, "k-1", "fp-1", "first").has_value());
  EXPECT_EQ(store_->metric_series(other.id, "loss").size(), 2u);
  try {
    store_->log_metrics_once("no-such-run", batch, "k-1", "fp-1", "first");
    ADD_FAILURE() << "an unknown run was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound) << e.what();
  }
}

TEST_P(StoreContract, ConcurrentWritersLoseNothing) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(new_run().id);
  constexpr int kBatches = 50, kPerBatch = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto s = GetParam().open(dir_);
      for (int b = 0; b < kBatches; ++b) {
        std::vector<MetricPoint> batch;
        for (int i = 0; i < kPerBatch; ++i)
          batch.push_back({"v", b * kPerBatch + i, static_cast<double>(b * kPerBatch + i), 0});
        s->log_metrics(ids[t], batch);
      }
    });
  for (auto& th : threads) th.join();
  for (const auto& id : ids) {
    auto series = store_->metric_series(id, "v");
    ASSERT_EQ(series.size(), static_cast<size_t>(kBatches * kPerBatch));
    for (size_t i = 0; i < series.size(); ++i) ASSERT_EQ(series[i].step, static_cast<int64_t>(i));
  }
}

// One store shared by threads (as a server's are) and stores of their own (as other processes'),
// all logging values with implied steps to one series: every step given once, none lost.
TEST_P(StoreContract, ImpliedStepsFromManyWritersAreEachGivenOnce) {
  const std::string id = new_run().id;
  constexpr int kThreads = 8, kBatches = 20, kPerBatch = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::unique_ptr<Store> own;
      if (t % 2) own = GetParam().open(dir_);
      Store& s = own ? *own : *store_;
      for (int b = 0; b < kBatches; ++b) {
        std::vector<MetricPoint> batch;
        for (int i = 0; i < kPerBatch; ++i)
          batch.push_back({"shared", MetricPoint::kNextStep, static_cast<double>(t), 0});
        s.log_metrics(id, batch);
      }
    });
  for (auto& th : threads) th.join();
  const auto series = store_->metric_series(id, "shared");
  ASSERT_EQ(series.size(), static_cast<size_t>(kThreads * kBatches * kPerBatch));
  for (size_t i = 0; i < series.size(); ++i) ASSERT_EQ(series[i].step, static_cast<int64_t>(i));
  EXPECT_EQ(store_->latest_metrics(id).at("shared").step, static_cast<int64_t>(series.size()) - 1);
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreContract, testing::ValuesIn(kStores),
                         [](const testing::TestParamInfo<StoreKind>& info) {
                           return info.param.name;
                         });

TEST(RunStatus, NamesRoundTripAndLifecycle) {
  for (int i = 0; i <= static_cast<int>(RunStatus::Canceled); ++i)
    EXPECT_EQ(parse_run_status(to_string(static_cast<RunStatus>(i))), static_cast<RunStatus>(i));
  EXPECT_THROW(parse_run_status("Done"), Error);
  EXPECT_TRUE(can_transition(RunStatus::NotStarted, RunStatus::Queued));
  EXPECT_TRUE(can_transition(RunStatus::Queued, RunStatus::Running));
  EXPECT_FALSE(can_transition(RunStatus::Running, RunStatus::Running));
  EXPECT_FALSE(can_transition(RunStatus::Completed, RunStatus::Failed));
  EXPECT_TRUE(can_transition(RunStatus::Starting, RunStatus::Failed));
  EXPECT_FALSE(can_transition(RunStatus::CancelRequested, RunStatus::Completed));
  EXPECT_FALSE(can_transition(RunStatus::Finalizing, RunStatus::CancelRequested));  // regression
  EXPECT_TRUE(can_transition(RunStatus::Running, RunStatus::CancelRequested));
}

}  // namespace
}  // namespace glia::platform
