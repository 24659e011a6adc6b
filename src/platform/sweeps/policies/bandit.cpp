// Bandit policy: stop a trial whose best value so far is outside the slack of the best trial's.
#include <algorithm>
#include <cmath>

#include "glia/error.hpp"
#include "glia/platform/sweep_policies.hpp"
#include "sweeps/policies/policy_common.hpp"

namespace glia::platform::sweeps {

void BanditPolicy::check() const {
  if (slack_factor.has_value() == slack_amount.has_value())
    throw Error(
        "early_termination: the bandit policy needs exactly one of slack_factor and slack_amount");
  if (slack_factor && (!std::isfinite(*slack_factor) || *slack_factor < 0))
    throw Error("early_termination.slack_factor: expected a number >= 0, got " +
                detail::num(*slack_factor));
  if (slack_amount && (!std::isfinite(*slack_amount) || *slack_amount < 0))
    throw Error("early_termination.slack_amount: expected a number >= 0, got " +
                detail::num(*slack_amount));
  detail::check_at_least("evaluation_interval", evaluation_interval, 1);
  detail::check_at_least("delay_evaluation", delay_evaluation, 0);
}

std::vector<Termination> decide(const BanditPolicy& policy, Goal goal, const std::string& metric,
                                const std::vector<TrialMetrics>& trials) {
  policy.check();
  return detail::judge_running(
      trials, policy.evaluation_interval, policy.delay_evaluation,
      [&](const TrialMetrics& t, int64_t n) -> std::optional<std::string> {
        const double y = detail::best_up_to(t, n, goal);
        double best = y;
        std::string best_id = t.id;
        for (const auto& other : trials) {
          if (!detail::counts_at(other, n)) continue;
          const double v = detail::best_up_to(other, n, goal);
          if (detail::better(goal, v, best) || (v == best && other.id < best_id)) {
            best = v;
            best_id = other.id;
          }
        }
        double bound;
        std::string formula;
        const bool max = goal == Goal::Maximize;
        if (policy.slack_factor) {
          const double f = *policy.slack_factor;
          const bool divide = max == (best >= 0);
          bound = divide ? best / (1 + f) : best * (1 + f);
          formula = detail::num(best) + (divide ? " / (1 + " : " * (1 + ") + detail::num(f) + ")";
        } else {
          const double a = *policy.slack_amount;
          bound = max ? best - a : best + a;
          formula = detail::num(best) + (max ? " - " : " + ") + detail::num(a);
        }
        if (!detail::better(goal, bound, y)) return std::nullopt;
        return "bandit: " + metric + " " + detail::num(y) + " (best of the trial up to interval " +
               std::to_string(n) + ") is " + (max ? "below" : "above") + " the best trial " +
               best_id + "'s " + formula + " = " + detail::num(bound) + " (" +
               detail::goal_word(goal) + ")";
      });
}

}  // namespace glia::platform::sweeps
