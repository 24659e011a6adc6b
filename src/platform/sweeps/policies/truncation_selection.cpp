// Truncation selection policy: stop the trials in the lowest truncation_percentage % at each
// evaluation interval.
#include <algorithm>

#include "glia/error.hpp"
#include "glia/platform/sweep_policies.hpp"
#include "sweeps/policies/policy_common.hpp"

namespace glia::platform::sweeps {

void TruncationSelectionPolicy::check() const {
  if (truncation_percentage < 1 || truncation_percentage > 99)
    throw Error("early_termination.truncation_percentage: expected an integer from 1 to 99, got " +
                std::to_string(truncation_percentage));
  detail::check_at_least("evaluation_interval", evaluation_interval, 1);
  detail::check_at_least("delay_evaluation", delay_evaluation, 0);
}

std::vector<Termination> decide(const TruncationSelectionPolicy& policy, Goal goal,
                                const std::string& metric,
                                const std::vector<TrialMetrics>& trials) {
  policy.check();
  return detail::judge_running(trials, policy.evaluation_interval, policy.delay_evaluation,
                               [&](const TrialMetrics& t, int64_t n) -> std::optional<std::string> {
                                 const double y = detail::best_up_to(t, n, goal);
                                 int64_t count = 0, better = 0;
                                 for (const auto& other : trials) {
                                   if (!detail::counts_at(other, n)) continue;
                                   if (other.finished && policy.exclude_finished_jobs) continue;
                                   ++count;
                                   if (detail::better(goal, detail::best_up_to(other, n, goal), y))
                                     ++better;
                                 }
                                 const int64_t cut = count * policy.truncation_percentage / 100;
                                 if (cut < 1 || better < count - cut) return std::nullopt;
                                 return "truncation_selection: " + metric + " " + detail::num(y) +
                                        " (best of the trial up to interval " + std::to_string(n) +
                                        ") ranks " + std::to_string(better + 1) + " of " +
                                        std::to_string(count) + " trials (" +
                                        detail::goal_word(goal) + "); the lowest " +
                                        std::to_string(policy.truncation_percentage) +
                                        "% are the last " + std::to_string(cut);
                               });
}

}  // namespace glia::platform::sweeps
