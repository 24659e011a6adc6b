// Reading a sweep's run and its trials back: the trials with their parameters and primary
// metric, sorted best first, and the best trial (what `glia job show SWEEP`, `glia job stream`
// and `best:SWEEP` references read).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "glia/platform/store.hpp"
#include "glia/platform/sweep_spec.hpp"

namespace glia::platform {

/// A trial's primary-metric values in logging order, non-finite values left out: the
/// early-termination policies' intervals are their positions (1, 2, ...).
std::vector<std::pair<int64_t, double>> trial_series(Store& store, const std::string& run_id,
                                                     const std::string& metric);

/// The best value of a series for the goal; nullopt for an empty series.
std::optional<double> best_value(const std::vector<std::pair<int64_t, double>>& series,
                                 sweeps::Goal goal);

struct TrialView {
  RunRecord run;
  int64_t index = 0;
  sweeps::Parameters parameters;
  std::optional<double> best_metric;  // the best primary-metric value it logged
  int64_t intervals = 0;              // how many values of the primary metric it logged
  std::string early_termination;      // the policy's reason when it stopped the trial, else ""
};

struct SweepView {
  RunRecord run;
  SweepSettings settings;
  /// Best first by best_metric (trials without a value last, then by index).
  std::vector<TrialView> trials;
  /// The trial with the best best_metric so far (any status), when one logged a value.
  std::optional<std::string> best_trial;
  std::optional<double> best_metric;
};

/// One trial's view, read now.
TrialView trial_view(Store& store, const SweepTrial& trial, const SweepSettings& settings);

/// The sweep `id`'s view. Throws glia::Error (NotFound) for an unknown run, (InvalidArgument)
/// for a run that is not a sweep.
SweepView sweep_view(Store& store, const std::string& id);

/// A run reference as commands take it: a run id, or "best:SWEEP" — the best trial of a sweep
/// that has ended (its property best_trial). Throws glia::Error naming the reference when the
/// sweep is unknown, not a sweep, still going (Conflict), or has no best trial (NotFound).
std::string resolve_run_reference(Store& store, const std::string& reference);

}  // namespace glia::platform
