// The Store contract under concurrency: writers on connections of their own (as other processes
// are) decide numbers once, apply a tracking batch once, take a sweep's trial index once, create
// an experiment's name once and keep a run parameter's first value.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "glia/error.hpp"
#include "store_contract.hpp"

namespace glia::platform {
namespace {

using namespace testing_store;
using StoreConcurrency = StoreContract;

// Runs `body(store, thread)` in `n` threads, each with a store of its own.
template <class F>
void in_threads(const StoreKind& kind, const fs::path& dir, int n, F body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t)
    threads.emplace_back([&, t] {
      auto s = kind.open(dir);
      body(*s, t);
    });
  for (auto& th : threads) th.join();
}

TEST_P(StoreConcurrency, DatasetVersionsAreGivenOnce) {
  constexpr int kThreads = 4, kEach = 5;
  in_threads(GetParam(), dir_, kThreads, [](Store& s, int t) {
    for (int i = 0; i < kEach; ++i) {
      DatasetVersion d{"d", 0, "", std::string(63, 'a') + static_cast<char>('a' + t), 1, 1, "[]"};
      s.create_dataset_version(d, true);
    }
  });
  std::set<int64_t> versions;
  for (const auto& d : store_->list_datasets()) versions.insert(d.version);
  EXPECT_EQ(versions.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(*versions.rbegin(), kThreads * kEach);
}

TEST_P(StoreConcurrency, ATrackingBatchIsAppliedOnceByConcurrentReaders) {
  const std::string id = new_run().id;
  std::atomic<int> applied{0};
  in_threads(GetParam(), dir_, 8, [&](Store& s, int) {
    TrackingBatch b;
    b.metrics = {{"v", MetricPoint::kNextStep, 1, 1}};
    if (s.apply_tracking(id, b, 10, 0)) ++applied;
  });
  EXPECT_EQ(applied, 1);
  EXPECT_EQ(store_->metric_series(id, "v").size(), 1u);
  EXPECT_EQ(store_->tracking_offset(id), 10);
}

TEST_P(StoreConcurrency, ATrialIndexIsTakenOnce) {
  NewRun sweep{"tune", "", "", "local", {}};
  sweep.job_type = "sweep";
  sweep.queue = true;
  const std::string sweep_id = store_->create_run(sweep).id;
  std::atomic<int> created{0}, conflicts{0};
  in_threads(GetParam(), dir_, 6, [&](Store& s, int) {
    NewRun trial{"tune", "", "train", "local", {}};
    trial.job_type = "command";
    trial.parent_id = sweep_id;
    trial.trial_index = 0;
    try {
      s.create_run(trial);
      ++created;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Conflict) ++conflicts;
    }
  });
  EXPECT_EQ(created, 1);
  EXPECT_EQ(conflicts, 5);
  EXPECT_EQ(store_->sweep_trials(sweep_id).size(), 1u);
  EXPECT_EQ(store_->list_runs({}).size(), 2u);
}

TEST_P(StoreConcurrency, AnExperimentNameIsCreatedOnce) {
  std::atomic<int> created{0}, conflicts{0};
  in_threads(GetParam(), dir_, 6, [&](Store& s, int t) {
    try {
      s.create_experiment("shared", {{"by", std::to_string(t)}});
      ++created;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Conflict) ++conflicts;
    }
  });
  EXPECT_EQ(created, 1);
  EXPECT_EQ(conflicts, 5);
  const auto all = store_->list_experiment_records();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].tags.size(), 1u);  // only the winner's tags
}

TEST_P(StoreConcurrency, ARunParameterKeepsTheFirstValueLogged) {
  const std::string id = new_run().id;
  std::atomic<int> logged{0}, conflicts{0};
  in_threads(GetParam(), dir_, 6, [&](Store& s, int t) {
    try {
      s.log_params(id, {{"lr", std::to_string(t)}, {"seed", std::to_string(t)}});
      ++logged;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Conflict) ++conflicts;
    }
  });
  EXPECT_EQ(logged, 1);
  EXPECT_EQ(conflicts, 5);
  const auto params = store_->run_params(id);
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params.at("lr"), params.at("seed"));  // both from the one batch that was logged
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreConcurrency, testing::ValuesIn(kStores),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace glia::platform
