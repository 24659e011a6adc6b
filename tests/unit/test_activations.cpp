// Activations by name and value: every Keras 3 name parses (aliases included) and is computed
// with Keras' formula and defaults (values below worked out from keras/src/activations and
// jax.nn by hand); the activation layers take Keras' arguments and refuse bad ones.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "backends/reference_backend.hpp"
#include "error_of.hpp"
#include "formats/config.hpp"
#include "glia/layers.hpp"

namespace glia {
namespace {

using testing_util::error_of;

float apply(const ActivationSpec& act, float x) {
  ReferenceBackend be;
  float y = 0;
  be.bias_activation(&x, nullptr, &y, 1, 1, act);
  return y;
}

float apply(const char* name, float x) {
  return apply(ActivationSpec::parse(name), x);
}

std::vector<float> apply_row(const char* name, std::vector<float> x) {
  ReferenceBackend be;
  std::vector<float> y(x.size());
  be.bias_activation(x.data(), nullptr, y.data(), 1, static_cast<int64_t>(x.size()),
                     ActivationSpec::parse(name));
  return y;
}

TEST(Activations, EveryKerasNameParsesAndNamesItself) {
  for (const std::string& n : ActivationSpec::names()) {
    EXPECT_EQ(ActivationSpec::parse(n).name(), n);
    EXPECT_TRUE(ActivationSpec::parse(n).has_default_arguments()) << n;
  }
  EXPECT_EQ(ActivationSpec::names().size(), 28u);
  // Keras' aliases serialize under the function's own name.
  EXPECT_EQ(ActivationSpec::parse("swish").name(), "silu");
  EXPECT_EQ(ActivationSpec::parse("hard_swish").name(), "hard_silu");
  EXPECT_EQ(ActivationSpec::parse("").name(), "linear");
  EXPECT_NE(error_of([] { ActivationSpec::parse("glu"); }).find("'glu' is not supported"),
            std::string::npos);
  EXPECT_NE(error_of([] { ActivationSpec::parse("threshold"); }).find("'threshold'"),
            std::string::npos);
  const std::string unknown = error_of([] { ActivationSpec::parse("swishy"); });
  EXPECT_NE(unknown.find("unknown activation 'swishy'"), std::string::npos);
  EXPECT_NE(unknown.find("sparsemax"), std::string::npos);
}

TEST(Activations, KerasFormulasAndDefaults) {
  const double e = std::exp(1.0);
  EXPECT_FLOAT_EQ(apply("elu", -1), static_cast<float>(1 / e - 1));
  EXPECT_FLOAT_EQ(apply("elu", 2), 2);
  EXPECT_FLOAT_EQ(apply("selu", -1),
                  static_cast<float>(1.0507009873554805 * 1.6732632423543772 * (1 / e - 1)));
  EXPECT_FLOAT_EQ(apply("selu", 2), static_cast<float>(2 * 1.0507009873554805));
  EXPECT_FLOAT_EQ(apply("softplus", 0), static_cast<float>(std::log(2.0)));
  EXPECT_FLOAT_EQ(apply("softplus", 100), 100);  // no overflow
  EXPECT_FLOAT_EQ(apply("softsign", 3), 0.75f);
  EXPECT_FLOAT_EQ(apply("silu", 1), static_cast<float>(1 / (1 + 1 / e)));
  EXPECT_FLOAT_EQ(apply("swish", 1), apply("silu", 1));
  // Keras 3: hard_sigmoid(x) = relu6(x + 3) / 6 (not Keras 2's 0.2 x + 0.5).
  EXPECT_FLOAT_EQ(apply("hard_sigmoid", 1), 4.0f / 6.0f);
  EXPECT_FLOAT_EQ(apply("hard_sigmoid", 3.5), 1);
  EXPECT_FLOAT_EQ(apply("hard_silu", 1), 4.0f / 6.0f);
  EXPECT_FLOAT_EQ(apply("hard_silu", -4), 0);
  EXPECT_FLOAT_EQ(apply("relu6", 7), 6);
  EXPECT_FLOAT_EQ(apply("exponential", 1), static_cast<float>(e));
  EXPECT_FLOAT_EQ(apply("mish", 1), static_cast<float>(std::tanh(std::log1p(e))));
  EXPECT_FLOAT_EQ(apply("leaky_relu", -1), -0.2f);  // keras.activations default 0.2
  EXPECT_FLOAT_EQ(apply("celu", -1), static_cast<float>(1 / e - 1));
  EXPECT_FLOAT_EQ(apply("tanh_shrink", 1), static_cast<float>(1 - std::tanh(1.0)));
  EXPECT_FLOAT_EQ(apply("soft_shrink", 0.75), 0.25f);  // threshold 0.5
  EXPECT_FLOAT_EQ(apply("soft_shrink", -0.25), 0);
  EXPECT_FLOAT_EQ(apply("hard_shrink", 0.75), 0.75f);
  EXPECT_FLOAT_EQ(apply("hard_shrink", 0.25), 0);
  EXPECT_FLOAT_EQ(apply("hard_tanh", -3), -1);
  EXPECT_FLOAT_EQ(apply("squareplus", 0), 1);  // (0 + sqrt(0 + 4)) / 2
  EXPECT_FLOAT_EQ(apply("log_sigmoid", 0), static_cast<float>(-std::log(2.0)));
  EXPECT_FLOAT_EQ(apply("sparse_plus", 0), 0.25f);
  EXPECT_FLOAT_EQ(apply("sparse_sigmoid", 0.5), 0.75f);
  EXPECT_FLOAT_EQ(apply("gelu", 1), static_cast<float>(0.5 * (1 + std::erf(1 / std::sqrt(2.0)))));
  ActivationSpec approx = ActivationSpec::parse("gelu");
  approx.approximate = true;
  EXPECT_FLOAT_EQ(apply(approx, 1),
                  static_cast<float>(0.5 * (1 + std::tanh(std::sqrt(2 / M_PI) * (1 + 0.044715)))));
  EXPECT_FALSE(approx.has_default_arguments());
}

TEST(Activations, ReluArgumentsFollowKerasReluOp) {
  ActivationSpec a = ActivationSpec::parse("relu");
  a.relu_max_value = 2.0f;
  a.relu_negative_slope = 0.1f;
  a.relu_threshold = 0.5f;
  EXPECT_FALSE(a.backward_from_output());
  EXPECT_FLOAT_EQ(apply(a, 3), 2);                  // clipped at max_value
  EXPECT_FLOAT_EQ(apply(a, 1), 1);                  // above the threshold
  EXPECT_FLOAT_EQ(apply(a, 0.25f), -0.1f * 0.25f);  // slope * (x - threshold)
  EXPECT_FLOAT_EQ(apply(a, -1), -0.1f * 1.5f);
  ActivationSpec leaky = ActivationSpec::parse("relu");
  leaky.relu_negative_slope = 0.3f;
  EXPECT_FLOAT_EQ(apply(leaky, -2), -0.6f);
}

TEST(Activations, RowWiseOnes) {
  const auto ls = apply_row("log_softmax", {1, 2, 3});
  double total = 0;
  for (float v : ls) total += std::exp(v);
  EXPECT_NEAR(total, 1.0, 1e-6);
  EXPECT_NEAR(ls[2] - ls[1], 1.0, 1e-6);
  // sparsemax as Keras 3.15 computes it: tau = (sum of the support's cumulative sums - 1) / k.
  // [0.5, 0.4]: both in the support, cumsums 0.5 and 0.9, tau = (1.4 - 1) / 2 = 0.2.
  const auto sm = apply_row("sparsemax", {0.5f, 0.4f});
  EXPECT_NEAR(sm[0], 0.3, 1e-6);
  EXPECT_NEAR(sm[1], 0.2, 1e-6);
  // A dominant value takes everything: [3, 0, -1] -> [1, 0, 0].
  EXPECT_EQ(apply_row("sparsemax", {3, 0, -1}), (std::vector<float>{1, 0, 0}));
}

TEST(ActivationLayers, TakeKerasArgumentsAndRefuseBadOnes) {
  EXPECT_FLOAT_EQ(ELU(0.5f).alpha(), 0.5f);
  EXPECT_FLOAT_EQ(LeakyReLU().negative_slope(), 0.3f);  // the layer's default
  EXPECT_EQ(ReLU().activation().has_default_arguments(), true);
  EXPECT_EQ(ReLU(6.0f).activation().has_default_arguments(), false);
  EXPECT_NE(error_of([] { LeakyReLU(-1.0f); }).find("negative_slope must be >= 0"),
            std::string::npos);
  EXPECT_NE(error_of([] { ReLU(-1.0f); }).find("max_value must be >= 0"), std::string::npos);
  Rng rng(1);
  Softmax bad(1, "sm");
  EXPECT_NE(error_of([&] {
              bad.ensure_built({{3, 4}}, rng);
            }).find("only the last axis"),
            std::string::npos);
  Softmax last(2, "sm2");  // axis 2 of (batch, 3, 4) is the last one
  EXPECT_EQ(last.ensure_built({{3, 4}}, rng), (Shape{3, 4}));
  PReLUOptions po;
  po.shared_axes = {3};
  PReLU p(po);
  EXPECT_NE(error_of([&] {
              p.ensure_built({{3, 4}}, rng);
            }).find("shared axis 3"),
            std::string::npos);
}

// Keras 3 names weight containers after the class with naming.to_snake_case.
TEST(ActivationLayers, WeightContainerNamesFollowKerasSnakeCase) {
  EXPECT_EQ(formats::snake_case("PReLU"), "p_re_lu");
  EXPECT_EQ(formats::snake_case("LeakyReLU"), "leaky_re_lu");
  EXPECT_EQ(formats::snake_case("ReLU"), "re_lu");
  EXPECT_EQ(formats::snake_case("ELU"), "elu");
  EXPECT_EQ(formats::snake_case("GlorotUniform"), "glorot_uniform");
  EXPECT_EQ(formats::snake_case("InputLayer"), "input_layer");
  EXPECT_EQ(formats::snake_case("RMSprop"), "rm_sprop");
  EXPECT_EQ(formats::snake_case("Dense"), "dense");
}

}  // namespace
}  // namespace glia
