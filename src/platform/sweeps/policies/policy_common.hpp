// What the early termination policies share: checking their input, the evaluation intervals,
// a trial's values up to an interval, and the numbers in the reasons.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/sweep_policies.hpp"

namespace glia::platform::sweeps::detail {

// Throws glia::Error for a duplicate trial id, a step < 1 or not strictly increasing, or a
// value that is not finite.
void check_trials(const std::vector<TrialMetrics>& trials);

// Throws glia::Error naming `key` unless value >= minimum.
void check_at_least(const char* key, int64_t value, int64_t minimum);

// The latest evaluation interval (a multiple of evaluation_interval, >= delay_evaluation and
// >= 1) that the trial has reached and has a value at or before, if any.
std::optional<int64_t> latest_evaluation_interval(const TrialMetrics& trial,
                                                  int64_t evaluation_interval,
                                                  int64_t delay_evaluation);

bool reached(const TrialMetrics& trial, double interval);

// What bandit, median stopping and truncation selection share: checks the trials, calls
// `judge(trial, n)` for each running trial at its latest evaluation interval n, and returns the
// terminations it gives, sorted by trial id (the result does not depend on the input's order).
std::vector<Termination> judge_running(
    const std::vector<TrialMetrics>& trials, int64_t evaluation_interval, int64_t delay_evaluation,
    const std::function<std::optional<std::string>(const TrialMetrics&, int64_t)>& judge);

// The trial has reached interval n and has a value at a step <= n.
bool counts_at(const TrialMetrics& trial, int64_t n);

// a is better than b for the goal (strictly).
bool better(Goal goal, double a, double b);

// The trial's best value and the mean of its values over the steps <= n (it has at least one).
double best_up_to(const TrialMetrics& trial, int64_t n, Goal goal);
double mean_up_to(const TrialMetrics& trial, int64_t n);

// "%.6g"
std::string num(double v);

const char* goal_word(Goal goal);  // "maximize" / "minimize"

}  // namespace glia::platform::sweeps::detail
