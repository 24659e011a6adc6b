// A sweep as JSON: its settings, its trials best first and its best trial.
#include "glia/platform/json_views.hpp"
#include "glia/platform/sweep_runs.hpp"
#include "glia/platform/sweep_spec.hpp"

namespace glia::platform {

nlohmann::json sweep_json(Workspace& ws, const std::string& id) {
  const SweepView view = sweep_view(ws.store(), id);
  const SweepSettings& s = view.settings;
  nlohmann::json j = {
      {"primary_metric", s.primary_metric},
      {"goal", s.goal == sweeps::Goal::Maximize ? "maximize" : "minimize"},
      {"sampling_algorithm", s.sampling_algorithm},
      {"seed", s.seed ? nlohmann::json(*s.seed) : nlohmann::json(nullptr)},
      {"early_termination", s.early_termination ? nlohmann::json(policy_name(*s.early_termination))
                                                : nlohmann::json(nullptr)},
      {"max_total_trials", s.limits.max_total_trials},
      {"max_concurrent_trials", s.limits.concurrent()},
      {"search_space", s.search_space_json},
      {"trials", nlohmann::json::array()}};
  for (const TrialView& t : view.trials)
    j["trials"].push_back(
        {{"id", t.run.id},
         {"index", t.index},
         {"parameters", t.parameters},
         {"status", to_string(t.run.status)},
         {"best_metric", t.best_metric ? nlohmann::json(*t.best_metric) : nlohmann::json(nullptr)},
         {"intervals", t.intervals},
         {"early_terminated", t.early_termination.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(t.early_termination)}});
  j["best_trial"] = view.best_trial ? nlohmann::json(*view.best_trial) : nlohmann::json(nullptr);
  j["best_metric"] = view.best_metric ? nlohmann::json(*view.best_metric) : nlohmann::json(nullptr);
  return j;
}

}  // namespace glia::platform
