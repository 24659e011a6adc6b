// Finite-difference checks of Conv2D's and Conv1D's backward through the Layer API on the
// reference backend: input, kernel and bias gradients for every padding mode, strides,
// dilations, activations (fused after the bias) and the regularizers.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "glia/layers.hpp"
#include "layer_gradcheck.hpp"

namespace glia {
namespace {

using test::LayerHarness;
using test::per_sample;
using test::random_inputs;
using test::random_tensor;

struct GradCase {
  std::string name;
  Shape input;  // with the batch
  int64_t filters;
  std::vector<int64_t> kernel;
  ConvOptions options;
};

void PrintTo(const GradCase& c, std::ostream* os) {
  *os << c.name;
}

std::vector<GradCase> cases() {
  auto o = [](std::vector<int64_t> strides, std::string padding, std::vector<int64_t> dilation,
              std::string act) {
    ConvOptions opt;
    opt.strides = std::move(strides);
    opt.padding = std::move(padding);
    opt.dilation_rate = std::move(dilation);
    opt.activation = std::move(act);
    return opt;
  };
  ConvOptions no_bias = o({1, 1}, "same", {1, 1}, "sigmoid");
  no_bias.use_bias = false;
  return {
      {"conv2d_valid_tanh", {2, 5, 6, 3}, 4, {3, 2}, o({}, "valid", {}, "tanh")},
      {"conv2d_same_stride2_gelu", {2, 6, 5, 2}, 3, {3, 3}, o({2, 2}, "same", {}, "gelu")},
      {"conv2d_same_dilation2_linear", {1, 7, 7, 2}, 2, {3, 3}, o({}, "same", {2, 2}, "linear")},
      {"conv2d_valid_mixed_strides_softmax",
       {2, 7, 6, 2},
       3,
       {2, 3},
       o({1, 2}, "valid", {}, "softmax")},
      {"conv2d_no_bias", {1, 4, 5, 3}, 2, {2, 2}, no_bias},
      {"conv1d_valid_elu", {2, 9, 3}, 4, {3}, o({}, "valid", {}, "elu")},
      {"conv1d_causal_dilation2_tanh", {2, 8, 2}, 3, {3}, o({}, "causal", {2}, "tanh")},
      {"conv1d_same_stride2_sigmoid", {1, 9, 3}, 2, {4}, o({2}, "same", {}, "sigmoid")},
  };
}

class ConvGrad : public testing::TestWithParam<GradCase> {};

TEST_P(ConvGrad, BackwardMatchesFiniteDifferences) {
  const GradCase& c = GetParam();
  LayerPtr layer;
  if (c.kernel.size() == 2)
    layer = std::make_shared<Conv2D>(c.filters, c.kernel, c.options);
  else
    layer = std::make_shared<Conv1D>(c.filters, c.kernel, c.options);
  LayerHarness h{*layer, random_inputs({c.input}, 61)};
  Rng rng(62);
  layer->ensure_built(per_sample(h.inputs), rng);
  auto* conv = dynamic_cast<Conv*>(layer.get());
  if (c.options.use_bias) conv->bias().value.copy_from(random_tensor(rng, {c.filters}, -0.5, 0.5));
  h.check();
}

INSTANTIATE_TEST_SUITE_P(All, ConvGrad, testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

TEST(ConvGrad, WithRegularizersAndAnActivityRegularizer) {
  ConvOptions o;
  o.padding = "same";
  o.activation = "tanh";
  o.kernel_regularizer = Regularizer{0.0f, 0.01f};
  o.bias_regularizer = Regularizer{0.0f, 0.02f};
  o.activity_regularizer = Regularizer{0.0f, 0.03f};
  auto conv = std::make_shared<Conv2D>(3, std::vector<int64_t>{3, 3}, o);
  LayerHarness h{*conv, random_inputs({{2, 4, 5, 2}}, 63)};
  h.regularization = true;
  Rng rng(64);
  conv->ensure_built(per_sample(h.inputs), rng);
  conv->bias().value.copy_from(random_tensor(rng, {3}, -0.5, 0.5));
  h.check();
}

}  // namespace
}  // namespace glia
