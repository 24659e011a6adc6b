// A sweep's settings as the JSON recorded on its run, and back (exactly: to_json of what
// sweep_settings_from_json reads is the JSON it read).
#include <string>
#include <type_traits>
#include <variant>

#include "glia/error.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "sweep_fields.hpp"

namespace glia::platform {
namespace {

constexpr int kSettingsVersion = 1;

template <typename T>
constexpr const char* name_of() {
  if constexpr (std::is_same_v<T, sweeps::BanditPolicy>) return "bandit";
  if constexpr (std::is_same_v<T, sweeps::MedianStoppingPolicy>) return "median_stopping";
  if constexpr (std::is_same_v<T, sweeps::TruncationSelectionPolicy>) return "truncation_selection";
  if constexpr (std::is_same_v<T, sweeps::AshaPolicy>) return "asha";
}

nlohmann::json policy_json(const EarlyTermination& policy) {
  return std::visit(
      [](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        nlohmann::json j{{"type", name_of<T>()}};
        if constexpr (std::is_same_v<T, sweeps::AshaPolicy>) {
          j["grace_period"] = p.grace_period;
          j["max_t"] = p.max_t;
          j["reduction_factor"] = p.reduction_factor;
        } else {
          j["evaluation_interval"] = p.evaluation_interval;
          j["delay_evaluation"] = p.delay_evaluation;
          if constexpr (std::is_same_v<T, sweeps::BanditPolicy>) {
            if (p.slack_factor) j["slack_factor"] = *p.slack_factor;
            if (p.slack_amount) j["slack_amount"] = *p.slack_amount;
          }
          if constexpr (std::is_same_v<T, sweeps::TruncationSelectionPolicy>) {
            j["truncation_percentage"] = p.truncation_percentage;
            j["exclude_finished_jobs"] = p.exclude_finished_jobs;
          }
        }
        return j;
      },
      policy);
}

}  // namespace

std::string policy_name(const EarlyTermination& policy) {
  return std::visit(
      [](const auto& p) -> std::string { return name_of<std::decay_t<decltype(p)>>(); }, policy);
}

nlohmann::json to_json(const SweepSettings& s) {
  nlohmann::json algorithm{{"type", s.sampling_algorithm}};
  if (s.sampling_algorithm == "random") algorithm["rule"] = s.rule;
  if (s.seed) algorithm["seed"] = *s.seed;  // unset: drawn at submit
  nlohmann::json limits{{"max_total_trials", s.limits.max_total_trials}};
  if (s.limits.max_concurrent_trials)
    limits["max_concurrent_trials"] = *s.limits.max_concurrent_trials;
  if (s.limits.timeout) limits["timeout"] = *s.limits.timeout;
  if (s.limits.trial_timeout) limits["trial_timeout"] = *s.limits.trial_timeout;
  if (s.limits.max_failed_trials) limits["max_failed_trials"] = *s.limits.max_failed_trials;
  return nlohmann::json{
      {"version", kSettingsVersion},
      {"search_space", s.search_space_json},
      {"sampling_algorithm", std::move(algorithm)},
      {"objective",
       {{"primary_metric", s.primary_metric},
        {"goal", s.goal == sweeps::Goal::Maximize ? "maximize" : "minimize"}}},
      {"early_termination",
       s.early_termination ? policy_json(*s.early_termination) : nlohmann::json(nullptr)},
      {"limits", std::move(limits)},
      {"resume_from", s.resume_from},
  };
}

SweepSettings sweep_settings_from_json(const nlohmann::json& j) {
  using namespace job_spec_detail;
  const SweepFields f{[](const std::string& message) {
    throw Error(ErrorKind::Corrupt, "recorded sweep settings: " + message);
  }};
  f.object(j, "settings",
           {"version", "search_space", "sampling_algorithm", "objective", "early_termination",
            "limits", "resume_from"});
  for (const char* key : {"version", "search_space", "sampling_algorithm", "objective", "limits"}) {
    if (!j.contains(key)) f.error(key, "missing");
  }
  if (f.integer(j.at("version"), "version", 1, 1000) != kSettingsVersion) {
    f.error("version",
            "written by another Glia (expected " + std::to_string(kSettingsVersion) + ")");
  }
  SweepSettings s;
  s.search_space_json = j.at("search_space");
  try {
    s.search_space = sweeps::parse_search_space(s.search_space_json, "search_space");
  } catch (const Error& e) {
    f.fail(e.what());
  }
  read_sampling_algorithm(f, j.at("sampling_algorithm"), s);
  const auto& objective = f.object(j.at("objective"), "objective", {"primary_metric", "goal"});
  if (!objective.contains("primary_metric") || !objective.contains("goal")) {
    f.error("objective", "expected primary_metric and goal");
  }
  s.primary_metric = f.string(objective.at("primary_metric"), "objective.primary_metric");
  s.goal = read_goal(f, objective.at("goal"), "objective.goal");
  if (j.contains("early_termination") && !j.at("early_termination").is_null()) {
    s.early_termination = read_early_termination(f, j.at("early_termination"));
  }
  const auto& limits = f.object(j.at("limits"), "limits",
                                {"max_total_trials", "max_concurrent_trials", "timeout",
                                 "trial_timeout", "max_failed_trials"});
  for (const auto& [field, value] : limits.items()) read_limit(f, field, value, s.limits);
  if (j.contains("resume_from")) {
    const auto& ids = j.at("resume_from");
    if (!ids.is_array()) f.error("resume_from", "expected a list of run ids");
    for (const auto& id : ids) s.resume_from.push_back(f.string(id, "resume_from"));
  }
  check_settings(f, s);
  return s;
}

}  // namespace glia::platform
