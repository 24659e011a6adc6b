// `--set KEY=VALUE` overrides of a parsed job spec, checked the way the parser checks the file.
#include <string>
#include <string_view>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/experiment_names.hpp"
#include "glia/platform/job_spec.hpp"
#include "job_spec_detail.hpp"

namespace glia::platform {
namespace {

using namespace job_spec_detail;

const std::vector<std::string> kOverrideKeys{"inputs.NAME",
                                             "inputs.NAME.path",
                                             "inputs.NAME.mode",
                                             "inputs.NAME.default",
                                             "command",
                                             "experiment_name",
                                             "display_name",
                                             "name",
                                             "description",
                                             "compute",
                                             "limits.timeout",
                                             "tags.KEY",
                                             "environment_variables.NAME",
                                             "environment",
                                             "resources.instance_count",
                                             "distribution.type",
                                             "distribution.process_count_per_instance"};

void set_input(JobSpec& spec, const std::string& where, const std::string& key,
               const std::string& value) {
  // key is "inputs.NAME" or "inputs.NAME.FIELD"
  const std::string rest = key.substr(std::string_view("inputs.").size());
  const std::size_t dot = rest.find('.');
  const std::string name = rest.substr(0, dot);
  const std::string field = dot == std::string::npos ? "" : rest.substr(dot + 1);
  const auto it = spec.inputs.find(name);
  if (it == spec.inputs.end()) {
    std::vector<std::string> names;
    for (const auto& entry : spec.inputs) names.push_back(entry.first);
    fail(where, "no input '" + name + "' declared in " + source_label(spec) + " (" +
                    (names.empty() ? std::string("it declares no inputs")
                                   : "declared inputs: " + join(names)) +
                    ")");
  }
  JobInput& input = it->second;
  const bool literal = input.kind == JobInput::Kind::Literal;
  if (field == "mode" && !literal) {
    if (!contains(input_modes(), value)) {
      fail(where,
           key + ": " + in_quotes(value) + " (expected one of: " + join(input_modes()) + ")");
    }
    input.mode = value;
    return;
  }
  const bool value_field = field.empty() || (literal ? field == "default" : field == "path");
  if (!value_field) {
    fail(where, "unknown key '" + key + "' (expected inputs." + name +
                    (literal ? " or inputs." + name + ".default"
                             : ", inputs." + name + ".path or inputs." + name + ".mode") +
                    ")");
  }
  if (value.empty()) fail(where, key + ": expected a value");
  if (literal) {
    if (const auto problem = literal_type_problem(input.type, value); !problem.empty()) {
      fail(where, key + ": " + problem + " (input '" + name + "' is declared " + input.type + ")");
    }
    input.value = value;
  } else {
    input.value = resolve_uri_path(where + ": " + key, input.kind, value, base_folder(spec));
  }
}

}  // namespace

void apply_override(JobSpec& spec, const std::string& assignment) {
  const std::string where = "--set " + in_quotes(assignment);
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) fail(where, "expected KEY=VALUE");
  const std::string key = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  const auto sub_key = [&](std::string_view prefix) -> std::string {
    return key.starts_with(prefix) ? key.substr(prefix.size()) : std::string();
  };

  if (key.starts_with("inputs.")) {
    set_input(spec, where, key, value);
  } else if (apply_distribution_override(spec, where, key, value)) {
    // resources.instance_count, distribution.* (job_spec_distribution.cpp)
  } else if (key == "command") {
    JobSpec changed = spec;
    changed.command = value;
    if (value.find_first_not_of(" \t\r\n") == std::string::npos) {
      fail(where, "command: expected a non-empty string");
    }
    check_placeholders(where, changed);
    spec.command = value;
  } else if (key == "experiment_name") {
    try {
      check_experiment_name(value);
    } catch (const Error& e) {
      fail(where, std::string("experiment_name: ") + e.what());
    }
    spec.experiment_name = value;
  } else if (key == "display_name" || key == "name") {
    spec.display_name = value;
  } else if (key == "description") {
    spec.description = value;
  } else if (key == "compute") {
    const std::string name = value.starts_with("azureml:") ? value.substr(8) : value;
    if (name.empty()) fail(where, "compute: expected a compute name, got " + in_quotes(value));
    spec.compute = name;
  } else if (key == "limits.timeout") {
    const auto seconds = parse_positive_number(value);
    if (!seconds) {
      fail(where, "limits.timeout: expected a positive number of seconds, got " + in_quotes(value));
    }
    spec.timeout_seconds = seconds;
  } else if (key == "environment") {  // a registered one (checked at submit, with the store)
    if (value.empty()) fail(where, "environment: expected NAME:VERSION or NAME@latest");
    spec.environment = JobEnvironment{value, std::nullopt, "", "", ""};
  } else if (const std::string tag = sub_key("tags."); !tag.empty()) {
    spec.tags[tag] = value;
  } else if (const std::string var = sub_key("environment_variables."); !var.empty()) {
    if (!is_identifier(var)) {
      fail(where,
           "environment_variables: invalid name '" + var + "' (expected [A-Za-z_][A-Za-z0-9_]*)");
    }
    spec.environment_variables[var] = value;
  } else if (const auto why = unsupported_key(key.substr(0, key.find('.')))) {
    fail(where, *why);
  } else {
    fail(where, "unknown key '" + key + "' (expected one of: " + join(kOverrideKeys) + ")");
  }
}

}  // namespace glia::platform
