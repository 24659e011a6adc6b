// Median stopping policy: stop a trial whose best value so far is worse than the median of the
// running averages of all trials at the same interval.
#include <algorithm>

#include "glia/platform/sweep_policies.hpp"
#include "sweeps/policies/policy_common.hpp"

namespace glia::platform::sweeps {

void MedianStoppingPolicy::check() const {
  detail::check_at_least("evaluation_interval", evaluation_interval, 1);
  detail::check_at_least("delay_evaluation", delay_evaluation, 0);
}

std::vector<Termination> decide(const MedianStoppingPolicy& policy, Goal goal,
                                const std::string& metric,
                                const std::vector<TrialMetrics>& trials) {
  policy.check();
  return detail::judge_running(
      trials, policy.evaluation_interval, policy.delay_evaluation,
      [&](const TrialMetrics& t, int64_t n) -> std::optional<std::string> {
        std::vector<double> averages;
        for (const auto& other : trials)
          if (detail::counts_at(other, n)) averages.push_back(detail::mean_up_to(other, n));
        std::sort(averages.begin(), averages.end());
        const size_t k = averages.size();
        const double median =
            k % 2 == 1 ? averages[k / 2] : (averages[k / 2 - 1] + averages[k / 2]) / 2;
        const double y = detail::best_up_to(t, n, goal);
        if (!detail::better(goal, median, y)) return std::nullopt;
        return "median_stopping: " + metric + " " + detail::num(y) +
               " (best of the trial up to interval " + std::to_string(n) + ") is " +
               (goal == Goal::Maximize ? "below" : "above") + " the median " + detail::num(median) +
               " of the running averages of the " + std::to_string(k) +
               " trials at that interval (" + detail::goal_word(goal) + ")";
      });
}

}  // namespace glia::platform::sweeps
