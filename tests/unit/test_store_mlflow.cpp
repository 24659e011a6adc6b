// Store contract: what MLflow's API keeps (migration 10) — experiments' ids, lifecycle and tags,
// run parameters logged once, deleted runs, registered models with no version — for every store.
#include <gtest/gtest.h>

#include "glia/error.hpp"
#include "store_contract.hpp"

namespace glia::platform::testing_store {
namespace {

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no glia::Error thrown";
  return ErrorKind::Internal;
}

TEST_P(StoreContract, ExperimentsHaveIdsLifecycleAndTags) {
  const RunRecord run = new_run("made-by-a-run");
  const ExperimentRecord e = store_->create_experiment("made-by-mlflow", {{"team", "vision"}});
  EXPECT_EQ(e.tags.at("team"), "vision");
  EXPECT_FALSE(e.deleted);
  EXPECT_EQ(kind_of([&] { store_->create_experiment("made-by-mlflow", {}); }), ErrorKind::Conflict);
  EXPECT_EQ(kind_of([&] { store_->create_experiment("made-by-a-run", {}); }), ErrorKind::Conflict);

  const auto by_run = store_->find_experiment("made-by-a-run");
  ASSERT_TRUE(by_run.has_value());
  EXPECT_NE(by_run->id, e.id);
  EXPECT_TRUE(by_run->tags.empty());
  const auto again = store_->find_experiment_by_id(e.id);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->name, "made-by-mlflow");
  EXPECT_FALSE(store_->find_experiment("nope").has_value());
  EXPECT_FALSE(store_->find_experiment_by_id(e.id + 1000).has_value());

  store_->update_experiment(e.id, true, {{"team", "audio"}, {"stage", "dev"}});
  const auto deleted = store_->find_experiment_by_id(e.id);
  EXPECT_TRUE(deleted->deleted);
  EXPECT_EQ(deleted->tags.at("team"), "audio");
  EXPECT_EQ(deleted->tags.at("stage"), "dev");
  EXPECT_GE(deleted->updated_at, deleted->created_at);
  store_->update_experiment(e.id, std::nullopt, {});
  EXPECT_TRUE(store_->find_experiment_by_id(e.id)->deleted);  // unset: unchanged
  store_->update_experiment(e.id, false, {});
  EXPECT_FALSE(store_->find_experiment_by_id(e.id)->deleted);
  EXPECT_EQ(kind_of([&] { store_->update_experiment(e.id + 1000, true, {}); }),
            ErrorKind::NotFound);

  const auto all = store_->list_experiment_records();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_LT(all[0].id, all[1].id);
  EXPECT_EQ(all[0].name, "made-by-a-run");
  // A run can be created in an experiment made through MLflow.
  EXPECT_EQ(store_->create_run({"made-by-mlflow", "", "", "local", {}}).experiment,
            "made-by-mlflow");
  EXPECT_EQ(run.experiment, "made-by-a-run");
}

TEST_P(StoreContract, RunParamsAreLoggedOnceAllOrNone) {
  const RunRecord run = new_run();
  store_->log_params(run.id, {{"lr", "0.1"}, {"epochs", "3"}});
  store_->log_params(run.id, {{"lr", "0.1"}, {"batch", "32"}});  // same value again: fine
  EXPECT_EQ(kind_of([&] {
              store_->log_params(run.id, {{"a_new", "1"}, {"lr", "0.2"}});
            }),
            ErrorKind::Conflict);
  const auto params = store_->run_params(run.id);
  EXPECT_EQ(params, (std::map<std::string, std::string>{
                        {"lr", "0.1"}, {"epochs", "3"}, {"batch", "32"}}));  // no "a_new"
  EXPECT_EQ(kind_of([&] { store_->log_params("no-such-run", {{"a", "1"}}); }), ErrorKind::NotFound);
  EXPECT_TRUE(store_->run_params(new_run().id).empty());
}

TEST_P(StoreContract, LogBatchWritesMetricsParamsAndTagsAllOrNone) {
  const RunRecord run = new_run();
  store_->log_params(run.id, {{"lr", "0.1"}});
  // A param already set to another value: Conflict, and nothing of the batch is written.
  EXPECT_EQ(kind_of([&] {
              store_->log_batch(run.id, {{"loss", 0, 1.0, 10.0}}, {{"epochs", "3"}, {"lr", "0.2"}},
                                {{"stage", "dev"}});
            }),
            ErrorKind::Conflict);
  EXPECT_TRUE(store_->metric_series(run.id, "loss").empty());
  EXPECT_TRUE(store_->latest_metrics(run.id).empty());
  EXPECT_EQ(store_->run_params(run.id), (std::map<std::string, std::string>{{"lr", "0.1"}}));
  EXPECT_EQ(store_->get_run(run.id).tags, (std::map<std::string, std::string>{{"a", "b"}}));

  store_->log_batch(
      run.id,
      {{"loss", 0, 0.5, 11.0}, {"loss", MetricPoint::kNextStep, 0.4, 12.0}, {"acc", 7, 0.9, 12.0}},
      {{"lr", "0.1"}, {"epochs", "3"}}, {{"stage", "dev"}, {"a", "c"}});
  const auto loss = store_->metric_series(run.id, "loss");
  ASSERT_EQ(loss.size(), 2u);
  EXPECT_EQ(loss[0].step, 0);
  EXPECT_EQ(loss[1].step, 1);  // the next step: one value was stored before it
  EXPECT_DOUBLE_EQ(loss[1].value, 0.4);
  EXPECT_DOUBLE_EQ(store_->latest_metrics(run.id).at("acc").value, 0.9);
  EXPECT_EQ(store_->run_params(run.id),
            (std::map<std::string, std::string>{{"lr", "0.1"}, {"epochs", "3"}}));
  EXPECT_EQ(store_->get_run(run.id).tags,
            (std::map<std::string, std::string>{{"a", "c"}, {"stage", "dev"}}));

  store_->log_batch(run.id, {}, {}, {});  // an empty batch writes nothing and is fine
  EXPECT_EQ(store_->metric_series(run.id, "loss").size(), 2u);
  EXPECT_EQ(kind_of([&] {
              store_->log_batch("no-such-run", {{"loss", 0, 1.0, 1.0}}, {}, {});
            }),
            ErrorKind::NotFound);
}

TEST_P(StoreContract, ARunIsCreatedStartedInOneTransaction) {
  NewRun n{"mlflow-runs", "", "", "local", {{"mlflow.user", "ada"}}};
  n.start = 4102444800.5;  // after the run is made: started then
  const RunRecord r = store_->create_run(n);
  EXPECT_EQ(r.status, RunStatus::Running);
  EXPECT_EQ(r.started_at, 4102444800.5);
  const RunRecord found = store_->get_run(r.id);
  EXPECT_EQ(found.status, RunStatus::Running);
  EXPECT_EQ(found.started_at, 4102444800.5);
  EXPECT_DOUBLE_EQ(found.created_at, r.created_at);
  EXPECT_FALSE(found.ended_at.has_value());
  auto history = store_->status_history(r.id);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].status, RunStatus::NotStarted);
  EXPECT_DOUBLE_EQ(history[0].at, r.created_at);
  EXPECT_EQ(history[1].status, RunStatus::Running);
  EXPECT_EQ(history[1].at, 4102444800.5);

  // A start before the run was made (a client's clock behind): started when it was made.
  n.start = 1.0;
  const RunRecord early = store_->create_run(n);
  EXPECT_EQ(store_->get_run(early.id).started_at, early.created_at);
  history = store_->status_history(early.id);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_DOUBLE_EQ(history[1].at, early.created_at);

  // Queued and started at once is refused, writing nothing.
  NewRun both{"refused-runs", "", "", "local", {}};
  both.queue = true;
  both.start = 10.0;
  EXPECT_EQ(kind_of([&] { store_->create_run(both); }), ErrorKind::InvalidArgument);
  RunFilter refused;
  refused.experiment = "refused-runs";
  EXPECT_TRUE(store_->list_runs(refused).empty());
}

TEST_P(StoreContract, RunsAreDeletedAndRestored) {
  const RunRecord a = new_run(), b = new_run();
  EXPECT_TRUE(store_->deleted_runs().empty());
  store_->set_run_deleted(a.id, 10.0);
  store_->set_run_deleted(a.id, 20.0);  // again: still one
  EXPECT_EQ(store_->deleted_runs(), std::vector<std::string>{a.id});
  store_->set_run_deleted(a.id, std::nullopt);
  store_->set_run_deleted(b.id, std::nullopt);  // not deleted: nothing to do
  EXPECT_TRUE(store_->deleted_runs().empty());
  EXPECT_EQ(kind_of([&] { store_->set_run_deleted("no-such-run", 1.0); }), ErrorKind::NotFound);
  EXPECT_TRUE(store_->find_run(a.id).has_value());  // the run itself stays
}

// MLflow shows experiment ids: runs made in an experiment already there, and a name refused, take
// no number (PostgreSQL's sequence once gave one to every create_run).
TEST_P(StoreContract, ExperimentIdsFollowEachOther) {
  for (int i = 0; i < 3; ++i) new_run("first");
  new_run("second");
  EXPECT_EQ(kind_of([&] { store_->create_experiment("first", {}); }), ErrorKind::Conflict);
  new_run("second");
  store_->create_experiment("third", {});
  const auto all = store_->list_experiment_records();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].id, all[0].id + 1);
  EXPECT_EQ(all[2].id, all[0].id + 2);
  EXPECT_EQ(all[2].name, "third");
  EXPECT_EQ(all[0].updated_at, all[0].created_at);  // made by a run: never updated
}

TEST_P(StoreContract, RegisteredModelsAreRecordedOnce) {
  const RegisteredModel m = store_->create_registered_model({"digits", "a classifier", 0, 0});
  EXPECT_GT(m.created_at, 0);
  EXPECT_EQ(m.updated_at, m.created_at);
  EXPECT_EQ(kind_of([&] {
              store_->create_registered_model({"digits", "", 0, 0});
            }),
            ErrorKind::Conflict);
  store_->create_registered_model({"audio", "", 5, 0});
  const auto all = store_->list_registered_models();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "audio");
  EXPECT_EQ(all[0].created_at, 5);
  EXPECT_EQ(store_->find_registered_model("digits")->description, "a classifier");
  EXPECT_TRUE(store_->delete_registered_model("digits"));
  EXPECT_FALSE(store_->delete_registered_model("digits"));
  EXPECT_FALSE(store_->find_registered_model("digits").has_value());
}

}  // namespace
}  // namespace glia::platform::testing_store
