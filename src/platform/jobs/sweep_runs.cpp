#include "glia/platform/sweep_runs.hpp"

#include <algorithm>
#include <cmath>

#include "glia/error.hpp"

namespace glia::platform {

std::vector<std::pair<int64_t, double>> trial_series(Store& store, const std::string& run_id,
                                                     const std::string& metric) {
  std::vector<std::pair<int64_t, double>> out;
  for (const MetricPoint& p : store.metric_series(run_id, metric))
    if (std::isfinite(p.value)) out.emplace_back(static_cast<int64_t>(out.size()) + 1, p.value);
  return out;
}

std::optional<double> best_value(const std::vector<std::pair<int64_t, double>>& series,
                                 sweeps::Goal goal) {
  std::optional<double> best;
  for (const auto& [step, v] : series)
    if (!best || (goal == sweeps::Goal::Maximize ? v > *best : v < *best)) best = v;
  return best;
}

TrialView trial_view(Store& store, const SweepTrial& t, const SweepSettings& settings) {
  TrialView v;
  v.run = store.get_run(t.run_id);
  v.index = t.index;
  v.parameters = nlohmann::json::parse(t.parameters).get<sweeps::Parameters>();
  const auto series = trial_series(store, t.run_id, settings.primary_metric);
  v.intervals = static_cast<int64_t>(series.size());
  v.best_metric = best_value(series, settings.goal);
  if (v.run.properties.count("early_termination"))
    v.early_termination = v.run.properties.count("cancel_reason")
                              ? v.run.properties.at("cancel_reason")
                              : v.run.properties.at("early_termination");
  return v;
}

SweepView sweep_view(Store& store, const std::string& id) {
  SweepView view;
  view.run = store.get_run(id);
  if (!view.run.is_sweep())
    throw Error("run '" + id + "' is not a sweep (a " +
                (view.run.job_type.empty() ? std::string("run") : view.run.job_type + " job") +
                ")");
  view.settings = sweep_settings_from_json(nlohmann::json::parse(view.run.spec).at("sweep"));
  const bool maximize = view.settings.goal == sweeps::Goal::Maximize;
  for (const SweepTrial& t : store.sweep_trials(id))
    view.trials.push_back(trial_view(store, t, view.settings));
  std::stable_sort(
      view.trials.begin(), view.trials.end(), [&](const TrialView& a, const TrialView& b) {
        if (a.best_metric.has_value() != b.best_metric.has_value())
          return a.best_metric.has_value();
        if (a.best_metric && *a.best_metric != *b.best_metric)
          return maximize ? *a.best_metric > *b.best_metric : *a.best_metric < *b.best_metric;
        return a.index < b.index;
      });
  if (!view.trials.empty() && view.trials.front().best_metric) {
    view.best_trial = view.trials.front().run.id;
    view.best_metric = view.trials.front().best_metric;
  }
  return view;
}

std::string resolve_run_reference(Store& store, const std::string& reference) {
  constexpr std::string_view kBest = "best:";
  if (!reference.starts_with(kBest)) return reference;
  const std::string id = reference.substr(kBest.size());
  const auto run = store.find_run(id);
  if (!run) throw Error(ErrorKind::NotFound, "'" + reference + "': unknown run '" + id + "'");
  if (!run->is_sweep())
    throw Error("'" + reference + "': run '" + id + "' is not a sweep (best: names a sweep)");
  if (!is_terminal(run->status))
    throw Error(ErrorKind::Conflict, "'" + reference + "': the sweep is still " +
                                         to_string(run->status) +
                                         " (its best trial is known when it ends)");
  const auto it = run->properties.find("best_trial");
  if (it == run->properties.end())
    throw Error(ErrorKind::NotFound,
                "'" + reference + "': no trial of the sweep logged its primary metric");
  return it->second;
}

}  // namespace glia::platform
