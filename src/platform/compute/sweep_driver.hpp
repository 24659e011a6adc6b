// The agent's part of a sweep: a sweep run has no process; on each of the agent's passes the
// driver moves every active sweep of the agent's user on — starts it, applies its
// early-termination policy to the trials' primary metric, samples and creates trials up to its
// limits (each index in the same transaction as its run), cascades a cancel, and ends it with
// its best trial. Everything it decides is in the store first (trials, their parameters,
// cancel reasons), so an agent killed at any point is followed by one that goes on from there:
// the samplers are pure functions of (seed, index), no index is sampled twice.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glia/platform/store.hpp"
#include "glia/platform/sweep_bayesian.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform::compute {

class SweepDriver {
 public:
  SweepDriver(Workspace& ws, int64_t uid) : ws_(ws), uid_(uid) {}
  /// One pass over the user's sweeps that have not ended. Returns how many are still going.
  int64_t tick();

 private:
  struct Trial {
    std::string id;
    sweeps::Parameters params;
    RunStatus status = RunStatus::Queued;
    std::vector<std::pair<int64_t, double>> series;
    bool ended = false;
    bool canceling = false;          // this driver asked for its cancel
    bool lost_with_agent = false;    // Failed because an agent was killed (kAgentLostProperty)
    bool stopped_by_policy = false;  // its cancel was the early-termination policy's
  };
  struct Sweep {
    SweepSettings settings;
    nlohmann::json spec;
    std::vector<RunInput> inputs;
    std::map<int64_t, Trial> trials;  // by index
    // Earlier sweeps (resume_from): their ended trials, for the policy and the sampler.
    std::vector<sweeps::TrialMetrics> prior_metrics;
    std::vector<sweeps::Observation> prior_observations;
    std::vector<int64_t> grid_skipped;  // grid indexes the earlier sweeps tried, ascending
    /// Set when the sweep cannot go on (a sampler refusing its history, say): its trials are
    /// canceled and it ends Failed with this reason.
    std::string fatal;
  };

  void drive(RunRecord sweep);
  Sweep& load(const RunRecord& sweep);
  void refresh(const std::string& sweep_id, Sweep& s);
  void apply_policy(Sweep& s);
  void create_trials(const RunRecord& sweep, Sweep& s);
  sweeps::Parameters sample(Sweep& s, int64_t index);
  int64_t trial_limit(const Sweep& s) const;
  void cancel_trials(Sweep& s, const std::string& reason);
  void finish(const RunRecord& sweep, Sweep& s, RunStatus status, const std::string& why);
  /// Ends a sweep that cannot even be read: its unended trials canceled, then Failed (Canceled
  /// when a cancel was asked) with `why`.
  void abandon(const RunRecord& sweep, const std::string& why);

  struct Retry {
    int failures = 0;
    double at = 0;  // not before (now_seconds())
  };
  std::map<std::string, Retry> retry_;  // sweeps whose last pass threw: back off
  std::set<std::string> reload_;        // sweeps to read again from the store

  Workspace& ws_;
  int64_t uid_;
  std::map<std::string, Sweep> sweeps_;
};

/// The statuses a run has not ended in.
const std::vector<RunStatus>& unended_statuses();

}  // namespace glia::platform::compute
