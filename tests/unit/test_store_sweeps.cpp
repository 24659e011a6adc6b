// The Store contract, continued: a sweep's trials — children of the sweep's run, each index
// taken once in the same transaction as its run, listed by parent.
#include <gtest/gtest.h>

#include "glia/error.hpp"
#include "store_contract.hpp"

namespace glia::platform {
namespace {

using namespace testing_store;
using StoreSweeps = StoreContract;

NewRun sweep_run() {
  NewRun r;
  r.experiment = "tune";
  r.command = "";
  r.spec = R"({"sweep":{}})";
  r.job_type = "sweep";
  r.queue = true;
  return r;
}

NewRun trial(const std::string& sweep, int64_t index, const std::string& params) {
  NewRun r;
  r.experiment = "tune";
  r.command = "train --lr " + params;
  r.spec = "{}";
  r.job_type = "command";
  r.queue = true;
  r.parent_id = sweep;
  r.trial_index = index;
  r.trial_parameters = params;
  return r;
}

TEST_P(StoreSweeps, TrialsAreChildrenWithTheirIndexAndParameters) {
  const RunRecord sweep = store_->create_run(sweep_run());
  EXPECT_TRUE(sweep.is_sweep());
  EXPECT_EQ(store_->get_run(sweep.id).job_type, "sweep");
  EXPECT_EQ(store_->get_run(sweep.id).parent_id, "");
  const RunRecord t0 = store_->create_run(trial(sweep.id, 0, R"({"lr":0.1})"));
  const RunRecord t1 = store_->create_run(trial(sweep.id, 1, R"({"lr":0.2})"));
  new_run();  // not a child
  EXPECT_EQ(store_->get_run(t0.id).parent_id, sweep.id);
  EXPECT_FALSE(store_->get_run(t0.id).is_sweep());

  const auto trials = store_->sweep_trials(sweep.id);
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].index, 0);
  EXPECT_EQ(trials[0].run_id, t0.id);
  EXPECT_EQ(trials[0].parameters, R"({"lr":0.1})");
  EXPECT_EQ(trials[1].run_id, t1.id);

  RunFilter children;
  children.parent_id = sweep.id;
  children.oldest_first = true;
  const auto listed = store_->list_runs(children);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, t0.id);
  EXPECT_EQ(listed[1].id, t1.id);
  EXPECT_TRUE(store_->sweep_trials(t0.id).empty());
}

TEST_P(StoreSweeps, AnIndexIsTakenOnceAndARefusedTrialWritesNothing) {
  const RunRecord sweep = store_->create_run(sweep_run());
  store_->create_run(trial(sweep.id, 0, R"({"lr":0.1})"));
  const size_t runs_before = store_->list_runs({}).size();
  try {
    store_->create_run(trial(sweep.id, 0, R"({"lr":0.3})"));
    FAIL() << "a second trial 0 was created";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Conflict);
  }
  EXPECT_EQ(store_->list_runs({}).size(), runs_before);
  EXPECT_EQ(store_->sweep_trials(sweep.id).size(), 1u);
  // Another sweep has its own indexes.
  const RunRecord other = store_->create_run(sweep_run());
  EXPECT_NO_THROW(store_->create_run(trial(other.id, 0, "{}")));
}

TEST_P(StoreSweeps, ATrialNeedsAnExistingParentAndAnIndex) {
  EXPECT_THROW(store_->create_run(trial("no-such-sweep", 0, "{}")), Error);
  NewRun half = trial("x", 0, "{}");
  half.trial_index.reset();
  EXPECT_THROW(store_->create_run(half), Error);
  EXPECT_TRUE(store_->list_runs({}).empty());
}

TEST_P(StoreSweeps, ASweepThatEndedOrIsBeingCanceledTakesNoTrial) {
  const RunRecord sweep = store_->create_run(sweep_run());
  store_->set_status(sweep.id, RunStatus::CancelRequested, 1);
  try {
    store_->create_run(trial(sweep.id, 0, "{}"));
    FAIL() << "a trial was made for a sweep being canceled";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Conflict);
  }
  store_->set_status(sweep.id, RunStatus::Canceled, 2);
  EXPECT_THROW(store_->create_run(trial(sweep.id, 0, "{}")), Error);
  EXPECT_TRUE(store_->sweep_trials(sweep.id).empty());
  EXPECT_EQ(store_->list_runs({}).size(), 1u);
}

TEST_P(StoreSweeps, RequestCancelRecordsWhyWithTheCancelOrNothing) {
  const RunRecord run = new_run();
  store_->add_properties(run.id, {{"kept", "1"}});
  EXPECT_TRUE(store_->request_cancel(run.id, {{"cancel_reason", "bandit: ..."}, {"kept", "2"}}, 5));
  RunRecord r = store_->get_run(run.id);
  EXPECT_EQ(r.status, RunStatus::CancelRequested);
  EXPECT_EQ(r.properties.at("cancel_reason"), "bandit: ...");
  EXPECT_EQ(r.properties.at("kept"), "1");  // a value already set stays
  EXPECT_EQ(store_->status_history(run.id).back().status, RunStatus::CancelRequested);
  // Already requested, Finalizing or ended: false, nothing written.
  EXPECT_FALSE(store_->request_cancel(run.id, {{"other", "x"}}, 6));
  EXPECT_FALSE(store_->get_run(run.id).properties.count("other"));
  const RunRecord done = new_run();
  store_->set_status(done.id, RunStatus::Completed, 7);
  EXPECT_FALSE(store_->request_cancel(done.id, {{"cancel_reason", "late"}}, 8));
  EXPECT_FALSE(store_->get_run(done.id).properties.count("cancel_reason"));
  EXPECT_EQ(store_->get_run(done.id).status, RunStatus::Completed);
  const RunRecord finalizing = new_run();
  store_->set_status(finalizing.id, RunStatus::Finalizing, 7);
  EXPECT_FALSE(store_->request_cancel(finalizing.id, {{"cancel_reason", "late"}}, 8));
  try {
    store_->request_cancel("no-such-run", {}, 9);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreSweeps, testing::ValuesIn(kStores),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace glia::platform
