// A sweep's search space and its non-Bayesian samplers, as Azure ML CLI v2 defines them.
//
// A search space maps parameter names to expressions (`{type: choice, values: [...]}`,
// `{type: loguniform, min_value: -6, max_value: -1}`, ...), given here as the JSON the sweep
// YAML becomes. The samplers are pure functions of (space, seed, trial index): a sweep resumed
// after a crash draws the same parameters again without any stored sampler state.
//
// Semantics (Azure's): randint(upper) draws an integer in [0, upper); loguniform's bounds are
// exponents, value = exp(uniform(min_value, max_value)); lognormal = exp(normal(mu, sigma)); the
// q-forms round to a multiple of q: round(x / q) * q (an integer when q is a whole number).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace glia::platform::sweeps {

enum class ExpressionKind {
  Choice,
  Randint,
  Uniform,
  Quniform,
  Loguniform,
  Qloguniform,
  Normal,
  Qnormal,
  Lognormal,
  Qlognormal,
};

// Azure CLI v2's name of a kind: "choice", "randint", "uniform", ...
std::string to_string(ExpressionKind kind);
// The kind a name stands for; an unknown name is refused (glia::Error naming `where`, listing
// the valid names).
ExpressionKind parse_kind(const std::string& name, const std::string& where);

struct Expression {
  ExpressionKind kind = ExpressionKind::Choice;
  std::vector<nlohmann::json> values;  // choice: the scalars to choose from
  double min_value = 0;                // uniform-like bounds (loguniform: exponents)
  double max_value = 0;
  double mu = 0;      // normal-like
  double sigma = 0;   // normal-like, > 0
  double q = 0;       // q-forms, > 0
  int64_t upper = 0;  // randint: [0, upper)
};

// One expression from its YAML shape, e.g. {type: quniform, min_value: 1, max_value: 9, q: 2}.
// Every key is checked: unknown type, missing or extra keys, non-numbers, min_value >= max_value,
// sigma <= 0, q <= 0, upper < 1, an empty choice or one with non-scalar values are refused with
// a one-line glia::Error naming `where` and the key.
Expression parse_expression(const nlohmann::json& j, const std::string& where);

using Parameters = std::map<std::string, nlohmann::json>;
using SearchSpace = std::map<std::string, Expression>;

// A whole `search_space:` mapping (name -> expression); an empty one is refused.
SearchSpace parse_search_space(const nlohmann::json& j, const std::string& where);

// Refuses a space the sampling algorithm ("random", "grid" or "bayesian") cannot sample: grid
// needs choice only, bayesian accepts choice, uniform and quniform only (Azure's rule). The
// error names the parameter and its expression.
void check_space_for(const SearchSpace& space, const std::string& algorithm,
                     const std::string& where);

// Random sampling: the parameters of trial `index` (>= 0) for `seed`. Each parameter's draw
// depends only on (seed, index, parameter name), never on earlier draws.
Parameters sample_random(const SearchSpace& space, uint64_t seed, int64_t index);

// Random sampling with `rule: sobol`: point `index` (>= 0) of a Sobol sequence (Joe-Kuo
// direction numbers, one dimension per parameter in name order, the origin skipped), scrambled
// by a random digital shift drawn from `seed`, mapped through each expression's inverse CDF.
// At most sobol_max_dimensions() parameters.
Parameters sample_sobol(const SearchSpace& space, uint64_t seed, int64_t index);
std::size_t sobol_max_dimensions();
// The plain (unscrambled) Sobol point n in Gray-code order, n = 0 being the origin:
// n = 1, 2, 3 give (0.5, 0.5), (0.75, 0.25), (0.25, 0.75) in 2-D.
std::vector<double> sobol_unit_point(std::size_t dimensions, uint64_t n);

// Grid sampling: every combination of the choices, the last name varying fastest.
// grid_size refuses a non-choice space or a product larger than int64 holds; sample_grid
// refuses an index outside [0, grid_size).
int64_t grid_size(const SearchSpace& space);
Parameters sample_grid(const SearchSpace& space, int64_t index);
// The inverse of sample_grid: the index of a combination, or nullopt when `params` is not one
// of the grid's (another name, a value not among the choices).
std::optional<int64_t> grid_index(const SearchSpace& space, const Parameters& params);

}  // namespace glia::platform::sweeps
