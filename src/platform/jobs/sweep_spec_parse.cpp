// Reading a sweep job (Azure ML CLI v2's `type: sweep`) into a SweepSpec: the trial is a command
// job parsed by the command-job parser's keys (parse_command_key) under "trial.", the sweep's own
// keys (search_space, sampling_algorithm, objective, early_termination, limits, resume_from) as
// JSON read by sweep_fields.cpp. Every error is one line naming the file and the key.
#include <string>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/safe_path.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "job_file.hpp"
#include "job_spec_detail.hpp"
#include "job_spec_yaml.hpp"
#include "sweep_fields.hpp"

namespace glia::platform {
namespace job_spec_detail {
namespace {

const std::vector<std::string> kSweepKeys{"$schema",
                                          "type",
                                          "name",
                                          "display_name",
                                          "experiment_name",
                                          "description",
                                          "tags",
                                          "compute",
                                          "inputs",
                                          "outputs",
                                          "trial",
                                          "search_space",
                                          "sampling_algorithm",
                                          "objective",
                                          "early_termination",
                                          "limits",
                                          "resume_from"};
// The sweep's command-job keys (its trial gets them).
const std::vector<std::string> kSharedKeys{"name", "display_name", "experiment_name", "description",
                                           "tags", "compute",      "inputs",          "outputs"};
const std::vector<std::string> kTrialKeys{
    "code", "command", "environment", "environment_variables", "resources", "inputs"};
// Command-job keys that are the trial's, not the sweep's.
const std::vector<std::string> kTrialOnlyKeys{"command", "code", "environment",
                                              "environment_variables", "resources"};

class SweepParser {
 public:
  explicit SweepParser(const YamlReader& yaml)
      : yaml_(yaml), fields_{[this](const std::string& m) { yaml_.error(m); }} {}

  SweepSpec parse(const YAML::Node& root) {
    if (root.IsNull())
      yaml_.error("the job file is empty (expected a sweep: type: sweep, trial, ...)");
    if (!root.IsMap()) yaml_.error("expected a mapping of sweep keys (" + join(kSweepKeys) + ")");
    const JobType type = job_type(yaml_, root);
    if (type.name != "sweep") {
      yaml_.error(type.described() + " is not a sweep (expected type: sweep)");
    }
    refuse_unsupported_keys(yaml_, root);
    for (const auto& entry : root) {
      if (entry.first.IsScalar() && entry.first.Scalar() == "distribution") {
        yaml_.error(
            "distribution: not supported: a sweep's trials run one process each (submit "
            "a distributed command job instead)");
      }
      if (entry.first.IsScalar() && contains(kTrialOnlyKeys, entry.first.Scalar())) {
        yaml_.error(entry.first.Scalar() + ": a sweep's command job is its trial: give trial." +
                    entry.first.Scalar());
      }
    }
    JobSpec shared;
    JobSpec trial;
    std::string name;
    bool has_trial = false, has_space = false, has_algorithm = false, has_objective = false;
    SweepSpec spec;
    SweepSettings& s = spec.settings;
    for (const auto& [key, value] : yaml_.entries(root, "", &kSweepKeys)) {
      if (key == "$schema" || key == "type") {
        yaml_.scalar(value, key);  // the type was checked above; $schema only guides editors
      } else if (contains(kSharedKeys, key)) {
        parse_command_key(yaml_, shared, name, key, value);
      } else if (key == "trial") {
        trial = parse_trial(value);
        has_trial = true;
      } else if (key == "search_space") {
        s.search_space_json = to_json(yaml_, value, key);
        for (const auto& [parameter, expression] : s.search_space_json.items()) {
          if (!is_identifier(parameter)) {
            yaml_.error("search_space: invalid parameter name " + in_quotes(parameter) +
                        " (expected [A-Za-z_][A-Za-z0-9_]*, as ${{search_space.NAME}} needs)");
          }
        }
        try {
          s.search_space = sweeps::parse_search_space(s.search_space_json, key);
        } catch (const Error& e) {
          yaml_.error(e.what());  // "search_space.lr.max_value: ..."
        }
        has_space = true;
      } else if (key == "sampling_algorithm") {
        read_sampling_algorithm(fields_, to_json(yaml_, value, key), s);
        has_algorithm = true;
      } else if (key == "objective") {
        parse_objective(to_json(yaml_, value, key), s);
        has_objective = true;
      } else if (key == "early_termination") {
        const nlohmann::json j = to_json(yaml_, value, key);
        if (!j.is_null()) s.early_termination = read_early_termination(fields_, j);
      } else if (key == "limits") {
        const nlohmann::json j = to_json(yaml_, value, key);
        for (const auto& [field, v] : fields_
                                          .object(j, key,
                                                  {"max_total_trials", "max_concurrent_trials",
                                                   "timeout", "trial_timeout", "max_failed_trials"})
                                          .items()) {
          read_limit(fields_, field, v, s.limits);
        }
      } else if (key == "resume_from") {
        s.resume_from = parse_resume_from(to_json(yaml_, value, key));
      }
    }
    if (!has_trial) yaml_.error("trial: required (the command job each trial runs)");
    if (!has_space) yaml_.error("search_space: required (the parameters to sample)");
    if (!has_algorithm) yaml_.error("sampling_algorithm: required (random, grid or bayesian)");
    if (!has_objective) yaml_.error("objective: required (primary_metric and goal)");
    check_settings(fields_, s);

    finish_names(yaml_, shared, name);
    merge(shared, trial);
    if (s.limits.trial_timeout) trial.timeout_seconds = s.limits.trial_timeout;
    std::vector<std::string> parameters;
    for (const auto& entry : s.search_space) parameters.push_back(entry.first);
    check_placeholders(yaml_.file(), trial, &parameters, "trial.command");
    spec.trial = std::move(trial);
    return spec;
  }

 private:
  JobSpec parse_trial(const YAML::Node& node) const {
    if (!node.IsMap()) {
      yaml_.error("trial: expected a mapping of command job keys (" + join(kTrialKeys) +
                  "); a component file is not supported");
    }
    const YamlReader trial_yaml = yaml_.nested("trial.");
    refuse_unsupported_keys(trial_yaml, node);
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) continue;
      const std::string key = entry.first.Scalar();
      if (contains(kSharedKeys, key) && key != "inputs") {
        yaml_.error("trial." + key + ": a sweep's " + key +
                    " is given at its top level (the trials get it): give " + key);
      }
      if (key == "limits") {
        yaml_.error("trial.limits: a trial's timeout is the sweep's limits.trial_timeout");
      }
      if (key == "distribution") {
        yaml_.error(
            "trial.distribution: not supported: a sweep's trials run one process each "
            "(submit a distributed command job instead)");
      }
    }
    JobSpec trial;
    std::string unused_name;
    for (const auto& [key, value] : trial_yaml.entries(node, "trial", &kTrialKeys)) {
      parse_command_key(trial_yaml, trial, unused_name, key, value);
    }
    if (trial.instance_count != 1) {
      yaml_.error(
          "trial.resources.instance_count: expected 1 (a sweep's trials run one process "
          "each)");
    }
    require_command(trial_yaml, trial);
    return trial;
  }

  // The sweep's top-level command-job keys into the trial; inputs from both, a name in both
  // refused.
  void merge(JobSpec& shared, JobSpec& trial) const {
    for (auto& [input_name, input] : shared.inputs) {
      if (trial.inputs.contains(input_name)) {
        yaml_.error("trial.inputs." + input_name + ": input '" + input_name +
                    "' is also declared in inputs (declare it once)");
      }
      trial.inputs.emplace(input_name, std::move(input));
    }
    trial.outputs = std::move(shared.outputs);
    trial.compute = std::move(shared.compute);
    trial.experiment_name = std::move(shared.experiment_name);
    trial.display_name = std::move(shared.display_name);
    trial.description = std::move(shared.description);
    trial.tags = std::move(shared.tags);
  }

  void parse_objective(const nlohmann::json& j, SweepSettings& s) const {
    const std::string key = "objective";
    if (!j.is_object()) fields_.error(key, "expected a mapping with primary_metric and goal");
    fields_.object(j, key, {"primary_metric", "goal"});
    if (!j.contains("primary_metric")) {
      fields_.error(key + ".primary_metric", "required (the metric the trials log)");
    }
    s.primary_metric = fields_.string(j.at("primary_metric"), key + ".primary_metric");
    if (s.primary_metric.empty()) fields_.error(key + ".primary_metric", "expected a metric name");
    if (!j.contains("goal")) fields_.error(key + ".goal", "required (maximize or minimize)");
    s.goal = read_goal(fields_, j.at("goal"), key + ".goal");
  }

  std::vector<std::string> parse_resume_from(const nlohmann::json& j) const {
    const std::string key = "resume_from";
    std::vector<std::string> ids;
    const nlohmann::json list = j.is_array() ? j : nlohmann::json::array({j});
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string where = j.is_array() ? key + "[" + std::to_string(i) + "]" : key;
      if (!list[i].is_string() || list[i].get<std::string>().empty()) {
        fields_.error(where, "expected a sweep's run id, got " + list[i].dump());
      }
      const std::string id = list[i].get<std::string>();
      try {
        safe_path_component(id, "run id");
      } catch (const Error& e) {
        fields_.error(where, e.what());
      }
      if (contains(ids, id)) fields_.error(where, "run '" + id + "' is listed twice");
      ids.push_back(id);
    }
    return ids;
  }

  const YamlReader& yaml_;
  SweepFields fields_;
};

}  // namespace

SweepSpec parse_sweep(const YamlReader& yaml, const YAML::Node& root) {
  return SweepParser(yaml).parse(root);
}

}  // namespace job_spec_detail

SweepSpec parse_sweep_spec(const std::string& yaml_text, const std::string& source_name,
                           const std::filesystem::path& base_dir) {
  const job_spec_detail::YamlReader yaml(source_name, base_dir);
  const YAML::Node root = job_spec_detail::load_document(yaml, yaml_text);
  return job_spec_detail::with_yaml_errors(
      yaml, [&] { return job_spec_detail::parse_sweep(yaml, root); });
}

}  // namespace glia::platform
