// Sweep job files (sweep_spec.hpp): the example, every key, every refusal naming its key
// (placeholders, rendering, --set, the settings' JSON and load_job_file:
// test_sweep_spec_files.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <variant>

#include "error_of.hpp"
#include "glia/error.hpp"
#include "glia/platform/job_spec.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "sweep_spec_fixture.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

using namespace sweep_spec_test;
using testing_util::error_of;

// ---- the example ----

TEST_F(SweepSpecTest, TheKerasMnistExampleIsTheSeedsHyperDriveSweep) {
  const JobFile file =
      load_job_file(fs::path(GLIA_SOURCE_DIR) / "examples" / "keras-mnist" / "sweep.yml");
  ASSERT_TRUE(std::holds_alternative<SweepSpec>(file));
  const SweepSpec& spec = std::get<SweepSpec>(file);
  const SweepSettings& s = spec.settings;
  EXPECT_EQ(s.sampling_algorithm, "random");
  EXPECT_EQ(s.rule, "random");
  ASSERT_TRUE(s.seed);
  ASSERT_EQ(s.search_space.size(), 4u);
  EXPECT_EQ(s.search_space.at("batch_size").values.size(), 3u);
  EXPECT_EQ(s.search_space.at("first_layer_neurons").values.size(), 5u);
  EXPECT_EQ(s.search_space.at("second_layer_neurons").values.size(), 4u);
  const auto& lr = s.search_space.at("learning_rate");
  EXPECT_EQ(lr.kind, sweeps::ExpressionKind::Loguniform);
  EXPECT_EQ(lr.min_value, -6);
  EXPECT_EQ(lr.max_value, -1);
  EXPECT_EQ(s.primary_metric, "Accuracy");
  EXPECT_EQ(s.goal, sweeps::Goal::Maximize);
  ASSERT_TRUE(s.early_termination);
  const auto& bandit = std::get<sweeps::BanditPolicy>(*s.early_termination);
  EXPECT_EQ(bandit.evaluation_interval, 2);
  EXPECT_EQ(bandit.slack_factor, 0.1);
  EXPECT_FALSE(bandit.slack_amount);
  EXPECT_EQ(s.limits.max_total_trials, 20);
  EXPECT_EQ(s.limits.concurrent(), 4);
  // The trial is job.yml's command with the parameters sampled.
  const JobSpec& trial = spec.trial;
  EXPECT_EQ(trial.source, fs::absolute(fs::path(GLIA_SOURCE_DIR) / "examples/keras-mnist/sweep.yml")
                              .lexically_normal());
  for (const char* flag :
       {"glia-keras-mnist", "--data-folder ${{inputs.data_folder}}",
        "--batch-size ${{search_space.batch_size}}",
        "--first-layer-neurons ${{search_space.first_layer_neurons}}",
        "--second-layer-neurons ${{search_space.second_layer_neurons}}",
        "--learning-rate ${{search_space.learning_rate}}", "--epochs ${{inputs.epochs}}"}) {
    EXPECT_NE(trial.command.find(flag), std::string::npos) << flag << " in " << trial.command;
  }
  EXPECT_EQ(trial.inputs.at("data_folder").value, "glia:mnist-dataset@latest");
  EXPECT_EQ(trial.inputs.at("epochs").value, "10");
  EXPECT_EQ(trial.experiment_name, "keras-mnist");
  EXPECT_EQ(trial.compute, "local");
  EXPECT_EQ(trial.timeout_seconds, 3600);
  // A trial's command renders to a runnable glia-keras-mnist line.
  JobSpec first = trial;
  first.command =
      render_search_space(trial.command, sweeps::sample_random(s.search_space, *s.seed, 0));
  const std::string command = render_command(first, {{"data_folder", "/data"}}, nullptr);
  EXPECT_EQ(command.find("${{"), std::string::npos) << command;
  EXPECT_NE(command.find("--data-folder /data"), std::string::npos) << command;
}

// Azure's hello-sweep example, as az ml job create reads it (keys in Azure's order).
TEST_F(SweepSpecTest, AnAzureSweepFileIsReadAsWritten) {
  const SweepSpec spec = parse(R"(
$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
type: sweep
trial:
  command: >-
    python hello-sweep.py
    --A ${{inputs.A}}
    --B ${{search_space.B}}
    --C ${{search_space.C}}
  code: src
  environment:
    image: python:3.8
inputs:
  A: 0.5
compute: azureml:cpu-cluster
sampling_algorithm: random
search_space:
  B:
    type: choice
    values: ["hello", "world", "hello world"]
  C:
    type: uniform
    min_value: 0.1
    max_value: 1.0
objective:
  goal: minimize
  primary_metric: random_metric
limits:
  max_total_trials: 4
  max_concurrent_trials: 2
  timeout: 3600
outputs:
  test1:
  test2:
    mode: upload
display_name: hello-sweep-example
experiment_name: hello-sweep-example
description: Hello sweep job example.
)");
  EXPECT_EQ(spec.trial.compute, "cpu-cluster");
  EXPECT_EQ(spec.trial.inputs.at("A").value, "0.5");
  EXPECT_EQ(spec.trial.outputs.at("test2").mode, "upload");
  EXPECT_EQ(spec.trial.environment->image, "python:3.8");
  EXPECT_EQ(spec.settings.search_space.at("B").values.size(), 3u);
  EXPECT_EQ(spec.settings.goal, sweeps::Goal::Minimize);
  EXPECT_EQ(spec.settings.limits.concurrent(), 2);
  EXPECT_EQ(spec.settings.limits.timeout, 3600);
  EXPECT_EQ(render_search_space(spec.trial.command, {{"B", "hello world"}, {"C", 0.25}}),
            "python hello-sweep.py --A ${{inputs.A}} --B hello world --C 0.25");
}

// ---- every key ----

TEST_F(SweepSpecTest, EveryKeyIsRead) {
  write("conda.yml", "dependencies:\n  - pip:\n    - numpy\n");
  const SweepSpec spec = parse(
      "$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json\n"
      "type: sweep\n"
      "name: tune\n"
      "experiment_name: exp-1\n"
      "description: a sweep\n"
      "tags: {owner: me}\n"
      "compute: azureml:cpu\n"
      "inputs:\n  data: {type: uri_folder, path: src}\n"
      "outputs:\n  model: {type: uri_folder}\n"
      "trial:\n"
      "  code: src\n"
      "  command: run ${{inputs.data}} ${{inputs.n}} ${{search_space.x}} ${{outputs.model}}\n"
      "  environment: {conda_file: conda.yml}\n"
      "  environment_variables: {K: v}\n"
      "  resources: {instance_count: 1, threads: 2}\n"
      "  inputs: {n: 4}\n"
      "search_space:\n  x: {type: uniform, min_value: 0, max_value: 1}\n"
      "sampling_algorithm: {type: random, seed: 42, rule: sobol, logbase: e}\n"
      "objective: {primary_metric: loss, goal: minimize}\n"
      "early_termination: {type: median_stopping, evaluation_interval: 3, delay_evaluation: 5}\n"
      "limits: {max_total_trials: 30, max_concurrent_trials: 3, timeout: 7200, "
      "trial_timeout: 600, max_failed_trials: 2}\n"
      "resume_from: [run-a, run-b]\n");
  const JobSpec& t = spec.trial;
  EXPECT_EQ(t.display_name, "tune");
  EXPECT_EQ(t.experiment_name, "exp-1");
  EXPECT_EQ(t.description, "a sweep");
  EXPECT_EQ(t.tags.at("owner"), "me");
  EXPECT_EQ(t.compute, "cpu");
  EXPECT_EQ(t.inputs.at("data").kind, JobInput::Kind::UriFolder);
  EXPECT_EQ(t.inputs.at("n").value, "4");
  EXPECT_TRUE(t.outputs.contains("model"));
  EXPECT_EQ(t.code, (dir_ / "src").lexically_normal());
  ASSERT_TRUE(t.environment);
  EXPECT_EQ(t.environment->conda_file, dir_ / "conda.yml");
  EXPECT_EQ(t.environment_variables.at("K"), "v");
  EXPECT_EQ(t.threads, 2);
  EXPECT_EQ(t.timeout_seconds, 600);  // limits.trial_timeout
  const SweepSettings& s = spec.settings;
  EXPECT_EQ(s.search_space_json,
            nlohmann::json::parse(R"({"x": {"type": "uniform", "min_value": 0, "max_value": 1}})"));
  EXPECT_EQ(s.sampling_algorithm, "random");
  EXPECT_EQ(s.rule, "sobol");
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.primary_metric, "loss");
  EXPECT_EQ(s.goal, sweeps::Goal::Minimize);
  const auto& median = std::get<sweeps::MedianStoppingPolicy>(*s.early_termination);
  EXPECT_EQ(median.evaluation_interval, 3);
  EXPECT_EQ(median.delay_evaluation, 5);
  EXPECT_EQ(s.limits.max_total_trials, 30);
  EXPECT_EQ(s.limits.max_concurrent_trials, 3);
  EXPECT_EQ(s.limits.timeout, 7200);
  EXPECT_EQ(s.limits.trial_timeout, 600);
  EXPECT_EQ(s.limits.max_failed_trials, 2);
  EXPECT_EQ(s.resume_from, (std::vector<std::string>{"run-a", "run-b"}));
}

TEST_F(SweepSpecTest, DefaultsAreAzures) {
  const SweepSpec spec = parse(base_sections());
  const SweepSettings& s = spec.settings;
  EXPECT_EQ(s.limits.max_total_trials, 1000);
  EXPECT_FALSE(s.limits.max_concurrent_trials);
  EXPECT_EQ(s.limits.concurrent(), 1000);
  EXPECT_FALSE(s.limits.timeout);
  EXPECT_FALSE(s.limits.trial_timeout);
  EXPECT_FALSE(s.limits.max_failed_trials);
  EXPECT_FALSE(s.seed);  // drawn at submit
  EXPECT_EQ(s.rule, "random");
  EXPECT_FALSE(s.early_termination);
  EXPECT_TRUE(s.resume_from.empty());
  EXPECT_FALSE(spec.trial.timeout_seconds);
  // A single resume_from id; `early_termination: null` is no policy.
  Sections sections = base_sections();
  sections["resume_from"] = "resume_from: run-1\n";
  sections["early_termination"] = "early_termination: null\n";
  const SweepSpec one = parse(sections);
  EXPECT_EQ(one.settings.resume_from, std::vector<std::string>{"run-1"});
  EXPECT_FALSE(one.settings.early_termination);
}

TEST_F(SweepSpecTest, ConcurrencyAboveTheTotalIsClamped) {
  Sections s = base_sections();
  s["limits"] = "limits: {max_total_trials: 5, max_concurrent_trials: 8}\n";
  const SweepSpec spec = parse(s);
  EXPECT_EQ(spec.settings.limits.max_concurrent_trials, 8);
  EXPECT_EQ(spec.settings.limits.concurrent(), 5);
}

TEST_F(SweepSpecTest, SamplingAlgorithmForms) {
  for (const char* algorithm : {"random", "grid", "bayesian"}) {
    SCOPED_TRACE(algorithm);
    Sections s = choice_sections();
    s["sampling_algorithm"] = std::string("sampling_algorithm: ") + algorithm + "\n";
    EXPECT_EQ(parse(s).settings.sampling_algorithm, algorithm);
    s["sampling_algorithm"] = std::string("sampling_algorithm: {type: ") + algorithm + "}\n";
    EXPECT_EQ(parse(s).settings.sampling_algorithm, algorithm);
  }
  Sections s = choice_sections();
  s["sampling_algorithm"] = "sampling_algorithm: {type: bayesian, seed: 7}\n";
  EXPECT_EQ(parse(s).settings.seed, 7u);  // Glia's TPE is seeded too
  s["sampling_algorithm"] =
      "sampling_algorithm: {type: random, seed: 18446744073709551615, rule: random}\n";
  EXPECT_EQ(parse(s).settings.seed, std::numeric_limits<uint64_t>::max());
}

// ---- refusals, each naming its key ----

TEST_F(SweepSpecTest, SamplingAlgorithmRefusals) {
  const std::map<std::string, std::string> cases{
      {"sampling_algorithm: hyperband\n", "sampling_algorithm"},
      {"sampling_algorithm: {seed: 1}\n", "sampling_algorithm"},
      {"sampling_algorithm: {type: sobol}\n", "sampling_algorithm.type"},
      {"sampling_algorithm: {type: random, seed: -1}\n", "sampling_algorithm.seed"},
      {"sampling_algorithm: {type: random, seed: 1.5}\n", "sampling_algorithm.seed"},
      {"sampling_algorithm: {type: random, seed: '3'}\n", "sampling_algorithm.seed"},
      {"sampling_algorithm: {type: random, rule: halton}\n", "sampling_algorithm.rule"},
      {"sampling_algorithm: {type: random, logbase: 10}\n", "sampling_algorithm.logbase"},
      {"sampling_algorithm: {type: grid, seed: 1}\n", "sampling_algorithm.seed"},
      {"sampling_algorithm: {type: grid, rule: sobol}\n", "sampling_algorithm.rule"},
      {"sampling_algorithm: {type: bayesian, rule: sobol}\n", "sampling_algorithm.rule"},
      {"sampling_algorithm: [random]\n", "sampling_algorithm"},
  };
  for (const auto& [text, key] : cases) {
    SCOPED_TRACE(text);
    Sections s = choice_sections();
    s["sampling_algorithm"] = text;
    expect_error(s, key);
  }
}

TEST_F(SweepSpecTest, SearchSpaceRefusals) {
  const std::map<std::string, std::pair<std::string, std::string>> cases{
      {"unknown expression",
       {"search_space: {lr: {type: gaussian, mu: 0, sigma: 1}}\n", "search_space.lr.type"}},
      {"bad bounds",
       {"search_space: {lr: {type: uniform, min_value: 2, max_value: 1}}\n",
        "search_space.lr.max_value"}},
      {"missing key", {"search_space: {lr: {type: uniform, min_value: 2}}\n", "search_space.lr"}},
      {"not a number",
       {"search_space: {lr: {type: uniform, min_value: a, max_value: 1}}\n",
        "search_space.lr.min_value"}},
      {"infinite",
       {"search_space: {lr: {type: uniform, min_value: 0, max_value: .inf}}\n",
        "search_space.lr.max_value"}},
      {"empty choice",
       {"search_space: {lr: {type: choice, values: []}}\n", "search_space.lr.values"}},
      {"empty space", {"search_space: {}\n", "search_space"}},
      {"bad name",
       {"search_space: {learning-rate: {type: choice, values: [1]}}\n", "search_space"}},
  };
  for (const auto& [what, c] : cases) {
    SCOPED_TRACE(what);
    Sections s = base_sections();
    s["search_space"] = c.first;
    s["trial"] = "trial: {command: 'run ${{search_space.lr}}'}\n";
    expect_error(s, c.second);
  }
}

TEST_F(SweepSpecTest, TheAlgorithmMustBeAbleToSampleTheSpace) {
  Sections s = base_sections();  // lr is loguniform
  s["sampling_algorithm"] = "sampling_algorithm: grid\n";
  expect_error(s, "search_space.lr", {"grid sampling does not take loguniform"});
  s["sampling_algorithm"] = "sampling_algorithm: bayesian\n";
  expect_error(s, "search_space.lr", {"bayesian"});
  // Sobol has 22 dimensions at most.
  Sections wide = base_sections();
  std::string space = "search_space:\n";
  std::string command = "trial: {command: 'run";
  for (int i = 0; i < 23; ++i) {
    space += "  p" + std::to_string(i) + ": {type: uniform, min_value: 0, max_value: 1}\n";
    command += " ${{search_space.p" + std::to_string(i) + "}}";
  }
  wide["search_space"] = space;
  wide["trial"] = command + "'}\n";
  wide["sampling_algorithm"] = "sampling_algorithm: {type: random, rule: sobol}\n";
  expect_error(wide, "sampling_algorithm.rule", {"22"});
  wide["sampling_algorithm"] = "sampling_algorithm: random\n";
  EXPECT_EQ(parse(wide).settings.search_space.size(), 23u);
}

TEST_F(SweepSpecTest, ObjectiveRefusals) {
  const std::map<std::string, std::string> cases{
      {"objective: {goal: maximize}\n", "objective.primary_metric"},
      {"objective: {primary_metric: Accuracy}\n", "objective.goal"},
      {"objective: {primary_metric: Accuracy, goal: max}\n", "objective.goal"},
      {"objective: {primary_metric: '', goal: max}\n", "objective.primary_metric"},
      {"objective: {primary_metric: [a], goal: maximize}\n", "objective.primary_metric"},
      {"objective: {primary_metric: Accuracy, goal: maximize, weight: 1}\n", "objective.weight"},
      {"objective: Accuracy\n", "objective"},
  };
  for (const auto& [text, key] : cases) {
    SCOPED_TRACE(text);
    Sections s = base_sections();
    s["objective"] = text;
    expect_error(s, key);
  }
}

TEST_F(SweepSpecTest, RequiredKeys) {
  for (const char* key : {"trial", "search_space", "sampling_algorithm", "objective"}) {
    SCOPED_TRACE(key);
    Sections s = base_sections();
    s.erase(key);
    if (std::string(key) == "search_space") s["trial"] = "trial: {command: run}\n";
    expect_error(s, key, {"required"});
  }
  Sections s = base_sections();
  s["trial"] = "trial: {code: src}\n";
  expect_error(s, "trial.command", {"required"});
}

TEST_F(SweepSpecTest, EarlyTerminationPolicies) {
  Sections s = base_sections();
  s["early_termination"] =
      "early_termination: {type: bandit, slack_amount: 0.2, evaluation_interval: 1, "
      "delay_evaluation: 4}\n";
  const auto bandit = std::get<sweeps::BanditPolicy>(*parse(s).settings.early_termination);
  EXPECT_EQ(bandit.slack_amount, 0.2);
  EXPECT_FALSE(bandit.slack_factor);
  EXPECT_EQ(bandit.delay_evaluation, 4);
  s["early_termination"] =
      "early_termination: {type: truncation_selection, truncation_percentage: 20, "
      "evaluation_interval: 2, exclude_finished_jobs: true}\n";
  const auto truncation =
      std::get<sweeps::TruncationSelectionPolicy>(*parse(s).settings.early_termination);
  EXPECT_EQ(truncation.truncation_percentage, 20);
  EXPECT_EQ(truncation.evaluation_interval, 2);
  EXPECT_TRUE(truncation.exclude_finished_jobs);
  s["early_termination"] =
      "early_termination: {type: asha, grace_period: 2, max_t: 16, reduction_factor: 2}\n";
  const auto asha = std::get<sweeps::AshaPolicy>(*parse(s).settings.early_termination);
  EXPECT_EQ(asha.grace_period, 2);
  EXPECT_EQ(asha.max_t, 16);
  EXPECT_EQ(asha.reduction_factor, 2);
  s["early_termination"] = "early_termination: {type: asha}\n";  // Ray's defaults (the struct's)
  const auto defaults = std::get<sweeps::AshaPolicy>(*parse(s).settings.early_termination);
  EXPECT_EQ(defaults.grace_period, 1);
  EXPECT_EQ(defaults.max_t, 100);
  EXPECT_EQ(defaults.reduction_factor, 4);
}

TEST_F(SweepSpecTest, EarlyTerminationRefusals) {
  const std::map<std::string, std::string> cases{
      {"{type: hyperband}", "early_termination.type"},
      {"{slack_factor: 0.1}", "early_termination"},
      {"bandit", "early_termination"},
      {"{type: bandit}", "early_termination"},  // needs one of the slacks
      {"{type: bandit, slack_factor: 0.1, slack_amount: 0.1}", "early_termination"},
      {"{type: bandit, slack_factor: -0.1}", "early_termination.slack_factor"},
      {"{type: bandit, slack_factor: x}", "early_termination.slack_factor"},
      {"{type: bandit, slack_factor: 0.1, evaluation_interval: 0}",
       "early_termination.evaluation_interval"},
      {"{type: bandit, slack_factor: 0.1, evaluation_interval: 2.5}",
       "early_termination.evaluation_interval"},
      {"{type: bandit, slack_factor: 0.1, delay_evaluation: -1}",
       "early_termination.delay_evaluation"},
      {"{type: bandit, slack_factor: 0.1, truncation_percentage: 5}",
       "early_termination.truncation_percentage"},
      {"{type: median_stopping, slack_factor: 0.1}", "early_termination.slack_factor"},
      {"{type: truncation_selection}", "early_termination.truncation_percentage"},
      {"{type: truncation_selection, truncation_percentage: 100}",
       "early_termination.truncation_percentage"},
      {"{type: truncation_selection, truncation_percentage: 10, exclude_finished_jobs: 1}",
       "early_termination.exclude_finished_jobs"},
      {"{type: asha, grace_period: 0}", "early_termination.grace_period"},
      {"{type: asha, grace_period: 10, max_t: 5}", "early_termination.max_t"},
      {"{type: asha, reduction_factor: 1}", "early_termination.reduction_factor"},
      {"{type: asha, evaluation_interval: 1}", "early_termination.evaluation_interval"},
  };
  for (const auto& [text, key] : cases) {
    SCOPED_TRACE(text);
    Sections s = base_sections();
    s["early_termination"] = "early_termination: " + text + "\n";
    expect_error(s, key);
  }
}

TEST_F(SweepSpecTest, BayesianTakesNoEarlyTermination) {
  Sections s = choice_sections();
  s["sampling_algorithm"] = "sampling_algorithm: bayesian\n";
  s["early_termination"] = "early_termination: {type: bandit, slack_factor: 0.1}\n";
  expect_error(s, "early_termination", {"bayesian"});
}

TEST_F(SweepSpecTest, LimitsRefusals) {
  const std::map<std::string, std::string> cases{
      {"{max_total_trials: 0}", "limits.max_total_trials"},
      {"{max_total_trials: 100001}", "limits.max_total_trials"},
      {"{max_total_trials: 2.5}", "limits.max_total_trials"},
      {"{max_total_trials: 20.0}", "limits.max_total_trials"},
      {"{max_total_trials: '20'}", "limits.max_total_trials"},
      {"{max_total_trials: 99999999999999999999999}", "limits.max_total_trials"},
      {"{max_concurrent_trials: 0}", "limits.max_concurrent_trials"},
      {"{timeout: 0}", "limits.timeout"},
      {"{timeout: -5}", "limits.timeout"},
      {"{timeout: soon}", "limits.timeout"},
      {"{trial_timeout: 0}", "limits.trial_timeout"},
      {"{max_failed_trials: -1}", "limits.max_failed_trials"},
      {"{max_trials: 3}", "limits.max_trials"},
      {"[1]", "limits"},
  };
  for (const auto& [text, key] : cases) {
    SCOPED_TRACE(text);
    Sections s = base_sections();
    s["limits"] = "limits: " + text + "\n";
    expect_error(s, key);
  }
  // Integers in YAML's other spellings are integers.
  Sections s = base_sections();
  s["limits"] = "limits: {max_total_trials: 0x10, max_failed_trials: 0}\n";
  EXPECT_EQ(parse(s).settings.limits.max_total_trials, 16);
  EXPECT_EQ(parse(s).settings.limits.max_failed_trials, 0);
}

}  // namespace
}  // namespace glia::platform
