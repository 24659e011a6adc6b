// A sweep's settings read from JSON with checks naming the key: the sampling algorithm, the
// objective's goal, early termination policies, limits, and the checks across them.
#include <cmath>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "glia/error.hpp"
#include "job_spec_detail.hpp"
#include "sweep_fields.hpp"

namespace glia::platform::job_spec_detail {
namespace {

std::string shown(const nlohmann::json& j) {
  return j.is_string() ? in_quotes(j.get<std::string>()) : j.dump();
}

}  // namespace

void SweepFields::error(const std::string& key, const std::string& what) const {
  fail(key + ": " + what);
  throw Error(ErrorKind::Internal, "SweepFields::fail returned");  // fail always throws
}

const nlohmann::json& SweepFields::object(const nlohmann::json& j, const std::string& key,
                                          const std::vector<std::string>& accepted) const {
  static const nlohmann::json empty = nlohmann::json::object();
  if (j.is_null()) return empty;
  if (!j.is_object()) error(key, "expected a mapping (" + join(accepted) + "), got " + shown(j));
  for (const auto& [name, value] : j.items()) {
    if (!contains(accepted, name)) {
      fail("unknown key '" + key + "." + name + "' (expected one of: " + join(accepted) + ")");
    }
  }
  return j;
}

int64_t SweepFields::integer(const nlohmann::json& j, const std::string& key, int64_t min,
                             int64_t max) const {
  const std::string range =
      max == std::numeric_limits<int64_t>::max()
          ? "an integer >= " + std::to_string(min)
          : "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!j.is_number_integer()) error(key, "expected " + range + ", got " + shown(j));
  if (j.is_number_unsigned() &&
      j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    error(key, "expected " + range + ", got " + j.dump());
  }
  const int64_t v = j.get<int64_t>();
  if (v < min || v > max) error(key, "expected " + range + ", got " + j.dump());
  return v;
}

uint64_t SweepFields::seed(const nlohmann::json& j, const std::string& key) const {
  if (!j.is_number_integer() || (!j.is_number_unsigned() && j.get<int64_t>() < 0)) {
    error(key, "expected an integer from 0 to 18446744073709551615, got " + shown(j));
  }
  return j.get<uint64_t>();
}

double SweepFields::number(const nlohmann::json& j, const std::string& key) const {
  if (!j.is_number() || !std::isfinite(j.get<double>())) {
    error(key, "expected a number, got " + shown(j));
  }
  return j.get<double>();
}

double SweepFields::seconds(const nlohmann::json& j, const std::string& key) const {
  if (!j.is_number() || !std::isfinite(j.get<double>()) || j.get<double>() <= 0) {
    error(key, "expected a positive number of seconds, got " + shown(j));
  }
  return j.get<double>();
}

std::string SweepFields::string(const nlohmann::json& j, const std::string& key) const {
  if (!j.is_string()) error(key, "expected a string, got " + shown(j));
  return j.get<std::string>();
}

bool SweepFields::boolean(const nlohmann::json& j, const std::string& key) const {
  if (!j.is_boolean()) error(key, "expected true or false, got " + shown(j));
  return j.get<bool>();
}

std::string SweepFields::one_of(const nlohmann::json& j, const std::string& key,
                                const std::vector<std::string>& values) const {
  if (!j.is_string() || !contains(values, j.get<std::string>())) {
    error(key, "expected one of: " + join(values) + ", got " + shown(j));
  }
  return j.get<std::string>();
}

void read_sampling_algorithm(const SweepFields& f, const nlohmann::json& j, SweepSettings& out) {
  static const std::vector<std::string> algorithms{"random", "grid", "bayesian"};
  const std::string key = "sampling_algorithm";
  if (!j.is_object()) {
    if (j.is_null()) f.error(key, "expected random, grid or bayesian, or a mapping with type");
    out.sampling_algorithm = f.one_of(j, key, algorithms);
    return;
  }
  if (!j.contains("type")) f.error(key, "missing key 'type' (random, grid or bayesian)");
  const std::string type = f.one_of(j.at("type"), key + ".type", algorithms);
  static const std::vector<std::string> random_keys{"type", "seed", "rule", "logbase"};
  static const std::vector<std::string> grid_keys{"type"};
  static const std::vector<std::string> bayesian_keys{"type", "seed"};
  const auto& keys = type == "random" ? random_keys : type == "grid" ? grid_keys : bayesian_keys;
  f.object(j, key, keys);
  out.sampling_algorithm = type;
  if (j.contains("seed") && !j.at("seed").is_null()) out.seed = f.seed(j.at("seed"), key + ".seed");
  if (j.contains("rule")) out.rule = f.one_of(j.at("rule"), key + ".rule", {"random", "sobol"});
  if (j.contains("logbase")) {
    // Azure's log base of log-scale expressions; Glia's are natural (e), as Azure's default.
    const auto& base = j.at("logbase");
    const bool is_e = (base.is_string() && base.get<std::string>() == "e") ||
                      (base.is_number() && base.get<double>() == std::exp(1.0));
    if (!is_e) {
      f.error(key + ".logbase",
              "only e is supported (loguniform and lognormal bounds are natural logarithms), "
              "got " +
                  shown(base));
    }
  }
}

sweeps::Goal read_goal(const SweepFields& f, const nlohmann::json& j, const std::string& key) {
  return f.one_of(j, key, {"maximize", "minimize"}) == "maximize" ? sweeps::Goal::Maximize
                                                                  : sweeps::Goal::Minimize;
}

EarlyTermination read_early_termination(const SweepFields& f, const nlohmann::json& j) {
  static const std::vector<std::string> types{"bandit", "median_stopping", "truncation_selection",
                                              "asha"};
  const std::string key = "early_termination";
  if (!j.is_object()) f.error(key, "expected a mapping with type (" + join(types) + ")");
  if (!j.contains("type")) f.error(key, "missing key 'type' (" + join(types) + ")");
  const std::string type = f.one_of(j.at("type"), key + ".type", types);
  constexpr int64_t kAny = std::numeric_limits<int64_t>::max();
  const auto int_at = [&](const char* name, int64_t fallback) {
    return j.contains(name) ? f.integer(j.at(name), key + "." + name, 0, kAny) : fallback;
  };
  EarlyTermination policy;
  if (type == "bandit") {
    f.object(j, key,
             {"type", "slack_factor", "slack_amount", "evaluation_interval", "delay_evaluation"});
    sweeps::BanditPolicy p;
    if (j.contains("slack_factor"))
      p.slack_factor = f.number(j.at("slack_factor"), key + ".slack_factor");
    if (j.contains("slack_amount"))
      p.slack_amount = f.number(j.at("slack_amount"), key + ".slack_amount");
    p.evaluation_interval = int_at("evaluation_interval", p.evaluation_interval);
    p.delay_evaluation = int_at("delay_evaluation", p.delay_evaluation);
    policy = p;
  } else if (type == "median_stopping") {
    f.object(j, key, {"type", "evaluation_interval", "delay_evaluation"});
    sweeps::MedianStoppingPolicy p;
    p.evaluation_interval = int_at("evaluation_interval", p.evaluation_interval);
    p.delay_evaluation = int_at("delay_evaluation", p.delay_evaluation);
    policy = p;
  } else if (type == "truncation_selection") {
    f.object(j, key,
             {"type", "truncation_percentage", "evaluation_interval", "delay_evaluation",
              "exclude_finished_jobs"});
    sweeps::TruncationSelectionPolicy p;
    if (!j.contains("truncation_percentage")) {
      f.error(key + ".truncation_percentage", "required for truncation_selection (1 to 99)");
    }
    p.truncation_percentage = static_cast<int>(
        f.integer(j.at("truncation_percentage"), key + ".truncation_percentage", 1, 99));
    p.evaluation_interval = int_at("evaluation_interval", p.evaluation_interval);
    p.delay_evaluation = int_at("delay_evaluation", p.delay_evaluation);
    if (j.contains("exclude_finished_jobs")) {
      p.exclude_finished_jobs =
          f.boolean(j.at("exclude_finished_jobs"), key + ".exclude_finished_jobs");
    }
    policy = p;
  } else {
    f.object(j, key, {"type", "grace_period", "max_t", "reduction_factor"});
    sweeps::AshaPolicy p;
    p.grace_period = int_at("grace_period", p.grace_period);
    p.max_t = int_at("max_t", p.max_t);
    if (j.contains("reduction_factor")) {
      p.reduction_factor = f.number(j.at("reduction_factor"), key + ".reduction_factor");
    }
    policy = p;
  }
  std::visit(
      [&](const auto& p) {
        try {
          p.check();
        } catch (const Error& e) {
          f.fail(e.what());  // the policies name their keys: "early_termination.slack_factor: ..."
        }
      },
      policy);
  return policy;
}

void read_limit(const SweepFields& f, const std::string& field, const nlohmann::json& j,
                SweepLimits& limits) {
  const std::string key = "limits." + field;
  if (field == "max_total_trials") {
    limits.max_total_trials = f.integer(j, key, 1, kMaxTotalTrials);
  } else if (field == "max_concurrent_trials") {
    limits.max_concurrent_trials = f.integer(j, key, 1, kMaxTotalTrials);
  } else if (field == "timeout") {
    limits.timeout = f.seconds(j, key);
  } else if (field == "trial_timeout") {
    limits.trial_timeout = f.seconds(j, key);
  } else if (field == "max_failed_trials") {
    limits.max_failed_trials = f.integer(j, key, 0, kMaxTotalTrials);
  } else {
    f.fail("unknown key '" + key +
           "' (expected one of: max_total_trials, max_concurrent_trials, timeout, trial_timeout, "
           "max_failed_trials)");
  }
}

void check_settings(const SweepFields& f, const SweepSettings& s) {
  const auto rethrow = [&](const auto& check) {
    try {
      check();
    } catch (const Error& e) {
      std::string message = e.what();
      // check_space_for names "sweep.search_space.x"; the file's key is "search_space.x".
      if (message.starts_with("sweep.")) message.erase(0, 6);
      f.fail(message);
    }
  };
  rethrow([&] { sweeps::check_space_for(s.search_space, s.sampling_algorithm, "sweep"); });
  if (s.sampling_algorithm == "grid") {
    try {
      sweeps::grid_size(s.search_space);
    } catch (const Error& e) {
      f.fail(std::string("search_space: ") + e.what());
    }
  }
  if (s.sampling_algorithm == "random" && s.rule == "sobol" &&
      s.search_space.size() > sweeps::sobol_max_dimensions()) {
    f.error("sampling_algorithm.rule",
            "sobol samples at most " + std::to_string(sweeps::sobol_max_dimensions()) +
                " parameters; the search space has " + std::to_string(s.search_space.size()));
  }
  if (s.sampling_algorithm != "random" && s.rule != "random") {
    f.error("sampling_algorithm.rule", "only random sampling takes a rule");
  }
  if (s.sampling_algorithm == "grid" && s.seed) {
    f.error("sampling_algorithm.seed", "grid sampling draws nothing, so it takes no seed");
  }
  if (s.sampling_algorithm == "bayesian" && s.early_termination) {
    f.error("early_termination",
            "bayesian sampling takes no early termination policy (Azure's rule: it learns from "
            "finished trials); remove it or use random sampling");
  }
}

}  // namespace glia::platform::job_spec_detail
