// The sweep state machine (compute::SweepDriver) on a real workspace, with the trials' progress
// written to the store by the test instead of by processes: starting, sampling up to the limits,
// the policy's cancels with their reasons, max_failed_trials, cancel cascade, the best trial, and
// a new driver (an agent after kill -9) going on where the last one stopped.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

#include "compute/finish.hpp"
#include "compute/sweep_driver.hpp"
#include "glia/error.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/sweep_runs.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

class SweepDriverTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("sd");
    ws_ = std::make_unique<Workspace>(Workspace::init(dir_ / "ws"));
  }
  void TearDown() override {
    ws_.reset();
    fs::remove_all(dir_);
  }
  Store& store() { return ws_->store(); }

  RunRecord submit(const std::string& extra) {
    const std::string yaml =
        "type: sweep\n"
        "experiment_name: tune\n"
        "trial: {command: 'true ${{search_space.x}}'}\n"
        "search_space: {x: {type: uniform, min_value: 0, max_value: 1}}\n"
        "objective: {primary_metric: acc, goal: maximize}\n" +
        extra;
    return submit_sweep(*ws_, parse_sweep_spec(yaml, "sweep.yml", dir_),
                        {current_environment(), {}});
  }
  std::vector<SweepTrial> trials(const std::string& id) { return store().sweep_trials(id); }
  // A trial's process "runs" and logs these values.
  void run_trial(const std::string& id, const std::vector<double>& values) {
    store().set_status(id, RunStatus::Running, now_seconds());
    std::vector<MetricPoint> points;
    for (double v : values) points.push_back({"acc", MetricPoint::kNextStep, v, now_seconds()});
    store().log_metrics(id, points);
  }
  void end_trial(const std::string& id, RunStatus status) {
    store().set_status(id, status, now_seconds(), status == RunStatus::Failed ? 1 : 0);
  }
  fs::path dir_;
  std::unique_ptr<Workspace> ws_;
};

TEST_F(SweepDriverTest, SamplesUpToTheLimitsAndEndsWithTheBestTrial) {
  const RunRecord sweep = submit(
      "sampling_algorithm: {type: random, seed: 5}\n"
      "limits: {max_total_trials: 5, max_concurrent_trials: 2}\n");
  compute::SweepDriver driver(*ws_, ::geteuid());
  EXPECT_EQ(driver.tick(), 1);
  EXPECT_EQ(store().get_run(sweep.id).status, RunStatus::Running);
  auto made = trials(sweep.id);
  ASSERT_EQ(made.size(), 2u);  // max_concurrent_trials
  for (const SweepTrial& t : made) {
    const RunRecord r = store().get_run(t.run_id);
    EXPECT_EQ(r.status, RunStatus::Queued);
    EXPECT_EQ(r.parent_id, sweep.id);
    const auto params = nlohmann::json::parse(t.parameters).get<sweeps::Parameters>();
    EXPECT_EQ(params, sweeps::sample_random(sweep_view(store(), sweep.id).settings.search_space, 5,
                                            t.index));
    EXPECT_EQ(r.command, "true " + parameter_text(params.at("x")));
  }
  driver.tick();
  EXPECT_EQ(trials(sweep.id).size(), 2u);  // nothing ended: nothing new
  const std::vector<double> finals{0.5, 0.9, 0.7, 0.2, 0.6};
  for (size_t i = 0; i < finals.size(); ++i) {
    made = trials(sweep.id);
    ASSERT_GT(made.size(), i) << "trial " << i << " was not made";
    run_trial(made[i].run_id, {finals[i] / 2, finals[i]});
    end_trial(made[i].run_id, RunStatus::Completed);
    driver.tick();
    EXPECT_LE(trials(sweep.id).size(), std::min<size_t>(5, i + 3));
  }
  made = trials(sweep.id);
  ASSERT_EQ(made.size(), 5u);  // max_total_trials
  const RunRecord done = store().get_run(sweep.id);
  EXPECT_EQ(done.status, RunStatus::Completed) << done.error;
  EXPECT_EQ(done.properties.at("best_trial"), made[1].run_id);
  EXPECT_EQ(done.properties.at("best_metric"), "0.9");
  EXPECT_EQ(done.properties.at("trials_completed"), "5");
  EXPECT_EQ(driver.tick(), 0);
  EXPECT_EQ(resolve_run_reference(store(), "best:" + sweep.id), made[1].run_id);
}

TEST_F(SweepDriverTest, ThePolicyCancelsWithItsReasonAndTheNumbers) {
  const RunRecord sweep = submit(
      "sampling_algorithm: random\n"
      "early_termination: {type: bandit, slack_factor: 0.1, evaluation_interval: 1}\n"
      "limits: {max_total_trials: 2, max_concurrent_trials: 2}\n");
  compute::SweepDriver driver(*ws_, ::geteuid());
  driver.tick();
  const auto made = trials(sweep.id);
  ASSERT_EQ(made.size(), 2u);
  run_trial(made[0].run_id, {0.8});
  run_trial(made[1].run_id, {0.1});
  driver.tick();
  const RunRecord weak = store().get_run(made[1].run_id);
  EXPECT_EQ(weak.status, RunStatus::CancelRequested);
  EXPECT_EQ(weak.properties.at("early_termination"), "bandit");
  EXPECT_NE(weak.properties.at(compute::kCancelReasonProperty).find("bandit: acc 0.1"),
            std::string::npos)
      << weak.properties.at(compute::kCancelReasonProperty);
  EXPECT_EQ(store().get_run(made[0].run_id).status, RunStatus::Running);
  // The agent's cancel ends it with the policy's reason (finish_run reads the property).
  compute::finish_run(*ws_, made[1].run_id, RunStatus::Canceled, std::nullopt, "canceled");
  EXPECT_EQ(store().get_run(made[1].run_id).error,
            weak.properties.at(compute::kCancelReasonProperty));
  end_trial(made[0].run_id, RunStatus::Completed);
  driver.tick();
  const RunRecord done = store().get_run(sweep.id);
  EXPECT_EQ(done.status, RunStatus::Completed);
  EXPECT_EQ(done.properties.at("trials_early_terminated"), "1");
  const SweepView view = sweep_view(store(), sweep.id);
  ASSERT_EQ(view.trials.size(), 2u);
  EXPECT_EQ(view.trials[0].run.id, made[0].run_id);  // best first
  EXPECT_FALSE(view.trials[1].early_termination.empty());
}

TEST_F(SweepDriverTest, MaxFailedTrialsStopsTheSweepAndCancelsTheRest) {
  const RunRecord sweep = submit(
      "sampling_algorithm: random\n"
      "limits: {max_total_trials: 10, max_concurrent_trials: 4, max_failed_trials: 2}\n");
  compute::SweepDriver driver(*ws_, ::geteuid());
  driver.tick();
  auto made = trials(sweep.id);
  ASSERT_EQ(made.size(), 4u);
  end_trial(made[0].run_id, RunStatus::Failed);
  end_trial(made[1].run_id, RunStatus::Failed);
  // A trial lost with a killed agent is not one that failed.
  store().add_properties(made[2].run_id, {{compute::kAgentLostProperty, "the agent"}});
  end_trial(made[2].run_id, RunStatus::Failed);
  driver.tick();  // two failed: tolerated, the sweep goes on
  made = trials(sweep.id);
  ASSERT_EQ(made.size(), 7u);
  EXPECT_EQ(store().get_run(sweep.id).status, RunStatus::Running);
  end_trial(made[4].run_id, RunStatus::Failed);  // the third
  driver.tick();
  EXPECT_EQ(trials(sweep.id).size(), 7u);  // no new trial once the limit is passed
  const RunRecord other = store().get_run(made[3].run_id);
  EXPECT_EQ(other.status, RunStatus::CancelRequested);
  EXPECT_NE(other.properties.at(compute::kCancelReasonProperty).find("max_failed_trials"),
            std::string::npos);
  EXPECT_EQ(store().get_run(sweep.id).status, RunStatus::Running);  // until every trial ended
  for (const SweepTrial& t : trials(sweep.id))
    if (!is_terminal(store().get_run(t.run_id).status))
      store().set_status(t.run_id, RunStatus::Canceled, now_seconds());
  driver.tick();
  const RunRecord done = store().get_run(sweep.id);
  EXPECT_EQ(done.status, RunStatus::Failed);
  EXPECT_NE(done.error.find("3 trials failed (limits.max_failed_trials: 2)"), std::string::npos)
      << done.error;
}

TEST_F(SweepDriverTest, AnErrorThatWouldComeBackEveryPassEndsTheSweep) {
  // A sweep whose recorded trial cannot make a run (as if written by a broken writer).
  NewRun broken;
  broken.experiment = "tune";
  broken.job_type = "sweep";
  broken.queue = true;
  broken.submitter_uid = ::geteuid();
  SweepSettings settings;
  settings.search_space = sweeps::parse_search_space(
      nlohmann::json::parse(R"({"x": {"type": "uniform", "min_value": 0, "max_value": 1}})"), "s");
  settings.search_space_json =
      nlohmann::json::parse(R"({"x": {"type": "uniform", "min_value": 0, "max_value": 1}})");
  settings.seed = 1;
  settings.primary_metric = "acc";
  broken.spec =
      nlohmann::json{{"sweep", to_json(settings)}, {"trial", nlohmann::json::object()}}.dump();
  const RunRecord sweep = store().create_run(broken);
  compute::SweepDriver driver(*ws_, ::geteuid());
  driver.tick();
  const RunRecord done = store().get_run(sweep.id);
  EXPECT_EQ(done.status, RunStatus::Failed);
  EXPECT_NE(done.error.find("trial 0 cannot be made"), std::string::npos) << done.error;
  EXPECT_EQ(driver.tick(), 0);  // nothing left going: the agent may idle out
}

TEST_F(SweepDriverTest, AGridResumedFromAnEarlierSweepSkipsWhatItTriedQuickly) {
  // 10 parameters of 10 choices: 10^10 combinations, never enumerated.
  std::string space, command = "true";
  for (int i = 0; i < 10; ++i) {
    space += std::string(i ? ", " : "") + "p" + std::to_string(i) +
             ": {type: choice, values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}";
    command += " ${{search_space.p" + std::to_string(i) + "}}";
  }
  const std::string file = "type: sweep\ntrial: {command: '" + command +
                           "'}\nsampling_algorithm: grid\nsearch_space: {" + space +
                           "}\nobjective: {primary_metric: acc, goal: maximize}\n";
  const RunRecord first =
      submit_sweep(*ws_, parse_sweep_spec(file + "limits: {max_total_trials: 3}\n", "a.yml", dir_),
                   {current_environment(), {}});
  compute::SweepDriver driver(*ws_, ::geteuid());
  driver.tick();
  for (const SweepTrial& t : trials(first.id)) end_trial(t.run_id, RunStatus::Completed);
  driver.tick();
  ASSERT_EQ(store().get_run(first.id).status, RunStatus::Completed);
  const RunRecord second = submit_sweep(
      *ws_,
      parse_sweep_spec(file + "limits: {max_total_trials: 2}\nresume_from: [" + first.id + "]\n",
                       "b.yml", dir_),
      {current_environment(), {}});
  const auto started = std::chrono::steady_clock::now();
  driver.tick();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  const auto made = trials(second.id);
  ASSERT_EQ(made.size(), 2u);
  const auto grid_space = sweep_view(store(), second.id).settings.search_space;
  // Grid indexes 0-2 were tried: the new sweep starts at 3.
  EXPECT_EQ(nlohmann::json::parse(made[0].parameters),
            nlohmann::json(sweeps::sample_grid(grid_space, 3)));
  EXPECT_EQ(nlohmann::json::parse(made[1].parameters),
            nlohmann::json(sweeps::sample_grid(grid_space, 4)));
}

TEST_F(SweepDriverTest, ASweepThatCannotBeReadEndsAndTakesItsTrialsWithIt) {
  const RunRecord sweep = submit(
      "sampling_algorithm: random\nlimits: {max_total_trials: 4, max_concurrent_trials: 2}\n");
  {
    compute::SweepDriver first(*ws_, ::geteuid());
    first.tick();
  }
  ASSERT_EQ(trials(sweep.id).size(), 2u);
  // Its recorded settings damaged (as by a broken writer) while its trials wait in the queue.
  NewRun damaged;  // the same trials under a sweep whose settings cannot be read
  damaged.experiment = "tune";
  damaged.job_type = "sweep";
  damaged.queue = true;
  damaged.submitter_uid = ::geteuid();
  damaged.spec = R"({"sweep": {"version": 99}, "trial": {}})";
  const RunRecord bad = store().create_run(damaged);
  NewRun child;
  child.experiment = "tune";
  child.spec = "{}";
  child.job_type = "command";
  child.queue = true;
  child.submitter_uid = ::geteuid();
  child.parent_id = bad.id;
  child.trial_index = 0;
  child.trial_parameters = R"({"x": 0.5})";
  const RunRecord orphan = store().create_run(child);
  compute::SweepDriver driver(*ws_, ::geteuid());
  driver.tick();
  const RunRecord ended = store().get_run(bad.id);
  EXPECT_EQ(ended.status, RunStatus::Failed);
  EXPECT_NE(ended.error.find("cannot be read"), std::string::npos) << ended.error;
  const RunRecord left = store().get_run(orphan.id);
  EXPECT_EQ(left.status, RunStatus::CancelRequested);  // the agent's cancel path ends it
  EXPECT_NE(left.properties.at(compute::kCancelReasonProperty).find(bad.id), std::string::npos);
  EXPECT_EQ(store().get_run(sweep.id).status, RunStatus::Running);  // the healthy one goes on
}

TEST_F(SweepDriverTest, AResumedGridSkipsTheCombinationsTriedWhereverTheyAre) {
  auto grid = [&](const std::string& values, const std::string& extra) {
    return submit_sweep(*ws_,
                        parse_sweep_spec("type: sweep\ntrial: {command: 'true "
                                         "${{search_space.x}}'}\nsampling_algorithm: grid\n"
                                         "search_space: {x: {type: choice, values: [" +
                                             values +
                                             "]}}\nobjective: {primary_metric: acc, goal: "
                                             "maximize}\n" +
                                             extra,
                                         "g.yml", dir_),
                        {current_environment(), {}});
  };
  compute::SweepDriver driver(*ws_, ::geteuid());
  const RunRecord first = grid("20, 40", "");
  driver.tick();
  for (const SweepTrial& t : trials(first.id)) end_trial(t.run_id, RunStatus::Completed);
  driver.tick();
  ASSERT_EQ(store().get_run(first.id).status, RunStatus::Completed);
  // 20 and 40 are indexes 1 and 3 of the new grid: 10, 30 and 50 are left.
  const RunRecord second = grid("10, 20, 30, 40, 50", "resume_from: [" + first.id + "]\n");
  driver.tick();
  std::vector<double> xs;
  for (const SweepTrial& t : trials(second.id))
    xs.push_back(nlohmann::json::parse(t.parameters)["x"].get<double>());
  EXPECT_EQ(xs, (std::vector<double>{10, 30, 50}));
  // A grid the earlier sweeps covered is refused at submit.
  EXPECT_THROW(grid("20, 40", "resume_from: [" + first.id + "]\n"), Error);
}

TEST_F(SweepDriverTest, CancelCascadesToEveryTrial) {
  const RunRecord sweep = submit(
      "sampling_algorithm: random\nlimits: {max_total_trials: 10, max_concurrent_trials: 2}\n");
  compute::SweepDriver driver(*ws_, ::geteuid());
  driver.tick();
  const auto made = trials(sweep.id);
  run_trial(made[0].run_id, {0.3});
  store().set_status(sweep.id, RunStatus::CancelRequested, now_seconds());
  driver.tick();
  for (const SweepTrial& t : made)
    EXPECT_EQ(store().get_run(t.run_id).status, RunStatus::CancelRequested);
  for (const SweepTrial& t : made) store().set_status(t.run_id, RunStatus::Canceled, now_seconds());
  driver.tick();
  EXPECT_EQ(trials(sweep.id).size(), 2u);
  EXPECT_EQ(store().get_run(sweep.id).status, RunStatus::Canceled);
}

TEST_F(SweepDriverTest, ANewDriverGoesOnWithTheSameSequence) {
  const RunRecord sweep = submit(
      "sampling_algorithm: {type: random, seed: 11, rule: sobol}\n"
      "limits: {max_total_trials: 6, max_concurrent_trials: 2}\n");
  {
    compute::SweepDriver first(*ws_, ::geteuid());
    first.tick();
    const auto made = trials(sweep.id);
    run_trial(made[0].run_id, {0.4});
    end_trial(made[0].run_id, RunStatus::Completed);
    first.tick();
  }  // the agent is gone (kill -9 keeps nothing but the store)
  EXPECT_EQ(trials(sweep.id).size(), 3u);
  compute::SweepDriver second(*ws_, ::geteuid());
  for (int round = 0; round < 10 && store().get_run(sweep.id).status == RunStatus::Running;
       ++round) {
    for (const SweepTrial& t : trials(sweep.id))
      if (!is_terminal(store().get_run(t.run_id).status)) {
        run_trial(t.run_id, {0.1 * static_cast<double>(t.index)});
        end_trial(t.run_id, RunStatus::Completed);
      }
    second.tick();
  }
  const auto all = trials(sweep.id);
  ASSERT_EQ(all.size(), 6u);
  const auto space = sweep_view(store(), sweep.id).settings.search_space;
  for (const SweepTrial& t : all)
    EXPECT_EQ(nlohmann::json::parse(t.parameters).get<sweeps::Parameters>(),
              sweeps::sample_sobol(space, 11, t.index))
        << "trial " << t.index;
  EXPECT_EQ(store().get_run(sweep.id).status, RunStatus::Completed);
}

TEST_F(SweepDriverTest, GridRunsEveryCombinationOnce) {
  const RunRecord grid = submit_sweep(
      *ws_,
      parse_sweep_spec("type: sweep\ntrial: {command: 'true ${{search_space.a}} "
                       "${{search_space.b}}'}\nsampling_algorithm: grid\nsearch_space: {a: "
                       "{type: choice, values: [1, 2, 3]}, b: {type: choice, values: [x, y]}}\n"
                       "objective: {primary_metric: acc, goal: minimize}\n",
                       "grid.yml", dir_),
      {current_environment(), {}});
  compute::SweepDriver driver(*ws_, ::geteuid());
  driver.tick();
  const auto made = trials(grid.id);
  ASSERT_EQ(made.size(), 6u);
  std::set<std::string> seen;
  for (const SweepTrial& t : made) seen.insert(t.parameters);
  EXPECT_EQ(seen.size(), 6u);
}

}  // namespace
}  // namespace glia::platform
