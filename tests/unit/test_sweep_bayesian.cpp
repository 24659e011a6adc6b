// The Bayesian (TPE) sampler: deterministic, order-free history, the random startup phase,
// values the space can produce, refusals of bad spaces and histories, and that it beats random
// search on known test functions with the same seeds and budget.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <set>

#include "glia/error.hpp"
#include "glia/platform/sweep_bayesian.hpp"
#include "glia/platform/sweep_space.hpp"

namespace glia::platform::sweeps {
namespace {

using nlohmann::json;

SearchSpace space_of(const std::string& text) {
  return parse_search_space(json::parse(text), "sweep");
}

const char* kMixed = R"({
  "lr": {"type": "uniform", "min_value": -2, "max_value": 3},
  "layers": {"type": "quniform", "min_value": 1, "max_value": 9, "q": 2},
  "act": {"type": "choice", "values": ["relu", "tanh", "gelu"]}
})";

double mixed_objective(const Parameters& p) {
  const double act = p.at("act") == "tanh" ? 0.0 : 1.0;
  return -std::pow(p.at("lr").get<double>() - 1.0, 2) -
         0.1 * std::pow(p.at("layers").get<double>() - 5.0, 2) - act;
}

// `n` random observations of the mixed space, scored by mixed_objective.
std::vector<Observation> random_history(const SearchSpace& space, int n, uint64_t seed) {
  std::vector<Observation> h;
  for (int i = 0; i < n; ++i) {
    Parameters p = sample_random(space, seed, i);
    h.push_back({p, mixed_objective(p)});
  }
  return h;
}

TEST(SweepBayesian, StartupTrialsAreRandomSampling) {
  const SearchSpace space = space_of(kMixed);
  ASSERT_EQ(bayesian_startup_trials(), 10);
  for (int n = 0; n < bayesian_startup_trials(); ++n) {
    const auto h = random_history(space, n, 99);
    for (int64_t index : {0, 3, 17}) {
      EXPECT_EQ(sample_bayesian(space, 5, index, h, true), sample_random(space, 5, index));
    }
  }
  // From the 10th observation on the TPE phase draws its own candidates.
  const auto h = random_history(space, bayesian_startup_trials(), 99);
  int differ = 0;
  for (int64_t index = 0; index < 20; ++index) {
    differ += sample_bayesian(space, 5, index, h, true) != sample_random(space, 5, index);
  }
  EXPECT_GT(differ, 15);
}

TEST(SweepBayesian, DeterministicAndHistoryOrderFree) {
  const SearchSpace space = space_of(kMixed);
  auto h = random_history(space, 25, 3);
  // A tie in value must not make the order matter either.
  h[4].value = h[9].value;
  const Parameters first = sample_bayesian(space, 11, 30, h, true);
  EXPECT_EQ(sample_bayesian(space, 11, 30, h, true), first);
  std::reverse(h.begin(), h.end());
  EXPECT_EQ(sample_bayesian(space, 11, 30, h, true), first);
  std::rotate(h.begin(), h.begin() + 7, h.end());
  EXPECT_EQ(sample_bayesian(space, 11, 30, h, true), first);
  // The seed and the index key the draw.
  int differ = 0;
  for (int64_t index = 31; index < 41; ++index) {
    differ += sample_bayesian(space, 11, index, h, true) != first;
  }
  EXPECT_GE(differ, 8);
  EXPECT_NE(sample_bayesian(space, 12, 30, h, true), first);
}

TEST(SweepBayesian, ValuesAreOnesTheSpaceCanProduce) {
  const SearchSpace space = space_of(kMixed);
  const auto h = random_history(space, 30, 8);
  std::set<std::string> acts;
  std::set<int64_t> layers;
  for (int64_t index = 30; index < 330; ++index) {
    const Parameters p = sample_bayesian(space, 1, index, h, index % 2 == 0);
    ASSERT_EQ(p.size(), 3u);
    const double lr = p.at("lr").get<double>();
    EXPECT_TRUE(p.at("lr").is_number_float());
    EXPECT_GE(lr, -2.0);
    EXPECT_LE(lr, 3.0);
    ASSERT_TRUE(p.at("layers").is_number_integer()) << p.at("layers");
    const int64_t l = p.at("layers").get<int64_t>();
    EXPECT_EQ(l % 2, 0) << l;
    EXPECT_GE(l, 0);
    EXPECT_LE(l, 10);
    layers.insert(l);
    acts.insert(p.at("act").get<std::string>());
  }
  // Every choice stays reachable (add-one smoothing), and quniform visits several levels.
  EXPECT_EQ(acts.size(), 3u);
  EXPECT_GE(layers.size(), 3u);
}

TEST(SweepBayesian, RefusesBadSpacesIndicesAndHistories) {
  const SearchSpace space = space_of(kMixed);
  const auto h = random_history(space, 12, 2);
  EXPECT_THROW(sample_bayesian(space_of(R"({"x": {"type": "loguniform", "min_value": -3,
                                          "max_value": 0}})"),
                               0, 0, {}, true),
               Error);
  EXPECT_THROW(
      sample_bayesian(space_of(R"({"x": {"type": "randint", "upper": 3}})"), 0, 0, {}, true),
      Error);
  EXPECT_THROW(sample_bayesian(space, 0, -1, h, true), Error);

  auto expect_refused = [&](const std::function<void(std::vector<Observation>&)>& spoil,
                            const std::string& names) {
    // Refused in the startup phase too (a short history) and in the TPE phase.
    for (std::size_t n : {std::size_t{3}, h.size()}) {
      std::vector<Observation> bad(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(n));
      spoil(bad);
      try {
        sample_bayesian(space, 0, 20, bad, true);
        ADD_FAILURE() << "accepted a history with " << names;
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
        EXPECT_NE(std::string(e.what()).find(names), std::string::npos) << e.what();
      }
    }
  };
  expect_refused([](auto& b) { b[1].params.erase("lr"); }, "history[1].lr");
  expect_refused([](auto& b) { b[2].params["depth"] = 3; }, "history[2].depth");
  expect_refused([](auto& b) { b[0].params["act"] = "sigmoid"; }, "history[0].act");
  expect_refused([](auto& b) { b[0].params["lr"] = "fast"; }, "history[0].lr");
  expect_refused([](auto& b) { b[1].params["lr"] = 3.5; }, "history[1].lr");
  expect_refused([](auto& b) { b[2].params["layers"] = 12; }, "history[2].layers");
  expect_refused([](auto& b) { b[1].value = std::nan(""); }, "history[1].value");
  expect_refused([](auto& b) { b[0].value = INFINITY; }, "history[0].value");
}

// The best value a sequential search reaches in `budget` trials on `f`: Bayesian (feeding its
// own history back) or random with the same seed.
double best_found(const SearchSpace& space, const std::function<double(const Parameters&)>& f,
                  bool maximize, uint64_t seed, int budget, bool bayesian) {
  std::vector<Observation> history;
  double best = maximize ? -INFINITY : INFINITY;
  for (int i = 0; i < budget; ++i) {
    const Parameters p = bayesian ? sample_bayesian(space, seed, i, history, maximize)
                                  : sample_random(space, seed, i);
    const double v = f(p);
    history.push_back({p, v});
    best = maximize ? std::max(best, v) : std::min(best, v);
  }
  return best;
}

struct Comparison {
  double bayes_regret = 0, random_regret = 0;  // mean over seeds of |best - optimum|
  int bayes_wins = 0;                          // seeds where Bayesian did strictly better
};

Comparison compare(const SearchSpace& space, const std::function<double(const Parameters&)>& f,
                   bool maximize, double optimum, int seeds, int budget) {
  Comparison c;
  for (int s = 0; s < seeds; ++s) {
    const auto seed = static_cast<uint64_t>(1000 + s);
    const double rb = std::fabs(best_found(space, f, maximize, seed, budget, true) - optimum);
    const double rr = std::fabs(best_found(space, f, maximize, seed, budget, false) - optimum);
    c.bayes_regret += rb / seeds;
    c.random_regret += rr / seeds;
    c.bayes_wins += rb < rr;
  }
  std::cout << "[ measured ] regret bayesian " << c.bayes_regret << ", random " << c.random_regret
            << ", ratio " << c.bayes_regret / c.random_regret << ", bayesian better on "
            << c.bayes_wins << "/" << seeds << " seeds\n";
  return c;
}

TEST(SweepBayesian, BeatsRandomSearchOnAQuadraticMaximum) {
  const SearchSpace space = space_of(R"({
    "x": {"type": "uniform", "min_value": 0, "max_value": 1},
    "y": {"type": "uniform", "min_value": 0, "max_value": 1}
  })");
  auto f = [](const Parameters& p) {
    return -std::pow(p.at("x").get<double>() - 0.3, 2) - std::pow(p.at("y").get<double>() - 0.7, 2);
  };
  // Measured across other seed sets: ratio 0.03-0.28, Bayesian better on 9-10 of 10 seeds.
  const Comparison c = compare(space, f, true, 0.0, 10, 40);
  EXPECT_LT(c.bayes_regret, 0.5 * c.random_regret);
  EXPECT_GE(c.bayes_wins, 7);
}

TEST(SweepBayesian, BeatsRandomSearchOnBraninMinimum) {
  const SearchSpace space = space_of(R"({
    "x1": {"type": "uniform", "min_value": -5, "max_value": 10},
    "x2": {"type": "uniform", "min_value": 0, "max_value": 15}
  })");
  auto branin = [](const Parameters& p) {
    const double x1 = p.at("x1").get<double>(), x2 = p.at("x2").get<double>();
    const double pi = std::numbers::pi;
    const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
    return std::pow(x2 - b * x1 * x1 + c * x1 - 6, 2) + 10 * (1 - t) * std::cos(x1) + 10;
  };
  // Branin's three minima make 40 trials noisy for both; with 80 trials over 20 seeds the
  // measured ratio was 0.03-0.08 and Bayesian better on 18-20 seeds across other seed sets.
  const Comparison c = compare(space, branin, false, 0.397887, 20, 80);
  EXPECT_LT(c.bayes_regret, 0.3 * c.random_regret);
  EXPECT_GE(c.bayes_wins, 16);
}

TEST(SweepBayesian, PicksTheBestChoicesMoreOftenThanRandom) {
  // 8 x 8 = 64 combinations; the best is (a=5, b="b2"), its neighbours next best.
  const SearchSpace space = space_of(R"({
    "a": {"type": "choice", "values": [0, 1, 2, 3, 4, 5, 6, 7]},
    "b": {"type": "choice", "values": ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"]}
  })");
  auto f = [](const Parameters& p) {
    const int b = p.at("b").get<std::string>()[1] - '0';
    return static_cast<double>(std::abs(p.at("a").get<int>() - 5) + std::abs(b - 2));
  };
  // How many of the trials (all seeds together) get the best combination.
  const int seeds = 20, budget = 30;
  int hits_bayes = 0, hits_random = 0;
  for (int s = 0; s < seeds; ++s) {
    const auto seed = static_cast<uint64_t>(2000 + s);
    std::vector<Observation> history;
    for (int i = 0; i < budget; ++i) {
      const Parameters p = sample_bayesian(space, seed, i, history, false);
      history.push_back({p, f(p)});
      hits_bayes += f(p) == 0.0;
      hits_random += f(sample_random(space, seed, i)) == 0.0;
    }
  }
  std::cout << "[ measured ] trials on the best combination: bayesian " << hits_bayes << ", random "
            << hits_random << " (of " << seeds * budget << ")\n";
  // Random expects 600 / 64 ~ 9.4; measured across other seed sets: Bayesian 80-165,
  // random 6-13.
  EXPECT_GE(hits_bayes, 50);
  EXPECT_GE(hits_bayes, 3 * hits_random);
}

}  // namespace
}  // namespace glia::platform::sweeps
