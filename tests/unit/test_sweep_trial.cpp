// A sweep's trial run made from the sweep's recorded spec: its id, command, paths in its own run
// folder, parameters and lineage; and reading a trial's metric back (series, best value).
#include <gtest/gtest.h>

#include "compute/sweep_trial.hpp"
#include "glia/platform/run_dir.hpp"
#include "glia/platform/sweep_runs.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

RunRecord sweep_record() {
  RunRecord r;
  r.id = "tune_1733300000_0a1b2c3d";
  r.experiment = "tune";
  r.display_name = "seed sweep";
  r.compute = "local";
  r.tags = {{"team", "ml"}};
  r.code_snapshot = "abc";
  r.submitter_uid = 1000;
  r.submitter_name = "ada";
  r.job_type = "sweep";
  return r;
}

nlohmann::json sweep_spec(const fs::path& root, const std::string& sweep_id) {
  const std::string inputs = (run_dir(root, sweep_id).root / "inputs").string() + "/";
  return {{"trial",
           {{"command", "train --data " + inputs + "data --lr ${{search_space.lr}} --b " +
                            "${{search_space.batch}}"},
            {"inputs_dir", inputs},
            {"spec",
             {{"job", {{"command", "train"}}},
              {"inputs", {{"data", inputs + "data"}, {"epochs", "3"}}},
              {"dataset_inputs", {{"data", inputs + "data"}}}}},
            {"properties", {{"environment", "keras:2"}}},
            {"timeout", 60.0}}}};
}

TEST(SweepTrial, ARunOfItsOwnWithTheParametersAndPathsInItsFolder) {
  const fs::path root = "/ws";
  const RunRecord sweep = sweep_record();
  const auto spec = sweep_spec(root, sweep.id);
  const std::vector<RunInput> inputs{{sweep.id, "data", "mnist", 2, "m", "ro_mount"}};
  const sweeps::Parameters params{{"lr", 0.001}, {"batch", 50}};
  const NewRun run = compute::trial_run(root, sweep, spec, inputs, 7, params);
  EXPECT_EQ(run.id, sweep.id + "_7");
  const std::string own = (run_dir(root, run.id).root / "inputs").string() + "/";
  EXPECT_EQ(run.command, "train --data " + own + "data --lr 0.001 --b 50");
  EXPECT_EQ(run.parent_id, sweep.id);
  EXPECT_EQ(run.trial_index, 7);
  EXPECT_EQ(nlohmann::json::parse(run.trial_parameters), nlohmann::json(params));
  EXPECT_EQ(run.experiment, "tune");
  EXPECT_EQ(run.display_name, "seed sweep trial 7");
  EXPECT_EQ(run.job_type, "command");
  EXPECT_TRUE(run.queue);
  EXPECT_EQ(run.timeout, 60.0);
  EXPECT_EQ(run.code_snapshot, "abc");
  EXPECT_EQ(run.submitter_uid, 1000);
  EXPECT_EQ(run.tags.at("team"), "ml");
  EXPECT_EQ(run.properties.at("environment"), "keras:2");
  ASSERT_EQ(run.inputs.size(), 1u);
  EXPECT_EQ(run.inputs[0].dataset, "mnist");
  EXPECT_EQ(run.inputs[0].run_id, "");  // filled in by the store
  const auto recorded = nlohmann::json::parse(run.spec);
  EXPECT_EQ(recorded["inputs"]["data"], own + "data");
  EXPECT_EQ(recorded["inputs"]["epochs"], "3");
  EXPECT_EQ(recorded["dataset_inputs"]["data"], own + "data");
  EXPECT_EQ(recorded["sweep"]["id"], sweep.id);
  EXPECT_EQ(recorded["sweep"]["index"], 7);
  EXPECT_EQ(recorded["sweep"]["parameters"], nlohmann::json(params));
}

TEST(SweepTrial, ATooLongIdGetsANewOne) {
  RunRecord sweep = sweep_record();
  sweep.experiment = std::string(235, 'e');
  sweep.id = sweep.experiment + "_1733300000_0a1b2c3d";
  const auto spec = sweep_spec("/ws", sweep.id);
  const NewRun run =
      compute::trial_run("/ws", sweep, spec, {}, 123456, {{"lr", 0.1}, {"batch", 25}});
  EXPECT_LE(run.id.size(), 255u);
  EXPECT_NE(run.id, sweep.id + "_123456");
  EXPECT_TRUE(run.id.starts_with(sweep.experiment + "_"));
  EXPECT_EQ(run.trial_index, 123456);
}

TEST(SweepTrial, BestValueFollowsTheGoal) {
  const std::vector<std::pair<int64_t, double>> series{{1, 0.5}, {2, 0.9}, {3, 0.7}};
  EXPECT_EQ(best_value(series, sweeps::Goal::Maximize), 0.9);
  EXPECT_EQ(best_value(series, sweeps::Goal::Minimize), 0.5);
  EXPECT_FALSE(best_value({}, sweeps::Goal::Maximize));
}

}  // namespace
}  // namespace glia::platform
