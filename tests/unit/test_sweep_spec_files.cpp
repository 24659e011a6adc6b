// The sweep file, continued: the trial's keys, the file's type and shape, ${{search_space.x}}
// placeholders and rendering, parameter text, --set overrides, the settings recorded as JSON, and
// load_job_file's dispatch by type.
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
      {"distribution.type=mpi", {base_sections(), "distribution.type"}},
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
