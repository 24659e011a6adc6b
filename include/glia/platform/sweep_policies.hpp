// Early termination policies of a sweep, as pure functions of the metrics reported so far.
//
// Each `decide` takes every trial's primary-metric series and returns the running trials to stop
// now, sorted by trial id. It reads nothing else (no store, no clock), so it is idempotent and
// does not depend on the order the trials are listed in or the order the metrics arrived in: the
// caller may call it after every new metric, or once after a crash. A finished trial is never
// returned. A trial is judged at the latest evaluation interval (or ASHA rung) it has reached,
// against every trial (running or finished) that has reached that same interval: the comparison is
// always between trials at the same point of training (Azure: "When ranking a relatively young
// run, the policy uses the corresponding (and earlier) performance of older runs").
//
// Intervals (Azure: "Each time the training script logs the primary metric counts as one
// interval"): the step of each point of a series is its interval number, 1 for the first value,
// strictly increasing. A trial has reached interval N when its last step is >= N. The evaluation
// intervals are the multiples of evaluation_interval that are >= delay_evaluation (Azure: "the
// policy applies every multiple of evaluation_interval that is greater than or equal to
// delay_evaluation").
//
// Definitions used (sources: Azure ML SDK v1 azureml.train.hyperdrive BanditPolicy,
// MedianStoppingPolicy, TruncationSelectionPolicy reference pages and the azuremlsdk R reference;
// Ray Tune's AsyncHyperBandScheduler for ASHA):
// - Bandit: at evaluation interval N, Y = the trial's best value over intervals 1..N; B = the best
//   Y over all trials that reached N. Maximize: stop if Y < B / (1 + slack_factor) or
//   Y < B - slack_amount; minimize: stop if Y > B * (1 + slack_factor) or Y > B + slack_amount.
//   (Azure compares "the best AUC reported for a run" Y with the best run's value.) For a
//   negative B the factor is applied the other way round (B * (1 + f) when maximizing, B / (1 + f)
//   when minimizing) so that the slack always lies on the worse side of B.
// - Median stopping: at evaluation interval N, stop a trial whose best value over 1..N is worse
//   (strictly) than the median of the running averages (mean of the values over 1..N) of all
//   trials that reached N, the trial itself included (Azure: "a run will be canceled at interval
//   N if its best primary metric reported up to interval N is worse than the median of the
//   running averages for intervals 1:N across all runs"). Even count: mean of the middle two.
// - Truncation selection: at evaluation interval N, rank the trials that reached N (finished ones
//   left out when exclude_finished_jobs) by their best value over 1..N; k = floor(n *
//   truncation_percentage / 100) of the n trials are in "the lowest X%" (Azure documents no
//   rounding; floor never cuts more than the percentage). A trial is stopped when at least n - k
//   trials are strictly better than it: ties are settled in the trial's favour, so fewer than k
//   may be stopped, never more.
// - ASHA (beyond Azure; Ray Tune's ASHA): rungs at grace_period * reduction_factor^k for k = 0,
//   1, ... while <= max_t. A trial's value at a rung is its first value at a step >= the rung. A
//   trial at its highest rung reached is stopped when its value is worse than the cutoff: the
//   (1 - 1/reduction_factor) quantile (linear interpolation, as numpy's percentile) of the values
//   of the other trials at that rung, i.e. it is not in their top 1/reduction_factor. With no
//   other trial at the rung it continues. Unlike Ray, which compares a trial only with the trials
//   that reached the rung before it, this compares it with all that reached the rung (arrival
//   order is not part of the input), until it reaches the next rung. max_t bounds the rungs, and a
//   trial that reached max_t has had its whole budget (Ray stops it there as done): it is never
//   stopped; how long it trains beyond is the trial's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace glia::platform::sweeps {

enum class Goal { Maximize, Minimize };

struct TrialMetrics {
  std::string id;
  std::vector<std::pair<int64_t, double>> series;  // (interval, primary metric), in order
  bool finished = false;
};

struct Termination {
  std::string trial;
  std::string reason;  // one line: the policy and the numbers that decided it
};

// check(): throws glia::Error naming the key (as the sweep YAML spells it) for a bad value.
struct BanditPolicy {
  std::optional<double> slack_factor, slack_amount;  // exactly one, >= 0
  int64_t evaluation_interval = 1, delay_evaluation = 0;
  void check() const;
};

struct MedianStoppingPolicy {
  int64_t evaluation_interval = 1, delay_evaluation = 0;
  void check() const;
};

struct TruncationSelectionPolicy {
  int truncation_percentage = 0;  // 1..99
  int64_t evaluation_interval = 1, delay_evaluation = 0;
  bool exclude_finished_jobs = false;
  void check() const;
};

struct AshaPolicy {
  int64_t grace_period = 1, max_t = 100;  // 1 <= grace_period <= max_t
  double reduction_factor = 4;            // > 1
  void check() const;
  std::vector<double> rungs() const;  // grace_period * reduction_factor^k <= max_t, ascending
};

// The running trials to stop now, sorted by trial id. `metric` names the primary metric in the
// reasons. Throws glia::Error for a policy that fails check(), a duplicate trial id, or a series
// whose steps are not >= 1 and strictly increasing or whose values are not finite.
std::vector<Termination> decide(const BanditPolicy& policy, Goal goal, const std::string& metric,
                                const std::vector<TrialMetrics>& trials);
std::vector<Termination> decide(const MedianStoppingPolicy& policy, Goal goal,
                                const std::string& metric, const std::vector<TrialMetrics>& trials);
std::vector<Termination> decide(const TruncationSelectionPolicy& policy, Goal goal,
                                const std::string& metric, const std::vector<TrialMetrics>& trials);
std::vector<Termination> decide(const AshaPolicy& policy, Goal goal, const std::string& metric,
                                const std::vector<TrialMetrics>& trials);

}  // namespace glia::platform::sweeps
