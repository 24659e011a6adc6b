// Checked reads of a sweep's settings once they are JSON (from the YAML: yaml_json.cpp; from
// `--set`). Every error names the key as the sweep YAML spells it ("limits.max_total_trials").
// Private to src/platform/jobs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glia/platform/sweep_spec.hpp"

namespace glia::platform::job_spec_detail {

/// Throws "<key>: <what>" through `fail_at` (which adds the file or the --set assignment).
using FailAt = std::function<void(const std::string& message)>;

struct SweepFields {
  FailAt fail;  // must throw

  [[noreturn]] void error(const std::string& key, const std::string& what) const;
  /// A mapping (null: empty) whose keys are all in `accepted`.
  const nlohmann::json& object(const nlohmann::json& j, const std::string& key,
                               const std::vector<std::string>& accepted) const;
  /// An integer (a YAML integer, not 2.0 or "2") in [min, max].
  int64_t integer(const nlohmann::json& j, const std::string& key, int64_t min, int64_t max) const;
  /// A non-negative integer up to 2^64 - 1 (a seed).
  uint64_t seed(const nlohmann::json& j, const std::string& key) const;
  /// A finite number (integer or float).
  double number(const nlohmann::json& j, const std::string& key) const;
  /// A number of seconds > 0.
  double seconds(const nlohmann::json& j, const std::string& key) const;
  std::string string(const nlohmann::json& j, const std::string& key) const;
  bool boolean(const nlohmann::json& j, const std::string& key) const;
  /// One of `values`.
  std::string one_of(const nlohmann::json& j, const std::string& key,
                     const std::vector<std::string>& values) const;
};

/// The limits' bounds.
inline constexpr int64_t kMaxTotalTrials = 100000;

/// Each setting from its JSON (the YAML section, or a --set value): sampling_algorithm,
/// objective.goal, early_termination, limits.KEY.
void read_sampling_algorithm(const SweepFields& f, const nlohmann::json& j, SweepSettings& out);
sweeps::Goal read_goal(const SweepFields& f, const nlohmann::json& j, const std::string& key);
EarlyTermination read_early_termination(const SweepFields& f, const nlohmann::json& j);
void read_limit(const SweepFields& f, const std::string& field, const nlohmann::json& j,
                SweepLimits& limits);
/// The checks across settings: the space for the algorithm (grid: its size; sobol: its
/// dimensions), bayesian without early termination.
void check_settings(const SweepFields& f, const SweepSettings& s);

}  // namespace glia::platform::job_spec_detail
