#include "compute/sweep_driver.hpp"

#include <algorithm>
#include <cstdio>

#include "compute/finish.hpp"
#include "compute/sweep_trial.hpp"
#include "glia/error.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/sweep_runs.hpp"

namespace glia::platform::compute {

namespace {

// The trial property naming the policy that stopped it (sweep_runs.cpp reads it back).
constexpr const char* kEarlyTerminationProperty = "early_termination";

std::string number_text(double v) {
  return nlohmann::json(v).dump();  // the shortest text that reads back exactly
}

// A sweep that cannot go on whatever is tried again (its recorded data cannot be read, a
// sampler or policy refusing its input): thrown by the pure steps only, never for a store error,
// which the next pass tries again.
struct Broken {
  std::string why;
};

// Runs a pure step, turning what it throws into Broken.
template <typename F>
auto pure_step(const std::string& what, F&& step) {
  try {
    return step();
  } catch (const nlohmann::json::exception& e) {
    throw Broken{what + ": " + e.what()};
  } catch (const Error& e) {
    throw Broken{what + ": " + e.what()};
  }
}

// Whether `params` is a point of `space`: its names, a choice's values, numbers in a range's
// bounds (what the TPE sampler accepts as history).
bool fits(const sweeps::SearchSpace& space, const sweeps::Parameters& params) {
  if (params.size() != space.size()) return false;
  for (const auto& [name, e] : space) {
    const auto it = params.find(name);
    if (it == params.end()) return false;
    if (e.kind == sweeps::ExpressionKind::Choice) {
      if (std::find(e.values.begin(), e.values.end(), it->second) == e.values.end()) return false;
    } else if (!it->second.is_number()) {
      return false;
    } else if (e.kind == sweeps::ExpressionKind::Uniform ||
               e.kind == sweeps::ExpressionKind::Quniform) {
      // quniform's rounding may step up to q outside the range (as the TPE sampler allows)
      const double slack = e.kind == sweeps::ExpressionKind::Quniform ? e.q : 0.0;
      const double v = it->second.get<double>();
      if (v < e.min_value - slack || v > e.max_value + slack) return false;
    }
  }
  return true;
}

sweeps::Parameters parse_parameters(const std::string& text) {
  return nlohmann::json::parse(text).get<sweeps::Parameters>();
}

// Moves a run on, or leaves it when it has moved on by itself meanwhile (ended, say).
bool try_status(Store& store, const std::string& id, RunStatus status, const std::string& why) {
  try {
    store.set_status(id, status, now_seconds(), std::nullopt, why);
    return true;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Conflict) throw;
    return false;
  }
}

// Properties are set once: one already set (by an agent before a crash) stands.
void try_properties(Store& store, const std::string& id,
                    const std::map<std::string, std::string>& properties) {
  try {
    store.add_properties(id, properties);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Conflict) throw;
  }
}

}  // namespace

const std::vector<RunStatus>& unended_statuses() {
  static const std::vector<RunStatus> all = [] {
    std::vector<RunStatus> out;
    for (RunStatus s :
         {RunStatus::NotStarted, RunStatus::Queued, RunStatus::Preparing, RunStatus::Starting,
          RunStatus::Running, RunStatus::Finalizing, RunStatus::CancelRequested})
      out.push_back(s);
    return out;
  }();
  return all;
}

int64_t SweepDriver::tick() {
  RunFilter f;
  f.any_status = {RunStatus::Queued, RunStatus::Running, RunStatus::CancelRequested};
  f.submitter_uid = uid_;
  f.oldest_first = true;
  f.limit = 100000;
  std::set<std::string> seen;
  int64_t going = 0;
  for (RunRecord& r : ws_.store().list_runs(f)) {
    if (!r.is_sweep()) continue;
    const std::string id = r.id;
    seen.insert(id);
    ++going;
    const double now = now_seconds();
    auto retry = retry_.find(id);
    if (retry != retry_.end() && now < retry->second.at) continue;
    try {
      drive(std::move(r));
      retry_.erase(id);
    } catch (const std::exception& e) {  // the store busy, say: a later pass tries again
      Retry& again = retry_[id];
      ++again.failures;  // backing off up to 30 s between tries, logged now and then
      again.at = now + std::min(30.0, 0.1 * static_cast<double>(1 << std::min(again.failures, 9)));
      if ((again.failures & (again.failures - 1)) == 0)
        std::fprintf(stderr, "glia agent: sweep %s (%d failed passes): %s\n", id.c_str(),
                     again.failures, e.what());
      sweeps_.erase(id);  // read again from the store next time
    }
    if (reload_.erase(id)) sweeps_.erase(id);
  }
  std::erase_if(sweeps_, [&](const auto& entry) { return !seen.count(entry.first); });
  std::erase_if(retry_, [&](const auto& entry) { return !seen.count(entry.first); });
  return going;
}

SweepDriver::Sweep& SweepDriver::load(const RunRecord& sweep) {
  if (auto it = sweeps_.find(sweep.id); it != sweeps_.end()) return it->second;
  Store& store = ws_.store();
  Sweep s;
  pure_step("its recorded spec cannot be read", [&] {
    s.spec = nlohmann::json::parse(sweep.spec);
    s.settings = sweep_settings_from_json(s.spec.at("sweep"));
    if (!s.spec.contains("trial") || !s.spec["trial"].is_object())
      throw Error(ErrorKind::Corrupt, "it has no trial");
  });
  s.inputs = store.run_inputs(sweep.id);
  for (const SweepTrial& t : store.sweep_trials(sweep.id)) {
    Trial trial;
    trial.id = t.run_id;
    trial.params = pure_step("trial " + std::to_string(t.index) + "'s parameters cannot be read",
                             [&] { return parse_parameters(t.parameters); });
    const RunRecord run = store.get_run(t.run_id);
    trial.status = run.status;
    trial.ended = is_terminal(run.status);
    trial.canceling = run.status == RunStatus::CancelRequested;
    trial.lost_with_agent = run.properties.count(kAgentLostProperty) > 0;
    trial.stopped_by_policy = run.properties.count(kEarlyTerminationProperty) > 0;
    trial.series = trial_series(store, t.run_id, s.settings.primary_metric);
    s.trials.emplace(t.index, std::move(trial));
  }
  const bool grid = s.settings.sampling_algorithm == "grid";
  for (const std::string& earlier : s.settings.resume_from) {
    for (const SweepTrial& t : store.sweep_trials(earlier)) {
      const auto run = store.find_run(t.run_id);
      if (!run || !is_terminal(run->status)) continue;
      const sweeps::Parameters params =
          pure_step("resume_from: " + earlier + " trial " + std::to_string(t.index) +
                        "'s parameters cannot be read",
                    [&] { return parse_parameters(t.parameters); });
      if (grid)
        if (const auto i = sweeps::grid_index(s.settings.search_space, params))
          s.grid_skipped.push_back(*i);
      auto series = trial_series(store, t.run_id, s.settings.primary_metric);
      if (series.empty()) continue;
      if (fits(s.settings.search_space, params))  // TPE learns only from points of this space
        s.prior_observations.push_back({params, *best_value(series, s.settings.goal)});
      s.prior_metrics.push_back({t.run_id, std::move(series), true});
    }
  }
  std::sort(s.grid_skipped.begin(), s.grid_skipped.end());
  s.grid_skipped.erase(std::unique(s.grid_skipped.begin(), s.grid_skipped.end()),
                       s.grid_skipped.end());
  return sweeps_.emplace(sweep.id, std::move(s)).first->second;
}

void SweepDriver::refresh(const std::string& sweep_id, Sweep& s) {
  Store& store = ws_.store();
  RunFilter f;
  f.parent_id = sweep_id;
  f.any_status = unended_statuses();
  f.limit = 1000000;
  std::map<std::string, RunStatus> active;
  for (const RunRecord& r : store.list_runs(f)) active[r.id] = r.status;
  for (auto& [index, t] : s.trials) {
    if (t.ended) continue;
    if (auto it = active.find(t.id); it != active.end()) {
      t.status = it->second;
      if (t.status == RunStatus::CancelRequested) t.canceling = true;
      if (t.status == RunStatus::Running || t.status == RunStatus::CancelRequested ||
          t.status == RunStatus::Finalizing)
        t.series = trial_series(store, t.id, s.settings.primary_metric);
      continue;
    }
    const RunRecord run = store.get_run(t.id);  // ended since the last pass: its series is final
    t.status = run.status;
    t.lost_with_agent = run.properties.count(kAgentLostProperty) > 0;
    t.ended = true;
    t.series = trial_series(store, t.id, s.settings.primary_metric);
  }
}

void SweepDriver::apply_policy(Sweep& s) {
  if (!s.settings.early_termination) return;
  std::vector<sweeps::TrialMetrics> trials = s.prior_metrics;
  for (const auto& [index, t] : s.trials) {
    if (t.series.empty()) continue;
    // Ended, or its process has (Finalizing): finished. Running, or being stopped: running (a
    // trial being stopped is never stopped twice, below).
    if (t.ended || t.status == RunStatus::Finalizing)
      trials.push_back({t.id, t.series, true});
    else if (t.status == RunStatus::Running || t.status == RunStatus::CancelRequested)
      trials.push_back({t.id, t.series, false});
  }
  const auto stop = pure_step("its early-termination policy refused the metrics", [&] {
    return std::visit(
        [&](const auto& policy) {
          return sweeps::decide(policy, s.settings.goal, s.settings.primary_metric, trials);
        },
        *s.settings.early_termination);
  });
  const std::string policy = policy_name(*s.settings.early_termination);
  for (const sweeps::Termination& t : stop) {
    for (auto& [index, trial] : s.trials) {
      if (trial.id != t.trial || trial.ended || trial.canceling) continue;
      // The reason and the cancel in one transaction: the trial ends Canceled with it, and a
      // trial that ended first carries no reason it was not stopped for.
      trial.stopped_by_policy = ws_.store().request_cancel(
          trial.id, {{kCancelReasonProperty, t.reason}, {kEarlyTerminationProperty, policy}},
          now_seconds());
      trial.canceling = true;
    }
  }
}

int64_t SweepDriver::trial_limit(const Sweep& s) const {
  int64_t limit = s.settings.limits.max_total_trials;
  if (s.settings.sampling_algorithm == "grid")
    limit = std::min(limit, sweeps::grid_size(s.settings.search_space) -
                                static_cast<int64_t>(s.grid_skipped.size()));
  return limit;
}

sweeps::Parameters SweepDriver::sample(Sweep& s, int64_t index) {
  const SweepSettings& st = s.settings;
  const uint64_t seed = st.seed.value_or(0);
  if (st.sampling_algorithm == "grid") {
    int64_t i = index;  // the index-th combination the earlier sweeps did not try
    for (const int64_t skipped : s.grid_skipped)
      if (skipped <= i) ++i;
    return sweeps::sample_grid(st.search_space, i);
  }
  if (st.sampling_algorithm == "bayesian") {
    std::vector<sweeps::Observation> history = s.prior_observations;
    for (const auto& [i, t] : s.trials)
      if (t.ended && !t.lost_with_agent && !t.series.empty())  // a lost trial's series is partial
        history.push_back({t.params, *best_value(t.series, st.goal)});
    return sweeps::sample_bayesian(st.search_space, seed, index, history,
                                   st.goal == sweeps::Goal::Maximize);
  }
  return st.rule == "sobol" ? sweeps::sample_sobol(st.search_space, seed, index)
                            : sweeps::sample_random(st.search_space, seed, index);
}

void SweepDriver::create_trials(const RunRecord& sweep, Sweep& s) {
  const int64_t limit = trial_limit(s);
  int64_t next = s.trials.empty() ? 0 : s.trials.rbegin()->first + 1;
  int64_t active = std::count_if(s.trials.begin(), s.trials.end(),
                                 [](const auto& t) { return !t.second.ended; });
  while (next < limit && active < s.settings.limits.concurrent()) {
    Trial t;
    const std::string what = "trial " + std::to_string(next) + " cannot be made";
    t.params = pure_step(what, [&] { return sample(s, next); });
    const NewRun run = pure_step(
        what, [&] { return trial_run(ws_.root(), sweep, s.spec, s.inputs, next, t.params); });
    try {
      t.id = ws_.store().create_run(run).id;  // with its index: never sampled twice
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Conflict) throw;
      // The sweep is being canceled (the next pass sees it), or the store knows this index:
      // read the sweep again from the store.
      std::fprintf(stderr, "glia agent: sweep %s: %s\n", sweep.id.c_str(), e.what());
      reload_.insert(sweep.id);
      return;
    }
    s.trials.emplace(next, std::move(t));
    ++next;
    ++active;
  }
}

void SweepDriver::cancel_trials(Sweep& s, const std::string& reason) {
  for (auto& [index, t] : s.trials) {
    if (t.ended || t.canceling) continue;
    ws_.store().request_cancel(t.id, {{kCancelReasonProperty, reason}}, now_seconds());
    t.canceling = true;
  }
}

void SweepDriver::finish(const RunRecord& sweep, Sweep& s, RunStatus status,
                         const std::string& why) {
  std::optional<std::pair<int64_t, double>> best;  // index, value
  int64_t completed = 0, failed = 0, canceled = 0, stopped_early = 0;
  for (const auto& [index, t] : s.trials) {
    completed += t.status == RunStatus::Completed;
    failed += t.status == RunStatus::Failed;
    canceled += t.status == RunStatus::Canceled;
    if (const auto v = best_value(t.series, s.settings.goal))
      if (!best ||
          (s.settings.goal == sweeps::Goal::Maximize ? *v > best->second : *v < best->second))
        best = {index, *v};
  }
  std::map<std::string, std::string> props{{"trials", std::to_string(s.trials.size())},
                                           {"trials_completed", std::to_string(completed)},
                                           {"trials_failed", std::to_string(failed)},
                                           {"trials_canceled", std::to_string(canceled)}};
  for (const auto& [index, t] : s.trials)
    stopped_early += t.status == RunStatus::Canceled && t.stopped_by_policy;
  props["trials_early_terminated"] = std::to_string(stopped_early);
  if (best) {
    props["best_trial"] = s.trials.at(best->first).id;
    props["best_metric"] = number_text(best->second);
  }
  std::string error = why;
  if (status == RunStatus::Completed && completed == 0) {
    status = RunStatus::Failed;
    error = "no trial completed (" + std::to_string(failed) + " failed, " +
            std::to_string(canceled) + " canceled)" + (why.empty() ? "" : "; " + why);
  } else if (status == RunStatus::Completed && !why.empty()) {
    props["stopped"] = why;  // a Completed run carries no error
    error.clear();
  }
  try_properties(ws_.store(), sweep.id, props);
  try_status(ws_.store(), sweep.id, status, error);
  sweeps_.erase(sweep.id);
}

void SweepDriver::abandon(const RunRecord& sweep, const std::string& why) {
  Store& store = ws_.store();
  RunFilter f;
  f.parent_id = sweep.id;
  f.any_status = unended_statuses();
  f.limit = 1000000;
  for (const RunRecord& trial : store.list_runs(f))  // none runs on without its sweep
    store.request_cancel(trial.id, {{kCancelReasonProperty, "the sweep " + sweep.id + " " + why}},
                         now_seconds());
  const bool canceling = sweep.status == RunStatus::CancelRequested;
  try_status(store, sweep.id, canceling ? RunStatus::Canceled : RunStatus::Failed,
             canceling ? "canceled (" + why + ")" : why);
}

void SweepDriver::drive(RunRecord sweep) {
  Store& store = ws_.store();
  Sweep* loaded = nullptr;
  try {
    loaded = &load(sweep);
  } catch (const Broken& broken) {
    abandon(sweep, broken.why);
    return;
  }
  Sweep& s = *loaded;
  if (sweep.status == RunStatus::Queued) {
    if (!try_status(store, sweep.id, RunStatus::Running, "")) return;  // canceled meanwhile
    sweep = store.get_run(sweep.id);
  }
  refresh(sweep.id, s);
  const SweepLimits& limits = s.settings.limits;
  int64_t failed = 0;  // by the trials themselves: those lost with a killed agent do not count
  for (const auto& [index, t] : s.trials)
    if (t.ended && t.status == RunStatus::Failed && !t.lost_with_agent) ++failed;
  std::string stop;
  RunStatus end = RunStatus::Completed;
  if (sweep.status == RunStatus::CancelRequested) {
    stop = "canceled";
    end = RunStatus::Canceled;
    cancel_trials(s, "the sweep " + sweep.id + " was canceled");
  } else if (!s.fatal.empty()) {
    stop = s.fatal;
    end = RunStatus::Failed;
    cancel_trials(s, "the sweep " + sweep.id + " stopped: " + stop);
  } else if (limits.max_failed_trials && failed > *limits.max_failed_trials) {
    stop = std::to_string(failed) + " trials failed (limits.max_failed_trials: " +
           std::to_string(*limits.max_failed_trials) + ")";
    end = RunStatus::Failed;
    cancel_trials(s, "the sweep " + sweep.id + " stopped: " + stop);
  } else if (limits.timeout && sweep.started_at &&
             now_seconds() - *sweep.started_at >= *limits.timeout) {
    stop = "the sweep reached limits.timeout (" + number_text(*limits.timeout) + " s)";
    cancel_trials(s, "the sweep " + sweep.id + " stopped: " + stop);
  }
  if (stop.empty()) {
    try {  // a store error goes up: a later pass tries again
      apply_policy(s);
      create_trials(sweep, s);
    } catch (const Broken& broken) {  // it would come back every pass: the sweep ends
      s.fatal = broken.why;
    }
    if (!s.fatal.empty()) {
      stop = s.fatal;
      end = RunStatus::Failed;
      cancel_trials(s, "the sweep " + sweep.id + " stopped: " + stop);
    }
  }
  const bool all_ended =
      std::all_of(s.trials.begin(), s.trials.end(), [](const auto& t) { return t.second.ended; });
  if (!all_ended) return;
  const int64_t created = s.trials.empty() ? 0 : s.trials.rbegin()->first + 1;
  if (stop.empty() && created < trial_limit(s)) return;  // more to come
  finish(sweep, s, end, stop == "canceled" ? "canceled" : stop);
}

}  // namespace glia::platform::compute
