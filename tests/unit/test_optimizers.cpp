// Optimizers against Keras 3's formulas, recomputed independently here in double: three steps of
// each optimizer on two small variables with given gradients, through glia::Optimizer::apply on
// the "reference" and "cpu" backends. Also gradient clipping, weight decay, learning-rate
// schedules, make_optimizer and argument errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "glia/error.hpp"
#include "glia/optimizers.hpp"
#include "harness.hpp"

namespace glia {
namespace {

using Vec = std::vector<double>;
using Steps = std::vector<std::vector<Vec>>;  // [step][variable] -> gradient

// Two variables (a "kernel" with a zero weight and a "bias") and three steps of gradients,
// including a zero gradient and a sign change.
const std::vector<Vec> kInitial = {{0.5, -1.2, 0.0, 2.0}, {0.1, -0.3}};
const Steps kGrads = {
    {{0.1, -0.2, 0.3, -0.4}, {0.05, 0.6}},
    {{-0.05, 0.4, 0.0, 1.0}, {-0.1, 0.2}},
    {{0.2, 0.1, -0.3, 0.25}, {0.3, -0.7}},
};

// ---- Keras 3 update rules in double ----

using Rule = std::function<void(size_t var, Vec& w, const Vec& g, int t)>;  // t = 1, 2, 3

struct RmsState {
  std::vector<Vec> v, m, a;
};
Rule rmsprop(double lr, double rho, double momentum, double eps, bool centered) {
  auto st = std::make_shared<RmsState>();
  return [=](size_t k, Vec& w, const Vec& g, int) {
    if (st->v.size() <= k) st->v.resize(k + 1), st->m.resize(k + 1), st->a.resize(k + 1);
    Vec &v = st->v[k], &m = st->m[k], &a = st->a[k];
    v.resize(w.size()), m.resize(w.size()), a.resize(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
      v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
      double denom = v[i] + eps;
      if (centered) {
        a[i] = rho * a[i] + (1 - rho) * g[i];
        denom = v[i] - a[i] * a[i] + eps;
      }
      const double inc = lr * g[i] / std::sqrt(denom);  // epsilon inside the root
      if (momentum > 0) {
        m[i] = momentum * m[i] + inc;
        w[i] -= m[i];
      } else {
        w[i] -= inc;
      }
    }
  };
}

struct AdamState {
  std::vector<Vec> m, v, vhat;
};
Rule adam(double lr, double b1, double b2, double eps, bool amsgrad) {
  auto st = std::make_shared<AdamState>();
  return [=](size_t k, Vec& w, const Vec& g, int t) {
    if (st->m.size() <= k) st->m.resize(k + 1), st->v.resize(k + 1), st->vhat.resize(k + 1);
    Vec &m = st->m[k], &v = st->v[k], &vhat = st->vhat[k];
    m.resize(w.size()), v.resize(w.size()), vhat.resize(w.size());
    const double alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    for (size_t i = 0; i < w.size(); ++i) {
      m[i] += (g[i] - m[i]) * (1 - b1);
      v[i] += (g[i] * g[i] - v[i]) * (1 - b2);
      double denom = v[i];
      if (amsgrad) denom = vhat[i] = std::max(vhat[i], v[i]);
      w[i] -= m[i] * alpha / (std::sqrt(denom) + eps);  // epsilon outside the root
    }
  };
}

Rule sgd(double lr, double momentum, bool nesterov) {
  auto mom = std::make_shared<std::vector<Vec>>();
  return [=](size_t k, Vec& w, const Vec& g, int) {
    if (mom->size() <= k) mom->resize(k + 1);
    Vec& m = (*mom)[k];
    m.resize(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
      if (momentum == 0) {
        w[i] -= lr * g[i];
        continue;
      }
      m[i] = m[i] * momentum - g[i] * lr;
      w[i] += nesterov ? m[i] * momentum - g[i] * lr : m[i];
    }
  };
}

/// Decoupled weight decay before the rule (AdamW): w -= w * wd * lr.
Rule with_weight_decay(Rule rule, double wd, double lr) {
  return [=](size_t k, Vec& w, const Vec& g, int t) {
    for (double& x : w) x -= x * wd * lr;
    rule(k, w, g, t);
  };
}

/// Runs the rule on kInitial for every step of `grads`; returns the weights after each step.
std::vector<std::vector<Vec>> expected(const Rule& rule, const Steps& grads = kGrads) {
  std::vector<Vec> w = kInitial;
  std::vector<std::vector<Vec>> out;
  for (size_t s = 0; s < grads.size(); ++s) {
    for (size_t k = 0; k < w.size(); ++k) rule(k, w[k], grads[s][k], static_cast<int>(s + 1));
    out.push_back(w);
  }
  return out;
}

// ---- running glia's optimizers ----

struct Vars {
  std::vector<Variable> vars;
  Vars() {
    for (size_t k = 0; k < kInitial.size(); ++k) {
      const auto n = static_cast<int64_t>(kInitial[k].size());
      Variable v{"var" + std::to_string(k), Tensor({n}), Tensor({n})};
      for (int64_t i = 0; i < n; ++i) v.value[i] = static_cast<float>(kInitial[k][i]);
      vars.push_back(v);
    }
  }
  std::vector<Variable*> ptrs() {
    std::vector<Variable*> p;
    for (auto& v : vars) p.push_back(&v);
    return p;
  }
};

std::vector<std::vector<Vec>> run(Optimizer& opt, Backend& be, const Steps& grads = kGrads) {
  Vars vars;
  std::vector<std::vector<Vec>> out;
  for (const auto& step : grads) {
    for (size_t k = 0; k < vars.vars.size(); ++k)
      for (size_t i = 0; i < step[k].size(); ++i)
        vars.vars[k].grad[static_cast<int64_t>(i)] = static_cast<float>(step[k][i]);
    opt.apply(be, vars.ptrs());
    std::vector<Vec> w;
    for (auto& v : vars.vars) {
      auto f = v.value.to_vector();
      w.emplace_back(f.begin(), f.end());
    }
    out.push_back(w);
  }
  return out;
}

void expect_same_trajectory(const std::vector<std::vector<Vec>>& got,
                            const std::vector<std::vector<Vec>>& want, double rtol = 2e-6,
                            double atol = 2e-7) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t s = 0; s < want.size(); ++s)
    for (size_t k = 0; k < want[s].size(); ++k)
      for (size_t i = 0; i < want[s][k].size(); ++i)
        EXPECT_NEAR(got[s][k][i], want[s][k][i], atol + rtol * std::fabs(want[s][k][i]))
            << "step " << s + 1 << ", variable " << k << ", element " << i;
}

class OptimizerMath : public testing::TestWithParam<std::string> {
 protected:
  Backend& be() { return *get_backend(GetParam()); }
};

TEST_P(OptimizerMath, RMSpropDefaults) {
  RMSprop opt;
  EXPECT_EQ(opt.class_name(), "RMSprop");
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.001);
  expect_same_trajectory(run(opt, be()), expected(rmsprop(0.001, 0.9, 0.0, 1e-7, false)));
  EXPECT_EQ(opt.iterations(), 3);
  EXPECT_EQ(opt.slots(0).size(), 1u);  // velocity only
}

TEST_P(OptimizerMath, RMSpropMomentum) {
  RMSprop opt({0.01}, {.rho = 0.8, .momentum = 0.9});
  expect_same_trajectory(run(opt, be()), expected(rmsprop(0.01, 0.8, 0.9, 1e-7, false)));
  EXPECT_EQ(opt.slots(1).size(), 2u);
}

TEST_P(OptimizerMath, RMSpropCentered) {
  RMSprop opt({0.01}, {.centered = true});
  expect_same_trajectory(run(opt, be()), expected(rmsprop(0.01, 0.9, 0.0, 1e-7, true)));
  EXPECT_EQ(opt.slots(0).size(), 2u);
}

TEST_P(OptimizerMath, RMSpropCenteredMomentumLargeEpsilon) {
  RMSprop opt({0.01}, {.rho = 0.9, .momentum = 0.5, .epsilon = 0.1, .centered = true});
  expect_same_trajectory(run(opt, be()), expected(rmsprop(0.01, 0.9, 0.5, 0.1, true)));
}

TEST_P(OptimizerMath, AdamDefaults) {
  Adam opt;
  EXPECT_EQ(opt.class_name(), "Adam");
  expect_same_trajectory(run(opt, be()), expected(adam(0.001, 0.9, 0.999, 1e-7, false)));
  EXPECT_EQ(opt.slots(0).size(), 2u);
}

TEST_P(OptimizerMath, AdamEpsilonIsOutsideTheRootAndNotBiasCorrected) {
  // A large epsilon makes the placement visible: sqrt(v + eps) or sqrt(v̂) + eps would differ.
  Adam opt({0.1}, {.beta_1 = 0.5, .beta_2 = 0.6, .epsilon = 0.5});
  expect_same_trajectory(run(opt, be()), expected(adam(0.1, 0.5, 0.6, 0.5, false)));
}

TEST_P(OptimizerMath, AdamAmsgrad) {
  // beta_2 = 0.5 lets v shrink after the large step-2 gradient, so v̂ = max(v̂, v) matters.
  Adam opt({0.01}, {.beta_1 = 0.9, .beta_2 = 0.5, .amsgrad = true});
  const auto got = run(opt, be());
  expect_same_trajectory(got, expected(adam(0.01, 0.9, 0.5, 1e-7, true)));
  EXPECT_EQ(opt.slots(0).size(), 3u);
  // Without amsgrad the trajectory is different.
  const auto plain = expected(adam(0.01, 0.9, 0.5, 1e-7, false));
  EXPECT_GT(std::fabs(plain[2][0][3] - got[2][0][3]), 1e-5);
}

TEST_P(OptimizerMath, AdamWDecaysBeforeTheStep) {
  AdamW opt;
  EXPECT_EQ(opt.class_name(), "AdamW");
  ASSERT_TRUE(opt.options().weight_decay.has_value());
  EXPECT_DOUBLE_EQ(*opt.options().weight_decay, 0.004);
  expect_same_trajectory(run(opt, be()), expected(with_weight_decay(
                                             adam(0.001, 0.9, 0.999, 1e-7, false), 0.004, 0.001)));
  AdamW strong(AdamW::with_decay({.learning_rate = 0.05, .weight_decay = 0.5}));
  expect_same_trajectory(run(strong, be()), expected(with_weight_decay(
                                                adam(0.05, 0.9, 0.999, 1e-7, false), 0.5, 0.05)));
}

TEST_P(OptimizerMath, SGDPlain) {
  SGD opt;
  EXPECT_EQ(opt.class_name(), "SGD");
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.01);
  expect_same_trajectory(run(opt, be()), expected(sgd(0.01, 0.0, false)));
  EXPECT_TRUE(opt.slots(0).empty());
}

TEST_P(OptimizerMath, SGDMomentum) {
  SGD opt({0.1}, {.momentum = 0.9});
  expect_same_trajectory(run(opt, be()), expected(sgd(0.1, 0.9, false)));
  EXPECT_EQ(opt.slots(0).size(), 1u);
}

TEST_P(OptimizerMath, SGDNesterov) {
  SGD opt({0.1}, {.momentum = 0.9, .nesterov = true});
  expect_same_trajectory(run(opt, be()), expected(sgd(0.1, 0.9, true)));
}

// ---- clipping ----

Steps clip_each(const Steps& grads, const std::function<void(Vec&)>& f) {
  Steps out = grads;
  for (auto& step : out)
    for (auto& g : step) f(g);
  return out;
}

double norm(const Vec& g) {
  double s = 0;
  for (double x : g) s += x * x;
  return std::sqrt(s);
}

TEST_P(OptimizerMath, ClipnormClipsEachVariable) {
  const double c = 0.35;
  SGD opt({.learning_rate = 0.1, .clipnorm = c});
  // Keras clip_by_norm: g * c / max(||g||, c), per variable.
  const Steps clipped = clip_each(kGrads, [&](Vec& g) {
    const double n = norm(g);
    for (double& x : g) x = x * c / std::max(n, c);
  });
  expect_same_trajectory(run(opt, be()), expected(sgd(0.1, 0, false), clipped));
}

TEST_P(OptimizerMath, GlobalClipnormUsesTheNormOfAllGradients) {
  const double c = 0.5;
  SGD opt({.learning_rate = 0.1, .global_clipnorm = c});
  Steps clipped = kGrads;
  for (auto& step : clipped) {
    double sq = 0;
    for (auto& g : step) sq += norm(g) * norm(g);
    const double scale = c / std::max(std::sqrt(sq), c);
    for (auto& g : step)
      for (double& x : g) x *= scale;
  }
  expect_same_trajectory(run(opt, be()), expected(sgd(0.1, 0, false), clipped));
}

TEST_P(OptimizerMath, ClipvalueClampsElements) {
  SGD opt({.learning_rate = 0.1, .clipvalue = 0.15});
  const Steps clipped = clip_each(kGrads, [](Vec& g) {
    for (double& x : g) x = std::clamp(x, -0.15, 0.15);
  });
  expect_same_trajectory(run(opt, be()), expected(sgd(0.1, 0, false), clipped));
}

TEST_P(OptimizerMath, ClippingHappensBeforeAdam) {
  Adam opt({.learning_rate = 0.01, .clipvalue = 0.15});
  const Steps clipped = clip_each(kGrads, [](Vec& g) {
    for (double& x : g) x = std::clamp(x, -0.15, 0.15);
  });
  expect_same_trajectory(run(opt, be()), expected(adam(0.01, 0.9, 0.999, 1e-7, false), clipped));
}

// ---- schedules through the optimizer ----

TEST_P(OptimizerMath, ScheduleGivesTheRateOfEachStep) {
  auto schedule = std::make_shared<ExponentialDecay>(0.1, 1, 0.5);  // 0.1, 0.05, 0.025
  SGD opt({.schedule = schedule});
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.1);
  std::vector<double> rates;
  Rule rule = [inner = sgd(1.0, 0, false)](size_t k, Vec& w, const Vec& g, int t) {
    Vec scaled = g;
    for (double& x : scaled) x *= 0.1 * std::pow(0.5, t - 1);
    inner(k, w, scaled, t);
  };
  expect_same_trajectory(run(opt, be()), expected(rule));
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.0125);  // the rate of the next (4th) step
  opt.set_learning_rate(0.3);  // drops the schedule, as assigning optimizer.learning_rate
  EXPECT_EQ(opt.options().schedule, nullptr);
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 0.3);
}

TEST_P(OptimizerMath, WeightDecayUsesTheScheduledRate) {
  auto schedule = std::make_shared<ExponentialDecay>(0.1, 1, 0.5);
  SGD opt({.schedule = schedule, .weight_decay = 0.2});
  Rule rule = [](size_t, Vec& w, const Vec& g, int t) {
    const double lr = 0.1 * std::pow(0.5, t - 1);
    for (size_t i = 0; i < w.size(); ++i) w[i] = w[i] - w[i] * 0.2 * lr - lr * g[i];
  };
  expect_same_trajectory(run(opt, be()), expected(rule));
}

INSTANTIATE_TEST_SUITE_P(Backends, OptimizerMath, testing::Values("reference", "cpu"));

// ---- schedules ----

TEST(Schedules, ExponentialDecay) {
  ExponentialDecay smooth(0.1, 10, 0.5);
  ExponentialDecay stairs(0.1, 10, 0.5, true);
  EXPECT_EQ(smooth.name(), "ExponentialDecay");
  for (int64_t step : {0, 1, 5, 9, 10, 15, 25, 1000}) {
    EXPECT_NEAR(smooth(step), 0.1 * std::pow(0.5, step / 10.0), 1e-15) << step;
    EXPECT_NEAR(stairs(step), 0.1 * std::pow(0.5, std::floor(step / 10.0)), 1e-15) << step;
  }
  EXPECT_DOUBLE_EQ(stairs(9), 0.1);
  EXPECT_DOUBLE_EQ(stairs(10), 0.05);
  EXPECT_THROW(ExponentialDecay(0.1, 0, 0.5), Error);
  EXPECT_THROW(ExponentialDecay(0.1, -3, 0.5), Error);
}

// Keras 3 CosineDecay: without warmup, lr0 * ((1-alpha) * 0.5 * (1 + cos(pi * min(t, T)/T)) +
// alpha); with warmup, linear from lr0 to warmup_target over W steps, then the same decay from
// warmup_target over t - W.
double keras_cosine(double lr0, double T, double alpha, double W, double target, double t) {
  auto decay = [&](double step, double from) {
    const double done = std::min(step, T) / T;
    return from * ((1 - alpha) * 0.5 * (1 + std::cos(M_PI * done)) + alpha);
  };
  if (W == 0) return decay(t, lr0);
  t = std::min(t, T + W);
  if (t < W) return (target - lr0) * (t / W) + lr0;
  return decay(t - W, target);
}

TEST(Schedules, CosineDecay) {
  CosineDecay plain(0.1, 100);
  CosineDecay floor(0.1, 100, 0.2);
  EXPECT_EQ(plain.name(), "CosineDecay");
  for (int64_t step : {0, 1, 25, 50, 99, 100, 150}) {
    EXPECT_NEAR(plain(step), keras_cosine(0.1, 100, 0, 0, 0, step), 1e-12) << step;
    EXPECT_NEAR(floor(step), keras_cosine(0.1, 100, 0.2, 0, 0, step), 1e-12) << step;
  }
  EXPECT_NEAR(plain(50), 0.05, 1e-12);
  EXPECT_NEAR(plain(100), 0.0, 1e-12);
  EXPECT_NEAR(floor(100), 0.02, 1e-12);
  EXPECT_NEAR(floor(1000), 0.02, 1e-12);
}

TEST(Schedules, CosineDecayWithWarmup) {
  CosineDecay warm(0.0, 100, 0.1, 10, 0.2);
  for (int64_t step : {0, 1, 5, 9, 10, 11, 60, 109, 110, 500})
    EXPECT_NEAR(warm(step), keras_cosine(0.0, 100, 0.1, 10, 0.2, step), 1e-12) << step;
  EXPECT_NEAR(warm(5), 0.1, 1e-12);   // halfway up the warmup
  EXPECT_NEAR(warm(10), 0.2, 1e-12);  // the warmup target, where the decay starts
  EXPECT_NEAR(warm(60), 0.2 * (0.9 * 0.5 + 0.1), 1e-12);
  EXPECT_NEAR(warm(110), 0.02, 1e-12);
  EXPECT_THROW(CosineDecay(0.1, 0), Error);
}

// Regression: Keras warms up whenever warmup_target is set, even over 0 steps (the decay then
// starts from the target); Glia used to ignore a target without warmup steps.
TEST(Schedules, CosineDecayTargetWithoutWarmupSteps) {
  CosineDecay target(0.001, 100, 0.0, 0, 0.01);
  EXPECT_NEAR(target(0), 0.01, 1e-12);
  EXPECT_NEAR(target(50), 0.01 * 0.5, 1e-12);
  CosineDecay none(0.001, 100);
  EXPECT_FALSE(none.warmup_target().has_value());
  EXPECT_NEAR(none(0), 0.001, 1e-12);
}

// ---- make_optimizer and argument errors ----

TEST(MakeOptimizer, KerasNamesAndDefaultLearningRates) {
  struct Want {
    const char* name;
    const char* class_name;
    double lr;
  };
  for (Want w : {Want{"sgd", "SGD", 0.01}, Want{"rmsprop", "RMSprop", 0.001},
                 Want{"adam", "Adam", 0.001}, Want{"adamw", "AdamW", 0.001}}) {
    auto opt = make_optimizer(w.name);
    ASSERT_NE(opt, nullptr);
    EXPECT_EQ(opt->class_name(), w.class_name);
    EXPECT_DOUBLE_EQ(opt->learning_rate(), w.lr) << w.name;
    EXPECT_EQ(opt->iterations(), 0);
    auto tuned = make_optimizer(w.name, 0.25);
    EXPECT_DOUBLE_EQ(tuned->learning_rate(), 0.25);
    EXPECT_EQ(tuned->options().weight_decay.has_value(), std::string(w.name) == "adamw");
  }
  EXPECT_DOUBLE_EQ(*make_optimizer("adamw")->options().weight_decay, 0.004);
}

TEST(MakeOptimizer, AcceptsKerasClassNames) {
  EXPECT_EQ(make_optimizer("RMSprop")->class_name(), "RMSprop");
  EXPECT_EQ(make_optimizer("Adam")->class_name(), "Adam");
  EXPECT_EQ(make_optimizer("AdamW")->class_name(), "AdamW");
  EXPECT_EQ(make_optimizer("SGD")->class_name(), "SGD");
}

TEST(MakeOptimizer, UnknownNameIsAnError) {
  try {
    make_optimizer("adagrad");
    FAIL() << "expected glia::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown optimizer 'adagrad'"), std::string::npos)
        << e.what();
  }
}

TEST(OptimizerErrors, BadLearningRate) {
  EXPECT_THROW(SGD({-0.1}), Error);
  EXPECT_THROW(Adam({std::nan("")}), Error);
  EXPECT_THROW(make_optimizer("rmsprop", -1.0), Error);
  EXPECT_NO_THROW(SGD({0.0}));
  // A schedule replaces the constant rate, which is then not checked.
  EXPECT_NO_THROW(SGD({.learning_rate = -1, .schedule = std::make_shared<CosineDecay>(0.1, 10)}));
}

TEST(OptimizerErrors, OnlyOneClippingOption) {
  try {
    Adam({.learning_rate = 0.001, .clipnorm = 1.0, .clipvalue = 0.5});
    FAIL() << "expected glia::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("only one of clipnorm, global_clipnorm and clipvalue"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(SGD({.clipnorm = 1.0, .global_clipnorm = 1.0}), Error);
  EXPECT_THROW(SGD({.global_clipnorm = 1.0, .clipvalue = 1.0}), Error);
}

// Regression: Keras 3 SGD raises ValueError("`momentum` must be a float between [0, 1].");
// Glia once accepted any momentum.
TEST(OptimizerErrors, SgdMomentumOutsideUnitInterval) {
  EXPECT_THROW(SGD({0.01}, {.momentum = -0.5}), Error);
  EXPECT_THROW(SGD({0.01}, {.momentum = 1.5}), Error);
}

}  // namespace
}  // namespace glia
