// Finite-difference checks of BatchNormalization (training mode) and LayerNormalization through
// the Layer API (issue 16): the input gradient and gamma's and beta's, on 2-D and image-shaped
// inputs, with and without scale/center, and with their regularizers.
#include <gtest/gtest.h>

#include "glia/layers.hpp"
#include "layer_gradcheck.hpp"

namespace glia {
namespace {

using test::LayerHarness;
using test::per_sample;
using test::random_inputs;
using test::random_tensor;

struct NormCase {
  Shape input;  // with the batch
  bool scale, center;
};
void PrintTo(const NormCase& c, std::ostream* os) {
  *os << shape_str(c.input) << (c.scale ? "_scale" : "") << (c.center ? "_center" : "");
}

const NormCase kCases[] = {
    {{6, 5}, true, true},  {{3, 3, 4, 2}, true, true}, {{2, 3, 1, 5}, false, true},
    {{5, 4}, true, false}, {{4, 3}, false, false},     {{1, 3, 3, 3}, true, true},
};

// gamma and beta away from their initial ones and zeros, so their gradients matter.
void randomize(NormLayer& layer, Rng& rng) {
  for (Variable* v : layer.variables())
    v->value.copy_from(random_tensor(rng, v->value.shape(), 0.5, 1.5));
}

// Builds the layer for the case's input, moves gamma/beta off their defaults and checks it.
template <class L, class O>
void check_case(const NormCase& c, uint64_t seed) {
  O o;
  o.scale = c.scale;
  o.center = c.center;
  auto layer = std::make_shared<L>(o);
  LayerHarness h{*layer, random_inputs({c.input}, seed)};
  Rng rng(seed + 1);
  layer->ensure_built(per_sample(h.inputs), rng);
  randomize(*layer, rng);
  h.check();
}

class BatchNormGrad : public testing::TestWithParam<NormCase> {};

TEST_P(BatchNormGrad, TrainingBackwardMatchesFiniteDifferences) {
  check_case<BatchNormalization, BatchNormOptions>(GetParam(), 71);
}

INSTANTIATE_TEST_SUITE_P(All, BatchNormGrad, testing::ValuesIn(kCases));

class LayerNormGrad : public testing::TestWithParam<NormCase> {};

TEST_P(LayerNormGrad, BackwardMatchesFiniteDifferences) {
  check_case<LayerNormalization, NormOptions>(GetParam(), 73);
}

INSTANTIATE_TEST_SUITE_P(All, LayerNormGrad, testing::ValuesIn(kCases));

TEST(NormGrad, RegularizersJoinTheGradients) {
  BatchNormOptions b;
  b.gamma_regularizer = {0.01f, 0.02f};
  b.beta_regularizer = {0.0f, 0.05f};
  NormOptions l;
  l.gamma_regularizer = {0.0f, 0.03f};
  l.beta_regularizer = {0.02f, 0.0f};
  std::shared_ptr<NormLayer> layers[] = {std::make_shared<BatchNormalization>(b),
                                         std::make_shared<LayerNormalization>(l)};
  for (auto& layer : layers) {
    SCOPED_TRACE(layer->class_name());
    LayerHarness h{*layer, random_inputs({{4, 2, 3}}, 75)};
    h.regularization = true;
    Rng rng(76);
    layer->ensure_built(per_sample(h.inputs), rng);
    randomize(*layer, rng);
    EXPECT_GT(layer->regularization_loss(h.be), 0.0);
    h.check();
  }
}

}  // namespace
}  // namespace glia
