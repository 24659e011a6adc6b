// Bayesian sampling: the Tree-structured Parzen Estimator (see sweep_bayesian.hpp), a pure
// function of (space, seed, index, history).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/sweep_bayesian.hpp"
#include "sweeps/expression_value.hpp"

namespace glia::platform::sweeps {

namespace {

constexpr int kStartupTrials = 10;
constexpr double kGamma = 0.25;
constexpr int kCandidates = 24;

// A splitmix64 stream: the generator of one trial's candidates.
class Stream {
 public:
  explicit Stream(uint64_t key) : state_(key) {}
  double uniform() {  // in (0, 1)
    const uint64_t bits = detail::splitmix64(state_);
    state_ += 0x9E3779B97F4A7C15ULL;
    return detail::unit_from_bits(bits);
  }

 private:
  uint64_t state_;
};

double normal_cdf(double z) {
  return 0.5 * std::erfc(-z / std::numbers::sqrt2);
}

// log(sum(exp(xs))), stable.
double log_sum_exp(const std::vector<double>& xs) {
  const double m = *std::max_element(xs.begin(), xs.end());
  if (!std::isfinite(m)) return m;
  double s = 0;
  for (double x : xs) s += std::exp(x - m);
  return m + std::log(s);
}

// A mixture of equally weighted Gaussians truncated to [low, high].
struct TruncatedMixture {
  double low = 0, high = 1;
  std::vector<double> mus, sigmas;
  std::vector<double> log_masses;  // log(Phi(b) - Phi(a)) of each component

  double sample(Stream& stream) const {
    const double pick = stream.uniform() * static_cast<double>(mus.size());
    const auto k = std::min(static_cast<std::size_t>(pick), mus.size() - 1);
    const double pa = normal_cdf((low - mus[k]) / sigmas[k]);
    const double pb = normal_cdf((high - mus[k]) / sigmas[k]);
    double p = pa + stream.uniform() * (pb - pa);
    p = std::clamp(p, 1e-15, 1.0 - 1e-15);
    const double x = mus[k] + sigmas[k] * detail::inverse_normal_cdf(p);
    return std::clamp(x, low, high);
  }

  double log_density(double x) const {
    std::vector<double> terms;
    terms.reserve(mus.size());
    const double log_n = std::log(static_cast<double>(mus.size()));
    for (std::size_t k = 0; k < mus.size(); ++k) {
      const double z = (x - mus[k]) / sigmas[k];
      terms.push_back(-0.5 * z * z - std::log(sigmas[k]) - 0.5 * std::log(2 * std::numbers::pi) -
                      log_masses[k] - log_n);
    }
    return log_sum_exp(terms);
  }
};

// Hyperopt's adaptive Parzen estimator over [low, high]: one component per observation, with a
// bandwidth from the gaps to its neighbours (the prior's centre counting as a neighbour), clipped
// to [range / min(100, n + 1), range], plus the prior N(centre, range).
TruncatedMixture parzen(std::vector<double> points, double low, double high) {
  TruncatedMixture m;
  m.low = low;
  m.high = high;
  const double range = high - low;
  const double prior_mu = 0.5 * (low + high);
  const double max_sigma = range;
  const double min_sigma = range / std::min(100.0, static_cast<double>(points.size()) + 1.0);
  std::sort(points.begin(), points.end());
  // The prior's centre goes after any equal observations; its slot is `prior_at`.
  const auto prior_at = static_cast<std::size_t>(
      std::upper_bound(points.begin(), points.end(), prior_mu) - points.begin());
  std::vector<double> all = points;
  all.insert(all.begin() + static_cast<std::ptrdiff_t>(prior_at), prior_mu);
  for (std::size_t i = 0; i < all.size(); ++i) {
    double sigma;
    if (i == prior_at) {
      sigma = range;
    } else {
      const double left = i > 0 ? all[i] - all[i - 1] : 0.0;
      const double right = i + 1 < all.size() ? all[i + 1] - all[i] : 0.0;
      sigma = std::clamp(std::max(left, right), min_sigma, max_sigma);
    }
    m.mus.push_back(all[i]);
    m.sigmas.push_back(sigma);
    const double mass =
        normal_cdf((high - all[i]) / sigma) - normal_cdf((low - all[i]) / sigma);  // >= ~0.34
    m.log_masses.push_back(std::log(mass));
  }
  return m;
}

// A categorical distribution over `n` choices with add-one smoothing.
struct Categorical {
  std::vector<double> weights;  // sum 1

  std::size_t sample(Stream& stream) const {
    double u = stream.uniform();
    for (std::size_t i = 0; i + 1 < weights.size(); ++i) {
      if (u < weights[i]) return i;
      u -= weights[i];
    }
    return weights.size() - 1;
  }
  double log_density(std::size_t i) const { return std::log(weights[i]); }
};

Categorical categorical(const std::vector<std::size_t>& picks, std::size_t n) {
  Categorical c;
  c.weights.assign(n, 1.0);
  for (std::size_t i : picks) c.weights[i] += 1.0;
  const double total = static_cast<double>(n + picks.size());
  for (double& w : c.weights) w /= total;
  return c;
}

// An observation of one parameter: the position of its choice, or its number.
struct Point {
  std::size_t choice = 0;
  double x = 0;
};

std::string where_of(std::size_t observation, const std::string& name) {
  return "bayesian sampling: history[" + std::to_string(observation) + "]." + name;
}

// The observation `i`'s value of parameter `name`, checked against `e`.
Point point_of(const Observation& o, std::size_t i, const std::string& name, const Expression& e) {
  const auto it = o.params.find(name);
  if (it == o.params.end()) {
    throw Error(where_of(i, name) + ": missing (expected every parameter of the search space)");
  }
  const nlohmann::json& v = it->second;
  Point p;
  if (e.kind == ExpressionKind::Choice) {
    const auto found = std::find(e.values.begin(), e.values.end(), v);
    if (found == e.values.end()) {
      throw Error(where_of(i, name) + ": " + v.dump() + " is not one of the choice's values");
    }
    p.choice = static_cast<std::size_t>(found - e.values.begin());
    return p;
  }
  // uniform, quniform: a number in the range (quniform's rounding may step up to q outside it).
  const double slack = e.kind == ExpressionKind::Quniform ? e.q : 0.0;
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < e.min_value - slack ||
      v.get<double>() > e.max_value + slack) {
    throw Error(where_of(i, name) + ": " + v.dump() + " is not a number in [" +
                std::to_string(e.min_value) + ", " + std::to_string(e.max_value) + "]");
  }
  p.x = std::clamp(v.get<double>(), e.min_value, e.max_value);
  return p;
}

// One parameter's pair of estimators.
struct Estimators {
  bool is_choice = false;
  Categorical good_c, bad_c;
  TruncatedMixture good_m, bad_m;
};

}  // namespace

int bayesian_startup_trials() {
  return kStartupTrials;
}
double bayesian_gamma() {
  return kGamma;
}
int bayesian_candidates() {
  return kCandidates;
}

Parameters sample_bayesian(const SearchSpace& space, uint64_t seed, int64_t index,
                           const std::vector<Observation>& history, bool maximize) {
  check_space_for(space, "bayesian", "sweep");
  if (index < 0) {
    throw Error("bayesian sampling: trial index must be >= 0, got " + std::to_string(index));
  }
  // Check every observation, whatever the phase, so a bad history is refused at once.
  std::vector<std::map<std::string, Point>> points(history.size());
  for (std::size_t i = 0; i < history.size(); ++i) {
    const Observation& o = history[i];
    if (!std::isfinite(o.value)) {
      throw Error("bayesian sampling: history[" + std::to_string(i) +
                  "].value: expected a finite number");
    }
    for (const auto& [name, v] : o.params) {
      if (space.count(name) == 0) {
        throw Error(where_of(i, name) + ": not a parameter of the search space");
      }
    }
    for (const auto& [name, e] : space) points[i].emplace(name, point_of(o, i, name, e));
  }
  if (history.size() < static_cast<std::size_t>(kStartupTrials)) {
    return sample_random(space, seed, index);
  }

  // The canonical order, best first: by value, then by the parameters' JSON (std::map keeps the
  // names sorted), so neither the history's order nor ties change the split.
  std::vector<std::size_t> order(history.size());
  std::vector<std::string> keys(history.size());
  for (std::size_t i = 0; i < history.size(); ++i) {
    order[i] = i;
    keys[i] = nlohmann::json(history[i].params).dump();
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const double va = history[a].value, vb = history[b].value;
    if (va != vb) return maximize ? va > vb : va < vb;
    return keys[a] < keys[b];
  });
  const auto n = history.size();
  const auto n_good = std::max<std::size_t>(
      1, static_cast<std::size_t>(std::ceil(kGamma * static_cast<double>(n))));

  std::map<std::string, Estimators> estimators;
  for (const auto& [name, e] : space) {
    Estimators est;
    est.is_choice = e.kind == ExpressionKind::Choice;
    if (est.is_choice) {
      std::vector<std::size_t> good, bad;
      for (std::size_t r = 0; r < n; ++r) {
        (r < n_good ? good : bad).push_back(points[order[r]].at(name).choice);
      }
      est.good_c = categorical(good, e.values.size());
      est.bad_c = categorical(bad, e.values.size());
    } else {
      std::vector<double> good, bad;
      for (std::size_t r = 0; r < n; ++r) {
        (r < n_good ? good : bad).push_back(points[order[r]].at(name).x);
      }
      est.good_m = parzen(good, e.min_value, e.max_value);
      est.bad_m = parzen(bad, e.min_value, e.max_value);
    }
    estimators.emplace(name, std::move(est));
  }

  using detail::splitmix64;
  Stream stream(splitmix64(splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(index)) ^
                           detail::fnv1a("bayesian")));
  Parameters best;
  double best_score = -std::numeric_limits<double>::infinity();
  for (int c = 0; c < kCandidates; ++c) {
    Parameters candidate;
    double score = 0;
    for (const auto& [name, e] : space) {
      const Estimators& est = estimators.at(name);
      if (est.is_choice) {
        const std::size_t i = est.good_c.sample(stream);
        score += est.good_c.log_density(i) - est.bad_c.log_density(i);
        candidate.emplace(name, e.values.at(i));
        continue;
      }
      const double x = est.good_m.sample(stream);
      nlohmann::json value;
      double at = x;
      if (e.kind == ExpressionKind::Quniform) {
        // Rounded as the other samplers round; scored where it lands.
        const double u = std::clamp((x - e.min_value) / (e.max_value - e.min_value), 0.0, 1.0);
        value = detail::value_from_uniform(e, u);
        at = std::clamp(value.get<double>(), e.min_value, e.max_value);
      } else {
        value = x == 0.0 ? 0.0 : x;  // never -0.0
      }
      score += est.good_m.log_density(at) - est.bad_m.log_density(at);
      candidate.emplace(name, std::move(value));
    }
    if (c == 0 || score > best_score) {
      best_score = score;
      best = std::move(candidate);
    }
  }
  return best;
}

}  // namespace glia::platform::sweeps
