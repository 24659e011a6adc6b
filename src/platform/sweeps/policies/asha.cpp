// ASHA (asynchronous successive halving, as Ray Tune's AsyncHyperBandScheduler): at a rung a
// trial continues only if it is in the top 1/reduction_factor of the trials at that rung.
#include <algorithm>
#include <cmath>

#include "glia/error.hpp"
#include "glia/platform/sweep_policies.hpp"
#include "sweeps/policies/policy_common.hpp"

namespace glia::platform::sweeps {

namespace {
constexpr int kMaxRungs = 1000;  // a factor barely above 1 would make millions
}  // namespace

void AshaPolicy::check() const {
  detail::check_at_least("grace_period", grace_period, 1);
  if (max_t < grace_period)
    throw Error("early_termination.max_t: expected an integer >= grace_period (" +
                std::to_string(grace_period) + "), got " + std::to_string(max_t));
  if (!std::isfinite(reduction_factor) || reduction_factor <= 1)
    throw Error("early_termination.reduction_factor: expected a number > 1, got " +
                detail::num(reduction_factor));
  const double count = std::log(static_cast<double>(max_t) / static_cast<double>(grace_period)) /
                       std::log(reduction_factor);
  if (count > kMaxRungs)
    throw Error("early_termination.reduction_factor: " + detail::num(reduction_factor) +
                " gives more than " + std::to_string(kMaxRungs) +
                " rungs from grace_period to max_t; expected a larger factor");
}

std::vector<double> AshaPolicy::rungs() const {
  check();
  std::vector<double> out;
  const double limit = static_cast<double>(max_t) * (1 + 1e-12);
  for (double m = static_cast<double>(grace_period); m <= limit; m *= reduction_factor)
    out.push_back(m);
  return out;
}

namespace {

// The value at the first step >= rung (the trial has reached it).
double value_at_rung(const TrialMetrics& t, double rung) {
  for (const auto& [step, value] : t.series)
    if (static_cast<double>(step) >= rung) return value;
  throw Error(ErrorKind::Internal, "sweep trial '" + t.id + "' has not reached the rung");
}

// numpy.percentile with linear interpolation, q in [0, 1], over a sorted non-empty vector.
double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

std::vector<Termination> decide(const AshaPolicy& policy, Goal goal, const std::string& metric,
                                const std::vector<TrialMetrics>& trials) {
  const auto rungs = policy.rungs();
  detail::check_trials(trials);
  // Values in "larger is better" form, as Ray negates them when minimizing.
  const double sign = goal == Goal::Maximize ? 1 : -1;
  std::vector<Termination> out;
  for (const auto& t : trials) {
    // A trial that reached max_t has had its whole budget (Ray stops it there as done): it is
    // not stopped, even if it goes on logging.
    if (t.finished || detail::reached(t, static_cast<double>(policy.max_t))) continue;
    auto rung =
        std::find_if(rungs.rbegin(), rungs.rend(), [&](double r) { return detail::reached(t, r); });
    if (rung == rungs.rend()) continue;
    std::vector<double> others;
    for (const auto& other : trials)
      if (other.id != t.id && detail::reached(other, *rung))
        others.push_back(sign * value_at_rung(other, *rung));
    if (others.empty()) continue;
    std::sort(others.begin(), others.end());
    const double cutoff = sign * quantile(others, 1 - 1 / policy.reduction_factor);
    const double y = value_at_rung(t, *rung);
    if (!detail::better(goal, cutoff, y)) continue;
    out.push_back(
        {t.id, "asha: " + metric + " " + detail::num(y) + " at rung " + detail::num(*rung) +
                   " is " + (goal == Goal::Maximize ? "below" : "above") + " the cutoff " +
                   detail::num(cutoff) + " for the top 1/" + detail::num(policy.reduction_factor) +
                   " of the " + std::to_string(others.size()) + " other trials at that rung (" +
                   detail::goal_word(goal) + ")"});
  }
  std::sort(out.begin(), out.end(),
            [](const Termination& a, const Termination& b) { return a.trial < b.trial; });
  return out;
}

}  // namespace glia::platform::sweeps
