// A sweep job described the way Azure ML CLI v2 describes one (`type: sweep`): a trial command
// job whose command uses ${{search_space.NAME}} (and ${{inputs.NAME}}), the search space, the
// sampling algorithm, the objective, an early-termination policy and limits. Parsing checks
// everything that can be checked before a run exists; every error is one line naming the file
// and the key (docs/sweeps.md).
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "glia/platform/job_spec.hpp"
#include "glia/platform/sweep_policies.hpp"
#include "glia/platform/sweep_space.hpp"

namespace glia::platform {

using EarlyTermination = std::variant<sweeps::BanditPolicy, sweeps::MedianStoppingPolicy,
                                      sweeps::TruncationSelectionPolicy, sweeps::AshaPolicy>;

struct SweepLimits {
  int64_t max_total_trials = 1000;  // Azure's default; 1..100000
  /// Unset: max_total_trials (Azure's default). More than max_total_trials is accepted and
  /// clamped (concurrent()): a --set of max_total_trials alone never conflicts with the file.
  std::optional<int64_t> max_concurrent_trials;
  std::optional<double> timeout;             // seconds for the whole sweep
  std::optional<double> trial_timeout;       // seconds per trial (its limits.timeout)
  std::optional<int64_t> max_failed_trials;  // unset: no limit; 0..100000
  /// The trials to keep running at once: max_concurrent_trials, at most max_total_trials.
  int64_t concurrent() const {
    return std::min(max_concurrent_trials.value_or(max_total_trials), max_total_trials);
  }
};

/// Everything about a sweep except its trial: what the agent needs to drive it, recorded on the
/// sweep's run as JSON (to_json / sweep_settings_from_json round-trip exactly).
struct SweepSettings {
  sweeps::SearchSpace search_space;
  nlohmann::json search_space_json;  // as written (the YAML's JSON shape), for records and views
  std::string sampling_algorithm = "random";   // random | grid | bayesian
  std::string rule = "random";                 // random sampling's rule: random | sobol
  std::optional<uint64_t> seed;                // unset in the file: drawn at submit, recorded
  std::string primary_metric;                  // objective.primary_metric (required)
  sweeps::Goal goal = sweeps::Goal::Maximize;  // objective.goal (required)
  std::optional<EarlyTermination> early_termination;
  SweepLimits limits;
  /// Earlier sweeps whose finished trials warm-start this one (run ids; HyperDrive's
  /// resume_from): checked at submit (they must be sweeps over the same parameter names).
  std::vector<std::string> resume_from;
};

nlohmann::json to_json(const SweepSettings& settings);
/// Throws glia::Error (Corrupt) for JSON that to_json did not write.
SweepSettings sweep_settings_from_json(const nlohmann::json& j);
/// The policy's Azure name: "bandit", "median_stopping", "truncation_selection", "asha".
std::string policy_name(const EarlyTermination& policy);

struct SweepSpec {
  /// The trial: a command job. The sweep's top-level experiment_name, display_name,
  /// description, tags, compute, inputs and outputs are moved into it (Azure puts inputs at the
  /// top level; `trial.inputs` is accepted too, a name in both is refused). Its command may use
  /// ${{search_space.NAME}} for every NAME of the search space (an unknown NAME is refused; a
  /// parameter the command never uses is refused too: it would be sampled and not used).
  /// trial.timeout_seconds is limits.trial_timeout.
  JobSpec trial;
  SweepSettings settings;
};

/// Parses sweep YAML text (`type: sweep`, or a $schema naming sweepJob.schema.json). Like
/// parse_job_spec: file size and node limits, one document, every key used or refused with a
/// one-line glia::Error (InvalidArgument) naming the file and the key ("trial.command",
/// "search_space.lr.min_value", "early_termination.slack_factor", "limits.max_total_trials",
/// ...): unknown expressions, bad bounds, grid over a non-choice space, bayesian with an
/// expression it cannot sample or with early_termination, a missing objective, placeholders
/// naming unknown parameters or inputs.
SweepSpec parse_sweep_spec(const std::string& yaml_text, const std::string& source_name,
                           const std::filesystem::path& base_dir);

/// A job file: a command job or a sweep, by its `type:` (or $schema; default command).
using JobFile = std::variant<JobSpec, SweepSpec>;
/// Reads a job file as load_job_spec does and parses it by its type (other types, e.g. pipeline,
/// are refused naming the type). Sets JobSpec::source (a sweep's: trial.source) to the file.
JobFile load_job_file(const std::filesystem::path& file);
/// The same from text: `source_name` names it in messages, relative paths resolve against
/// `base_dir`; no source is set.
JobFile parse_job_file(const std::string& yaml_text, const std::string& source_name,
                       const std::filesystem::path& base_dir);

/// `--set` on a sweep: the command-job keys that are the sweep's (experiment_name,
/// display_name, description, compute, tags.K, inputs.NAME, environment_variables.K,
/// environment) and limits.max_total_trials, limits.max_concurrent_trials, limits.timeout,
/// limits.trial_timeout, limits.max_failed_trials, sampling_algorithm.seed (alias: seed),
/// objective.goal. Anything else is refused naming the key.
void apply_sweep_override(SweepSpec& spec, const std::string& assignment);

/// The text a parameter's value is substituted as: integers without a decimal point, other
/// numbers in the shortest form that reads back exactly (Python's repr: 0.001, 1e-05), strings
/// verbatim, booleans as true/false.
std::string parameter_text(const nlohmann::json& value);

/// Replaces every ${{search_space.NAME}} of `command` with parameter_text(params[NAME]), verbatim
/// (like literal inputs: a string with spaces is not quoted); render_command (job_spec.hpp)
/// leaves them as written. Give it the trial's command as parsed, then render_command a copy of
/// the trial holding the result. Throws glia::Error for a NAME missing from `params`.
std::string render_search_space(const std::string& command, const sweeps::Parameters& params);

}  // namespace glia::platform
