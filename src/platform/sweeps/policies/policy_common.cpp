// What the early termination policies share.
#include "sweeps/policies/policy_common.hpp"

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <set>

#include "glia/error.hpp"

namespace glia::platform::sweeps::detail {

void check_trials(const std::vector<TrialMetrics>& trials) {
  std::set<std::string> ids;
  for (const auto& t : trials) {
    if (!ids.insert(t.id).second) throw Error("sweep trial '" + t.id + "' is listed twice");
    int64_t previous = 0;
    for (const auto& [step, value] : t.series) {
      if (step <= previous)
        throw Error("sweep trial '" + t.id + "': interval " + std::to_string(step) +
                    " follows interval " + std::to_string(previous) +
                    " (intervals start at 1 and strictly increase)");
      if (!std::isfinite(value))
        throw Error("sweep trial '" + t.id + "': the primary metric at interval " +
                    std::to_string(step) + " is not a finite number");
      previous = step;
    }
  }
}

void check_at_least(const char* key, int64_t value, int64_t minimum) {
  if (value < minimum)
    throw Error(std::string("early_termination.") + key + ": expected an integer >= " +
                std::to_string(minimum) + ", got " + std::to_string(value));
}

std::optional<int64_t> latest_evaluation_interval(const TrialMetrics& trial,
                                                  int64_t evaluation_interval,
                                                  int64_t delay_evaluation) {
  if (trial.series.empty()) return std::nullopt;
  const int64_t last = trial.series.back().first;
  const int64_t n = last / evaluation_interval * evaluation_interval;
  if (n < 1 || n < delay_evaluation || trial.series.front().first > n) return std::nullopt;
  return n;
}

bool reached(const TrialMetrics& trial, double interval) {
  return !trial.series.empty() && static_cast<double>(trial.series.back().first) >= interval;
}

bool counts_at(const TrialMetrics& trial, int64_t n) {
  return !trial.series.empty() && trial.series.front().first <= n && trial.series.back().first >= n;
}

bool better(Goal goal, double a, double b) {
  return goal == Goal::Maximize ? a > b : a < b;
}

double best_up_to(const TrialMetrics& trial, int64_t n, Goal goal) {
  double best = trial.series.front().second;
  for (const auto& [step, value] : trial.series) {
    if (step > n) break;
    if (better(goal, value, best)) best = value;
  }
  return best;
}

double mean_up_to(const TrialMetrics& trial, int64_t n) {
  double sum = 0;
  int64_t count = 0;
  for (const auto& [step, value] : trial.series) {
    if (step > n) break;
    sum += value;
    ++count;
  }
  return sum / static_cast<double>(count);
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

const char* goal_word(Goal goal) {
  return goal == Goal::Maximize ? "maximize" : "minimize";
}

std::vector<Termination> judge_running(
    const std::vector<TrialMetrics>& trials, int64_t evaluation_interval, int64_t delay_evaluation,
    const std::function<std::optional<std::string>(const TrialMetrics&, int64_t)>& judge) {
  check_trials(trials);
  std::vector<Termination> out;
  for (const auto& t : trials) {
    if (t.finished) continue;
    const auto n = latest_evaluation_interval(t, evaluation_interval, delay_evaluation);
    if (!n) continue;
    if (auto reason = judge(t, *n)) out.push_back({t.id, std::move(*reason)});
  }
  std::sort(out.begin(), out.end(),
            [](const Termination& a, const Termination& b) { return a.trial < b.trial; });
  return out;
}

}  // namespace glia::platform::sweeps::detail
