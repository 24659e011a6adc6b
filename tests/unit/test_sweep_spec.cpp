// Sweep job files (sweep_spec.hpp): every key, every refusal naming its key, the
// ${{search_space.NAME}} placeholder rules, parameter_text / render_search_space, --set on a
// sweep, the settings' JSON round trip and load_job_file's dispatch by type.
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
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;
using testing_util::error_of;

// A sweep file as its top-level sections; tests replace or drop some.
using Sections = std::map<std::string, std::string>;

Sections base_sections() {
  return {
      {"type", "type: sweep\n"},
      {"trial",
       "trial:\n"
       "  code: src\n"
       "  command: python train.py --lr ${{search_space.lr}} --units ${{search_space.units}} "
       "--epochs ${{inputs.epochs}}\n"},
      {"inputs", "inputs:\n  epochs: 3\n"},
      {"search_space",
       "search_space:\n"
       "  lr: {type: loguniform, min_value: -6, max_value: -1}\n"
       "  units: {type: choice, values: [10, 50]}\n"},
      {"sampling_algorithm", "sampling_algorithm: random\n"},
      {"objective", "objective: {primary_metric: Accuracy, goal: maximize}\n"},
  };
}

std::string text_of(const Sections& sections) {
  std::string out;
  for (const auto& [key, text] : sections) out += text;
  return out;
}

// Choices only: grid and bayesian take it.
Sections choice_sections() {
  Sections s = base_sections();
  s["search_space"] =
      "search_space:\n"
      "  lr: {type: choice, values: [0.1, 0.01]}\n"
      "  units: {type: choice, values: [10, 50, 100]}\n";
  return s;
}

class SweepSpecTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("sweepspec");
    fs::create_directories(dir_ / "src");
  }
  void TearDown() override { fs::remove_all(dir_); }

  SweepSpec parse(const std::string& yaml) { return parse_sweep_spec(yaml, "sweep.yml", dir_); }
  SweepSpec parse(const Sections& sections) { return parse(text_of(sections)); }

  // Parsing fails with one InvalidArgument line starting with the file and naming `key` (as
  // "<key>:" or "'<key>'"), and containing every part.
  void expect_error(const Sections& sections, const std::string& key,
                    std::initializer_list<std::string> parts = {}) {
    expect_error(text_of(sections), key, parts);
  }
  void expect_error(const std::string& yaml, const std::string& key,
                    std::initializer_list<std::string> parts = {}) {
    std::string message;
    try {
      parse(yaml);
      ADD_FAILURE() << "expected an error naming " << key << " for:\n" << yaml;
      return;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
      message = e.what();
    }
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.rfind("sweep.yml: ", 0), 0u) << message;
    const bool named = message.find(key + ":") != std::string::npos ||
                       message.find("'" + key + "'") != std::string::npos ||
                       message.find(key + " uses ") != std::string::npos;
    EXPECT_TRUE(named) << "'" << key << "' not named in: " << message;
    for (const auto& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
  }

  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

  fs::path dir_;
};

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

TEST_F(SweepSpecTest, TrialRefusals) {
  const std::map<std::string, std::string> cases{
      {"trial: ./train.yml\n", "trial"},
      {"trial: {command: run, distribution: {type: mpi}}\n", "trial.distribution"},
      {"trial: {command: run, compute: cpu}\n", "trial.compute"},
      {"trial: {command: run, experiment_name: e}\n", "trial.experiment_name"},
      {"trial: {command: run, limits: {timeout: 5}}\n", "trial.limits"},
      {"trial: {command: run, commnd: x}\n", "trial.commnd"},
      {"trial: {command: run, code: missing}\n", "trial.code"},
      {"trial: {command: run, resources: {instance_count: 2}}\n", "trial.resources.instance_count"},
      {"trial: {command: run, environment_variables: {1A: x}}\n", "trial.environment_variables"},
      {"trial: {command: run, environment: {name: x}}\n", "trial.environment.name"},
      {"trial: {command: run, inputs: {n: {type: integer, default: x}}}\n",
       "trial.inputs.n.default"},
      {"trial: {command: run, inputs: {epochs: 1}}\n", "trial.inputs.epochs"},  // also top-level
      {"trial: {command: '', code: src}\n", "trial.command"},
  };
  for (const auto& [text, key] : cases) {
    SCOPED_TRACE(text);
    Sections s = base_sections();
    s["search_space"] = "search_space: {x: {type: choice, values: [1]}}\n";
    s["trial"] = text;
    if (text.find("command: run") != std::string::npos) {
      s["trial"].replace(s["trial"].find("command: run"), 12, "command: 'run ${{search_space.x}}'");
    }
    expect_error(s, key);
  }
}

TEST_F(SweepSpecTest, TopLevelKeysThatAreTheTrialsOrUnknown) {
  for (const char* key : {"command", "code", "environment", "environment_variables", "resources"}) {
    SCOPED_TRACE(key);
    Sections s = base_sections();
    s["zz"] = std::string(key) + ": x\n";
    expect_error(s, key, {std::string("trial.") + key});
  }
  Sections s = base_sections();
  s["zz"] = "max_total_trials: 5\n";
  expect_error(s, "max_total_trials", {"unknown key", "limits"});
  s["zz"] = "identity: {type: managed}\n";
  expect_error(s, "identity", {"not supported"});
  s["zz"] = "experiment_name: ../x\n";
  expect_error(s, "experiment_name");
  s["zz"] = "name: a\ndisplay_name: b\n";
  expect_error(s, "name", {"differ"});
  s["zz"] = "resume_from: [a, a]\n";
  expect_error(s, "resume_from[1]", {"twice"});
  s["zz"] = "resume_from: ['../x']\n";
  expect_error(s, "resume_from[0]");
  s["zz"] = "resume_from: {a: 1}\n";
  expect_error(s, "resume_from");
  s["zz"] = "outputs: {m: {type: mlflow_model}}\n";
  expect_error(s, "outputs.m.type");
}

TEST_F(SweepSpecTest, TypeAndFileShape) {
  Sections s = base_sections();
  s["type"] = "type: command\n";
  expect_error(s, "type", {"not a sweep"});
  s.erase("type");  // without type: and $schema a file is a command job
  expect_error(s, "type", {"not a sweep"});
  s["type"] = "$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json\n";
  EXPECT_EQ(parse(s).settings.sampling_algorithm, "random");
  const auto refused = [&](const std::string& yaml, const std::string& part) {
    const std::string message = error_of([&] { parse(yaml); });
    EXPECT_EQ(message.rfind("sweep.yml", 0), 0u) << message;
    EXPECT_NE(message.find(part), std::string::npos) << message;
  };
  refused("", "is empty");
  refused("[1, 2]", "expected a mapping of sweep keys");
  refused(text_of(base_sections()) + "---\ntype: sweep\n", "2 YAML documents");
  refused(text_of(base_sections()) + "bad: [\n", "malformed YAML");
}

// ---- placeholders ----

TEST_F(SweepSpecTest, CommandJobsMayNotUseSearchSpacePlaceholders) {
  const std::string message =
      error_of([&] { parse_job_spec("command: run ${{search_space.lr}}\n", "job.yml", dir_); });
  EXPECT_NE(message.find("job.yml: command uses ${{search_space.lr}}: only a sweep's trial"),
            std::string::npos)
      << message;
  JobSpec spec = parse_job_spec("command: run\n", "job.yml", dir_);
  EXPECT_NE(error_of([&] {
              apply_override(spec, "command=run ${{search_space.lr}}");
            }).find("only a sweep's trial"),
            std::string::npos);
}

TEST_F(SweepSpecTest, TrialPlaceholdersMatchTheSearchSpace) {
  Sections s = base_sections();
  s["trial"] =
      "trial: {command: 'run ${{search_space.lr}} ${{search_space.units}} ${{search_space.x}}'}\n";
  expect_error(s, "trial.command", {"${{search_space.x}}", "no parameter 'x'", "lr, units"});
  s["trial"] = "trial: {command: 'run ${{search_space.lr}}'}\n";
  expect_error(s, "search_space.units", {"never used", "trial.command"});
  s["trial"] =
      "trial: {command: 'run ${{search_space.lr}} ${{search_space.units}} ${{inputs.z}}'}\n";
  expect_error(s, "trial.command", {"no input 'z'"});
  s["trial"] =
      "trial: {command: 'run ${{search_space.lr}} ${{search_space.units}} ${{search_space.}}'}\n";
  expect_error(s, "trial.command", {"malformed placeholder"});
  s["trial"] =
      "trial: {command: 'run ${{search_space.lr}} ${{search_space.units}} ${{sweep.x}}'}\n";
  expect_error(s, "trial.command", {"unsupported placeholder"});
  // Spaces inside the braces, a parameter used twice, and trial inputs: all fine.
  s["trial"] =
      "trial:\n  command: run ${{ search_space.lr }} ${{search_space.units}} "
      "${{search_space.lr}} ${{inputs.epochs}} ${{inputs.k}}\n  inputs: {k: 1}\n";
  const SweepSpec spec = parse(s);
  EXPECT_EQ(spec.trial.inputs.size(), 2u);
}

TEST_F(SweepSpecTest, RenderingTheTrialsCommand) {
  Sections s = base_sections();
  s["trial"] =
      "trial:\n  command: run --lr ${{search_space.lr}} --units ${{ search_space.units }} "
      "--epochs ${{inputs.epochs}} [--opt ${{inputs.opt}}]\n"
      "  inputs: {opt: {type: string, optional: true}}\n";
  const SweepSpec spec = parse(s);
  // render_command leaves the search space's placeholders as written.
  EXPECT_EQ(render_command(spec.trial, {}, nullptr),
            "run --lr ${{search_space.lr}} --units ${{ search_space.units }} --epochs 3");
  const sweeps::Parameters params{{"lr", 0.001}, {"units", 50}};
  JobSpec trial = spec.trial;
  trial.command = render_search_space(spec.trial.command, params);
  EXPECT_EQ(trial.command,
            "run --lr 0.001 --units 50 --epochs ${{inputs.epochs}} [--opt ${{inputs.opt}}]");
  EXPECT_EQ(render_command(trial, {{"opt", "adam"}}, nullptr),
            "run --lr 0.001 --units 50 --epochs 3 --opt adam");
  const std::string message = error_of([&] {
    render_search_space(spec.trial.command, {{"lr", 0.1}});
  });
  EXPECT_NE(message.find("units"), std::string::npos) << message;
}

TEST_F(SweepSpecTest, ParameterText) {
  using nlohmann::json;
  EXPECT_EQ(parameter_text(json(50)), "50");
  EXPECT_EQ(parameter_text(json(-3)), "-3");
  EXPECT_EQ(parameter_text(json(uint64_t{18446744073709551615u})), "18446744073709551615");
  EXPECT_EQ(parameter_text(json(0.001)), "0.001");
  EXPECT_EQ(parameter_text(json(0.0001)), "0.0001");
  EXPECT_EQ(parameter_text(json(1e-05)), "1e-05");
  EXPECT_EQ(parameter_text(json(1.5e-07)), "1.5e-07");
  EXPECT_EQ(parameter_text(json(2.0)), "2.0");
  EXPECT_EQ(parameter_text(json(-0.5)), "-0.5");
  EXPECT_EQ(parameter_text(json(1234.5)), "1234.5");
  EXPECT_EQ(parameter_text(json(0.1 + 0.2)), "0.30000000000000004");
  EXPECT_EQ(parameter_text(json(1e15)), "1000000000000000.0");
  EXPECT_EQ(parameter_text(json(1e16)), "1e+16");
  EXPECT_EQ(parameter_text(json(1.5e300)), "1.5e+300");
  EXPECT_EQ(parameter_text(json(0.0)), "0.0");
  EXPECT_EQ(parameter_text(json("relu")), "relu");
  EXPECT_EQ(parameter_text(json(true)), "true");
  EXPECT_EQ(parameter_text(json(false)), "false");
  EXPECT_THROW(parameter_text(json(nullptr)), Error);
  EXPECT_THROW(parameter_text(json::array({1})), Error);
  // Every double reads back exactly.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> exponent(-300, 300);
  for (int i = 0; i < 2000; ++i) {
    const double x = std::pow(10.0, exponent(rng)) * (i % 2 == 0 ? 1 : -1);
    EXPECT_EQ(std::stod(parameter_text(json(x))), x) << parameter_text(json(x));
  }
}

TEST_F(SweepSpecTest, ChoiceValuesKeepTheirYamlTypes) {
  Sections s = base_sections();
  s["search_space"] =
      "search_space:\n  lr: {type: choice, values: [50, '50', 0.5, true, relu, 1e-3, 0o17, ~]}\n"
      "  units: {type: choice, values: [1]}\n";
  expect_error(s, "search_space.lr.values[7]");  // null is no value
  s["search_space"] =
      "search_space:\n  lr: {type: choice, values: [50, '50', 0.5, true, relu, 1e-3, 0o17]}\n"
      "  units: {type: choice, values: [1]}\n";
  const SweepSpec spec = parse(s);
  const auto& values = spec.settings.search_space.at("lr").values;
  ASSERT_EQ(values.size(), 7u);
  EXPECT_TRUE(values[0].is_number_integer());
  EXPECT_EQ(values[1], "50");
  EXPECT_EQ(values[2], 0.5);
  EXPECT_EQ(values[3], true);
  EXPECT_EQ(values[4], "relu");
  EXPECT_EQ(values[5], 0.001);
  EXPECT_EQ(values[6], 15);
}

// ---- --set ----

TEST_F(SweepSpecTest, Overrides) {
  Sections sections = base_sections();
  sections["tags"] = "tags: {a: b}\n";
  SweepSpec spec = parse(sections);
  apply_sweep_override(spec, "limits.max_total_trials=8");
  apply_sweep_override(spec, "limits.max_concurrent_trials=2");
  apply_sweep_override(spec, "limits.timeout=90.5");
  apply_sweep_override(spec, "limits.trial_timeout=30");
  apply_sweep_override(spec, "limits.max_failed_trials=0");
  apply_sweep_override(spec, "seed=12");
  EXPECT_EQ(spec.settings.seed, 12u);
  apply_sweep_override(spec, "sampling_algorithm.seed=13");
  apply_sweep_override(spec, "objective.goal=minimize");
  apply_sweep_override(spec, "inputs.epochs=9");
  apply_sweep_override(spec, "experiment_name=other");
  apply_sweep_override(spec, "display_name=shown");
  apply_sweep_override(spec, "description=d=e");
  apply_sweep_override(spec, "compute=azureml:gpu");
  apply_sweep_override(spec, "tags.k=v");
  apply_sweep_override(spec, "environment_variables.K=1");
  apply_sweep_override(spec, "environment=env:3");
  const SweepSettings& s = spec.settings;
  EXPECT_EQ(s.limits.max_total_trials, 8);
  EXPECT_EQ(s.limits.max_concurrent_trials, 2);
  EXPECT_EQ(s.limits.timeout, 90.5);
  EXPECT_EQ(s.limits.trial_timeout, 30);
  EXPECT_EQ(spec.trial.timeout_seconds, 30);  // the trial's timeout follows
  EXPECT_EQ(s.limits.max_failed_trials, 0);
  EXPECT_EQ(s.seed, 13u);
  EXPECT_EQ(s.goal, sweeps::Goal::Minimize);
  EXPECT_EQ(spec.trial.inputs.at("epochs").value, "9");
  EXPECT_EQ(spec.trial.experiment_name, "other");
  EXPECT_EQ(spec.trial.display_name, "shown");
  EXPECT_EQ(spec.trial.description, "d=e");
  EXPECT_EQ(spec.trial.compute, "gpu");
  EXPECT_EQ(spec.trial.tags.at("k"), "v");
  EXPECT_EQ(spec.trial.tags.at("a"), "b");
  EXPECT_EQ(spec.trial.environment_variables.at("K"), "1");
  EXPECT_EQ(spec.trial.environment->reference, "env:3");
}

TEST_F(SweepSpecTest, OverrideRefusalsNameTheKeyAndChangeNothing) {
  Sections grid = choice_sections();
  grid["sampling_algorithm"] = "sampling_algorithm: grid\n";
  const std::map<std::string, std::pair<Sections, std::string>> cases{
      {"limits.max_total_trials=0", {base_sections(), "limits.max_total_trials"}},
      {"limits.max_total_trials=2.5", {base_sections(), "limits.max_total_trials"}},
      {"limits.max_concurrent_trials=x", {base_sections(), "limits.max_concurrent_trials"}},
      {"limits.timeout=-1", {base_sections(), "limits.timeout"}},
      {"limits.trial_timeout=", {base_sections(), "limits.trial_timeout"}},
      {"limits.max_failed_trials=-2", {base_sections(), "limits.max_failed_trials"}},
      {"limits.bogus=1", {base_sections(), "limits.bogus"}},
      {"seed=-1", {base_sections(), "seed"}},
      {"sampling_algorithm.seed=1", {grid, "sampling_algorithm.seed"}},
      {"objective.goal=up", {base_sections(), "objective.goal"}},
      {"objective.primary_metric=loss", {base_sections(), "objective.primary_metric"}},
      {"search_space.lr=1", {base_sections(), "search_space.lr"}},
      {"sampling_algorithm=grid", {base_sections(), "sampling_algorithm"}},
      {"early_termination.type=asha", {base_sections(), "early_termination.type"}},
      {"command=run", {base_sections(), "command"}},
      {"trial.command=run", {base_sections(), "trial.command"}},
      {"inputs.nope=1", {base_sections(), "nope"}},
      {"distribution.type=mpi", {base_sections(), "distribution"}},
      {"bogus=1", {base_sections(), "bogus"}},
      {"noequals", {base_sections(), "KEY=VALUE"}},
      // An alias bomb as a value is bounded like one in a file.
      {"seed=[&a [1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b], "
       "&d [*c,*c,*c,*c,*c,*c,*c,*c], &e [*d,*d,*d,*d,*d,*d,*d,*d], &f [*e,*e,*e,*e,*e,*e,*e,*e], "
       "&g [*f,*f,*f,*f,*f,*f,*f,*f], [*g,*g,*g,*g,*g,*g,*g,*g]]",
       {base_sections(), "nodes"}},
  };
  for (const auto& [assignment, c] : cases) {
    SCOPED_TRACE(assignment);
    SweepSpec spec = parse(c.first);
    const nlohmann::json before = to_json(spec.settings);
    const nlohmann::json trial_before = to_json(spec.trial);
    std::string message;
    try {
      apply_sweep_override(spec, assignment);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
      message = e.what();
    }
    EXPECT_EQ(message.rfind("--set", 0), 0u) << message;
    EXPECT_NE(message.find(c.second), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(to_json(spec.settings), before);
    EXPECT_EQ(to_json(spec.trial), trial_before);
  }
}

// ---- the settings' JSON ----

std::vector<SweepSettings> every_kind_of_settings(const std::function<SweepSpec(Sections)>& parse) {
  std::vector<SweepSettings> out;
  const std::vector<std::string> algorithms{
      "sampling_algorithm: random\n",
      "sampling_algorithm: {type: random, seed: 18446744073709551615, rule: sobol}\n",
      "sampling_algorithm: {type: random, seed: 3, rule: random}\n",
      "sampling_algorithm: grid\n",
      "sampling_algorithm: {type: bayesian, seed: 9}\n",
  };
  const std::vector<std::string> policies{
      "",
      "early_termination: {type: bandit, slack_factor: 0.1, evaluation_interval: 2}\n",
      "early_termination: {type: bandit, slack_amount: 0.3333333333333333, delay_evaluation: 7}\n",
      "early_termination: {type: median_stopping, evaluation_interval: 5, delay_evaluation: 1}\n",
      "early_termination: {type: truncation_selection, truncation_percentage: 33, "
      "exclude_finished_jobs: true}\n",
      "early_termination: {type: asha, grace_period: 3, max_t: 81, reduction_factor: 3.5}\n",
  };
  for (const auto& algorithm : algorithms) {
    for (const auto& policy : policies) {
      if (algorithm.find("bayesian") != std::string::npos && !policy.empty()) continue;
      Sections s = choice_sections();
      if (algorithm == algorithms[0] || algorithm == algorithms[1]) s = base_sections();
      s["sampling_algorithm"] = algorithm;
      s["early_termination"] = policy;
      s["objective"] = "objective: {primary_metric: val loss, goal: minimize}\n";
      s["limits"] =
          "limits: {max_total_trials: 7, max_concurrent_trials: 9, timeout: 0.1, "
          "trial_timeout: 1e-3, max_failed_trials: 0}\n";
      s["resume_from"] = "resume_from: [a, b]\n";
      out.push_back(parse(s).settings);
    }
  }
  return out;
}

TEST_F(SweepSpecTest, SettingsRoundTripForEveryAlgorithmAndPolicy) {
  const auto all = every_kind_of_settings([&](const Sections& s) { return parse(s); });
  ASSERT_EQ(all.size(), 25u);
  for (const auto& settings : all) {
    const nlohmann::json j = to_json(settings);
    SCOPED_TRACE(j.dump());
    const SweepSettings back = sweep_settings_from_json(nlohmann::json::parse(j.dump()));
    EXPECT_EQ(to_json(back), j);
    EXPECT_EQ(back.sampling_algorithm, settings.sampling_algorithm);
    EXPECT_EQ(back.rule, settings.rule);
    EXPECT_EQ(back.seed, settings.seed);
    EXPECT_EQ(back.primary_metric, settings.primary_metric);
    EXPECT_EQ(back.goal, settings.goal);
    EXPECT_EQ(back.limits.max_total_trials, settings.limits.max_total_trials);
    EXPECT_EQ(back.limits.max_concurrent_trials, settings.limits.max_concurrent_trials);
    EXPECT_EQ(back.limits.timeout, settings.limits.timeout);
    EXPECT_EQ(back.limits.trial_timeout, settings.limits.trial_timeout);
    EXPECT_EQ(back.limits.max_failed_trials, settings.limits.max_failed_trials);
    EXPECT_EQ(back.resume_from, settings.resume_from);
    EXPECT_EQ(back.search_space_json, settings.search_space_json);
    ASSERT_EQ(back.search_space.size(), settings.search_space.size());
    for (const auto& [name, e] : settings.search_space) {
      EXPECT_EQ(back.search_space.at(name).kind, e.kind);
      EXPECT_EQ(back.search_space.at(name).values, e.values);
      EXPECT_EQ(back.search_space.at(name).min_value, e.min_value);
      EXPECT_EQ(back.search_space.at(name).max_value, e.max_value);
    }
    ASSERT_EQ(back.early_termination.has_value(), settings.early_termination.has_value());
    if (settings.early_termination) {
      EXPECT_EQ(policy_name(*back.early_termination), policy_name(*settings.early_termination));
      EXPECT_EQ(back.early_termination->index(), settings.early_termination->index());
    }
  }
}

TEST_F(SweepSpecTest, PolicyNames) {
  EXPECT_EQ(policy_name(sweeps::BanditPolicy{}), "bandit");
  EXPECT_EQ(policy_name(sweeps::MedianStoppingPolicy{}), "median_stopping");
  EXPECT_EQ(policy_name(sweeps::TruncationSelectionPolicy{}), "truncation_selection");
  EXPECT_EQ(policy_name(sweeps::AshaPolicy{}), "asha");
}

TEST_F(SweepSpecTest, SettingsJsonThatToJsonDidNotWriteIsCorrupt) {
  const nlohmann::json good = to_json(parse(base_sections()).settings);
  const auto corrupt = [](const nlohmann::json& j) {
    try {
      sweep_settings_from_json(j);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << e.what();
      return std::string(e.what());
    }
    ADD_FAILURE() << "accepted " << j.dump();
    return std::string();
  };
  corrupt(nlohmann::json::array());
  corrupt(nlohmann::json(nullptr));
  for (const char* key : {"version", "search_space", "sampling_algorithm", "objective", "limits"}) {
    nlohmann::json j = good;
    j.erase(key);
    EXPECT_NE(corrupt(j).find(key), std::string::npos);
  }
  nlohmann::json j = good;
  j["version"] = 2;
  EXPECT_NE(corrupt(j).find("version"), std::string::npos);
  j = good;
  j["extra"] = 1;
  corrupt(j);
  j = good;
  j["search_space"]["lr"]["type"] = "gaussian";
  EXPECT_NE(corrupt(j).find("search_space.lr.type"), std::string::npos);
  j = good;
  j["limits"]["max_total_trials"] = 0;
  corrupt(j);
  j = good;
  j["early_termination"] = {{"type", "bandit"}};
  corrupt(j);
  j = good;
  j["objective"]["goal"] = "up";
  corrupt(j);
}

// ---- job files ----

TEST_F(SweepSpecTest, LoadJobFileDispatchesOnTheType) {
  const fs::path command = write("job.yml", "command: echo hi\n");
  const JobFile a = load_job_file(command);
  ASSERT_TRUE(std::holds_alternative<JobSpec>(a));
  EXPECT_EQ(std::get<JobSpec>(a).command, "echo hi");
  EXPECT_EQ(std::get<JobSpec>(a).source, command);

  const fs::path sweep = write("sweep.yml", text_of(base_sections()));
  const JobFile b = load_job_file(sweep);
  ASSERT_TRUE(std::holds_alternative<SweepSpec>(b));
  EXPECT_EQ(std::get<SweepSpec>(b).trial.source, sweep);
  EXPECT_EQ(std::get<SweepSpec>(b).trial.code, dir_ / "src");  // relative to the file

  Sections by_schema = base_sections();
  by_schema["type"] = "$schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json\n";
  EXPECT_TRUE(
      std::holds_alternative<SweepSpec>(load_job_file(write("s2.yml", text_of(by_schema)))));

  const std::string pipeline =
      error_of([&] { load_job_file(write("p.yml", "type: pipeline\njobs: {}\n")); });
  EXPECT_NE(pipeline.find("job type 'pipeline' is not supported yet"), std::string::npos)
      << pipeline;
  // A sweep's error names the file as given.
  const std::string bad = error_of([&] {
    Sections s = base_sections();
    s["limits"] = "limits: {max_total_trials: 0}\n";
    load_job_file(write("bad.yml", text_of(s)));
  });
  EXPECT_EQ(bad.rfind((dir_ / "bad.yml").string() + ": limits.max_total_trials:", 0), 0u) << bad;
  try {
    load_job_file(dir_ / "missing.yml");
    ADD_FAILURE() << "loaded a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  // The job file limits hold for sweeps too.
  const std::string big = error_of([&] {
    load_job_file(write("big.yml", text_of(base_sections()) + "#" + std::string(1 << 20, 'x')));
  });
  EXPECT_NE(big.find("larger than 1048576 bytes"), std::string::npos) << big;
  // The command-job reader points a sweep at job files.
  const std::string message = error_of([&] { load_job_spec(sweep); });
  EXPECT_NE(message.find("a sweep is submitted as a job file"), std::string::npos) << message;
}

}  // namespace
}  // namespace glia::platform
