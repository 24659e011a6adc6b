// `--set KEY=VALUE` on a sweep: the sweep's own settings (limits, seed, goal) checked as the
// file's, and the command-job keys a sweep shares with its trial through apply_override.
#include <string>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "job_spec_detail.hpp"
#include "job_spec_yaml.hpp"
#include "sweep_fields.hpp"

namespace glia::platform {
namespace {

using namespace job_spec_detail;

const std::vector<std::string> kSweepOverrideKeys{"inputs.NAME",
                                                  "experiment_name",
                                                  "display_name",
                                                  "name",
                                                  "description",
                                                  "compute",
                                                  "tags.KEY",
                                                  "environment_variables.NAME",
                                                  "environment",
                                                  "limits.max_total_trials",
                                                  "limits.max_concurrent_trials",
                                                  "limits.timeout",
                                                  "limits.trial_timeout",
                                                  "limits.max_failed_trials",
                                                  "sampling_algorithm.seed",
                                                  "seed",
                                                  "objective.goal"};

bool delegated(const std::string& key) {
  for (const char* exact :
       {"experiment_name", "display_name", "name", "description", "compute", "environment"}) {
    if (key == exact) return true;
  }
  return key.starts_with("inputs.") || key.starts_with("tags.") ||
         key.starts_with("environment_variables.");
}

// A --set value as the JSON a YAML scalar of that text would be ("20" an integer, "1.5" a
// number, "maximize" a string).
nlohmann::json value_json(const std::string& text) {
  const YamlReader reader("--set", ".");
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception&) {
    return text;  // not YAML: a string (refused where a number is expected)
  }
  reader.check_size(node);  // aliases are bounded here as in files
  return to_json(reader, node, "value");
}

}  // namespace

void apply_sweep_override(SweepSpec& spec, const std::string& assignment) {
  const std::string where = "--set " + in_quotes(assignment);
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) fail(where, "expected KEY=VALUE");
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  if (delegated(key)) {
    apply_override(spec.trial, assignment);
    return;
  }
  const SweepFields f{[&](const std::string& message) { fail(where, message); }};
  SweepSettings settings = spec.settings;
  const nlohmann::json value = value_json(text);
  if (key.starts_with("limits.")) {
    const std::string field = key.substr(std::string("limits.").size());
    read_limit(f, field, value, settings.limits);
  } else if (key == "seed" || key == "sampling_algorithm.seed") {
    if (settings.sampling_algorithm == "grid") {
      f.error(key, "grid sampling draws nothing, so it takes no seed");
    }
    settings.seed = f.seed(value, key);
  } else if (key == "objective.goal") {
    settings.goal = read_goal(f, value, key);
  } else if (key == "command" || key == "limits" || key.starts_with("trial.") ||
             key.starts_with("search_space") || key.starts_with("sampling_algorithm") ||
             key.starts_with("early_termination") || key.starts_with("objective") ||
             key == "resume_from") {
    f.error(key, "cannot be set on a sweep with --set (edit the sweep file); accepted: " +
                     join(kSweepOverrideKeys));
  } else if (const auto why = unsupported_key(key.substr(0, key.find('.')))) {
    fail(where, *why);
  } else {
    fail(where, "unknown key '" + key + "' (expected one of: " + join(kSweepOverrideKeys) + ")");
  }
  check_settings(f, settings);
  spec.settings = std::move(settings);
  if (spec.settings.limits.trial_timeout) {
    spec.trial.timeout_seconds = spec.settings.limits.trial_timeout;
  }
}

}  // namespace glia::platform
