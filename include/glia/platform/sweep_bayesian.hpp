// A sweep's Bayesian sampler: the Tree-structured Parzen Estimator (TPE) as Hyperopt and Optuna
// define it, over the expressions Azure's bayesian sampling accepts (choice, uniform, quniform).
//
// Like the other samplers it is a pure function: the parameters of trial `index` depend only on
// (space, seed, index, the finished trials' parameters and objective values), so a sweep resumed
// after a crash draws the same parameters again from the same history without stored state.
//
// The algorithm:
//  - while the history holds fewer than bayesian_startup_trials() observations, trial `index` is
//    sample_random(space, seed, index);
//  - otherwise the history is sorted best first (by value, `maximize` or not) and split into the
//    "good" part, its best ceil(bayesian_gamma() * n) observations (at least 1), and the "bad"
//    rest;
//  - per parameter, two Parzen estimators are built, l(x) from the good observations and g(x)
//    from the bad ones: for uniform and quniform a mixture of Gaussians truncated to
//    [min_value, max_value], one centred on each observation with a bandwidth from the distance to
//    its neighbours (Hyperopt's adaptive Parzen estimator, clipped to [range / min(100, n + 1),
//    range]), plus a prior component centred on the range with bandwidth the whole range; for
//    choice a categorical distribution with add-one smoothing;
//  - bayesian_candidates() candidates are drawn from l, each parameter independently, from a
//    generator keyed by splitmix64 of (seed, index); the one with the largest
//    sum over parameters of log l(x) - log g(x) is returned (the first one on a tie). quniform
//    values are rounded to a multiple of q as the other samplers round them.
//
// The history is put in a canonical order (by value, then by the parameters) before use, so its
// order does not change the result.
#pragma once

#include <cstdint>
#include <vector>

#include "glia/platform/sweep_space.hpp"

namespace glia::platform::sweeps {

// A finished trial: the parameters it was given and the primary metric it reached.
struct Observation {
  Parameters params;
  double value = 0;
};

// The TPE settings (Optuna's defaults for the startup trials and candidates; Hyperopt's gamma).
int bayesian_startup_trials();  // 10
double bayesian_gamma();        // 0.25
int bayesian_candidates();      // 24

// The parameters of trial `index` (>= 0) for `seed` given the finished trials in `history`,
// maximizing the value when `maximize`, minimizing it otherwise. Refuses (glia::Error) a space
// check_space_for(space, "bayesian", ...) refuses, a negative index, and a history entry whose
// value is not finite or whose parameters are not exactly the space's names with values the
// space can produce (a number for uniform/quniform, one of the values for choice): each message
// names the observation and the parameter.
Parameters sample_bayesian(const SearchSpace& space, uint64_t seed, int64_t index,
                           const std::vector<Observation>& history, bool maximize);

}  // namespace glia::platform::sweeps
