// Initializers: Keras VarianceScaling limits and variances (uniform and truncated normal),
// constants, fans of 1-D and 2-D shapes, seeded determinism and unknown names.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "glia/error.hpp"
#include "glia/initializers.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/saving.hpp"
#include "harness.hpp"

namespace glia {
namespace {

struct Moments {
  double mean = 0, var = 0, max_abs = 0;
};

Moments moments(const Tensor& t) {
  Moments m;
  for (int64_t i = 0; i < t.size(); ++i) m.mean += t[i];
  m.mean /= static_cast<double>(t.size());
  for (int64_t i = 0; i < t.size(); ++i) {
    m.var += (t[i] - m.mean) * (t[i] - m.mean);
    m.max_abs = std::max(m.max_abs, std::fabs(static_cast<double>(t[i])));
  }
  m.var /= static_cast<double>(t.size() - 1);
  return m;
}

Tensor draw(const std::string& name, const Shape& shape, uint64_t seed = 1) {
  Tensor t(shape);
  Rng rng(seed);
  initialize(t, InitializerSpec::parse(name), rng);
  return t;
}

// The mean is within 5 standard errors of 0 and the variance within 4% of `var`.
void expect_moments(const Tensor& t, double var) {
  const Moments m = moments(t);
  const double n = static_cast<double>(t.size());
  EXPECT_LT(std::fabs(m.mean), 5 * std::sqrt(var / n));
  EXPECT_NEAR(m.var, var, 0.04 * var);
}

TEST(Initializers, GlorotUniform) {
  // limit = sqrt(6 / (fan_in + fan_out)), fan_in = shape[0], fan_out = shape[1].
  const Tensor t = draw("glorot_uniform", {300, 200});
  const double limit = std::sqrt(6.0 / 500.0);
  const Moments m = moments(t);
  EXPECT_LE(m.max_abs, limit);
  EXPECT_GT(m.max_abs, 0.99 * limit);  // the whole interval is used
  expect_moments(t, limit * limit / 3.0);
}

TEST(Initializers, UniformVarianceScalingFamilies) {
  // he_uniform: sqrt(6 / fan_in); lecun_uniform: sqrt(3 / fan_in).
  const Tensor he = draw("he_uniform", {200, 300});
  EXPECT_LE(moments(he).max_abs, std::sqrt(6.0 / 200));
  expect_moments(he, 2.0 / 200);
  const Tensor lecun = draw("lecun_uniform", {200, 300});
  EXPECT_LE(moments(lecun).max_abs, std::sqrt(3.0 / 200));
  expect_moments(lecun, 1.0 / 200);
}

TEST(Initializers, TruncatedNormalVarianceScaling) {
  // Keras draws from a normal truncated at 2 stddev with stddev = sqrt(scale / n) / 0.8796...,
  // so the samples' variance is scale / n and nothing lies beyond 2 * that stddev.
  struct Case {
    const char* name;
    double var;  // for a (200, 300) kernel
  };
  for (Case c : {Case{"he_normal", 2.0 / 200}, Case{"lecun_normal", 1.0 / 200},
                 Case{"glorot_normal", 2.0 / 500}}) {
    SCOPED_TRACE(c.name);
    const Tensor t = draw(c.name, {200, 300});
    expect_moments(t, c.var);
    const double stddev = std::sqrt(c.var) / 0.87962566103423978;
    const Moments m = moments(t);
    EXPECT_LE(m.max_abs, 2 * stddev * (1 + 1e-6));
    EXPECT_GT(m.max_abs, 1.9 * stddev);
  }
}

TEST(Initializers, OneDimensionalFansUseTheLength) {
  // compute_fans: for a 1-D shape fan_in = fan_out = shape[0].
  const Tensor t = draw("glorot_uniform", {50000});
  EXPECT_LE(moments(t).max_abs, std::sqrt(6.0 / 100000));
  expect_moments(t, 1.0 / 50000);
}

TEST(Initializers, Constants) {
  EXPECT_EQ(draw("zeros", {3, 4}).to_vector(), std::vector<float>(12, 0.0f));
  EXPECT_EQ(draw("ones", {5}).to_vector(), std::vector<float>(5, 1.0f));
  Tensor t = Tensor::full({4}, 7.0f);
  Rng rng(0);
  initialize(t, InitializerSpec::parse("zeros"), rng);
  EXPECT_EQ(t.to_vector(), std::vector<float>(4, 0.0f));
}

TEST(Initializers, RandomNormalAndUniformUseTheirParameters) {
  InitializerSpec normal = InitializerSpec::parse("random_normal");
  EXPECT_EQ(normal.stddev, 0.05);  // Keras defaults
  EXPECT_EQ(normal.mean, 0.0);
  normal.mean = 3.0;
  normal.stddev = 0.5;
  Tensor t({40000});
  Rng rng(3);
  initialize(t, normal, rng);
  const Moments m = moments(t);
  EXPECT_NEAR(m.mean, 3.0, 0.02);
  EXPECT_NEAR(m.var, 0.25, 0.01);

  InitializerSpec uniform = InitializerSpec::parse("random_uniform");
  EXPECT_EQ(uniform.minval, -0.05);
  EXPECT_EQ(uniform.maxval, 0.05);
  uniform.minval = 2.0;
  uniform.maxval = 4.0;
  initialize(t, uniform, rng);
  for (float v : t.to_vector()) ASSERT_TRUE(v >= 2.0f && v <= 4.0f) << v;
  EXPECT_NEAR(moments(t).mean, 3.0, 0.02);
}

TEST(Initializers, SeededAndDeterministic) {
  for (const char* name : {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
                           "lecun_normal", "lecun_uniform", "random_normal", "random_uniform"}) {
    SCOPED_TRACE(name);
    const Tensor a = draw(name, {31, 17}, 42), b = draw(name, {31, 17}, 42);
    EXPECT_TRUE(test::bit_equal(a.data(), b.data(), a.size()));
    const Tensor c = draw(name, {31, 17}, 43);
    EXPECT_FALSE(test::bit_equal(a.data(), c.data(), a.size()));
  }
  // Successive draws from one Rng differ.
  Rng rng(5);
  Tensor a({100}), b({100});
  initialize(a, InitializerSpec::parse("glorot_uniform"), rng);
  initialize(b, InitializerSpec::parse("glorot_uniform"), rng);
  EXPECT_FALSE(test::bit_equal(a.data(), b.data(), 100));
}

TEST(Initializers, RngIsPortable) {
  // mt19937_64's 10000th output for the default seed is fixed by the C++ standard; uniform()
  // keeps its top 53 bits.
  Rng rng(5489);
  for (int i = 0; i < 9999; ++i) rng.next();
  EXPECT_EQ(rng.next(), 9981545732273789042ull);
  Rng a(7), b(7);
  for (int i = 0; i < 100; ++i) {
    const double u = a.uniform();
    ASSERT_TRUE(u >= 0.0 && u < 1.0);
    EXPECT_EQ(u, static_cast<double>(b.next() >> 11) * 0x1.0p-53);
  }
  Rng c(9);
  for (int i = 0; i < 1000; ++i) ASSERT_LT(c.below(7), 7u);
}

TEST(Initializers, UnknownNameIsAnError) {
  try {
    InitializerSpec::parse("orthogonal");
    FAIL() << "expected glia::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown initializer 'orthogonal'"), std::string::npos)
        << e.what();
  }
  Tensor t({3});
  Rng rng(0);
  EXPECT_THROW(initialize(t, InitializerSpec{"orthogonal"}, rng), Error);
}

TEST(Initializers, DenseUsesItsInitializers) {
  auto d = std::make_shared<Dense>(
      4, DenseOptions{.kernel_initializer = {"ones"}, .bias_initializer = {"ones"}});
  Rng rng(0);
  d->ensure_built({{3}}, rng);
  EXPECT_EQ(d->kernel().value.to_vector(), std::vector<float>(12, 1.0f));
  EXPECT_EQ(d->bias().value.to_vector(), std::vector<float>(4, 1.0f));
  auto g = std::make_shared<Dense>(4);  // defaults: glorot_uniform kernel, zero bias
  g->ensure_built({{3}}, rng);
  EXPECT_EQ(g->bias().value.to_vector(), std::vector<float>(4, 0.0f));
  EXPECT_LE(moments(g->kernel().value).max_abs, std::sqrt(6.0 / 7));
  EXPECT_GT(moments(g->kernel().value).max_abs, 0.0);
}

}  // namespace
}  // namespace glia

namespace glia {
namespace {

// Keras' GlorotUniform(seed=42): the weights come from their own generator, so they do not
// depend on what the model's generator drew before.
TEST(Initializers, OwnSeedIsIndependentOfTheModelGenerator) {
  InitializerSpec seeded = InitializerSpec::parse("glorot_uniform");
  seeded.seed = 42;
  Tensor a({8, 4}), b({8, 4}), c({8, 4});
  Rng first(1), second(2);
  second.uniform();
  initialize(a, seeded, first);
  initialize(b, seeded, second);
  EXPECT_EQ(a.to_vector(), b.to_vector());
  Rng plain(1);
  initialize(c, InitializerSpec::parse("glorot_uniform"), plain);
  EXPECT_NE(a.to_vector(), c.to_vector());
}

TEST(Initializers, SeedSurvivesKerasConfigs) {
  auto m = std::make_shared<Sequential>();
  m->add(std::make_shared<InputLayer>(Shape{3}));
  DenseOptions o{.name = "d"};
  o.kernel_initializer.seed = 7;
  m->add(std::make_shared<Dense>(2, o));
  for (ConfigStyle style : {ConfigStyle::keras2, ConfigStyle::keras3}) {
    auto back = model_from_json(model_to_json(*m, style));
    auto* d = dynamic_cast<Dense*>(back->layers().at(0).get());
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->options().kernel_initializer.seed, std::optional<uint64_t>(7));
    EXPECT_EQ(d->kernel().value.to_vector(),
              dynamic_cast<Dense*>(m->layers()[0].get())->kernel().value.to_vector());
  }
}

}  // namespace
}  // namespace glia
