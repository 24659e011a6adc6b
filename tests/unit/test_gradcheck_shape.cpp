// Finite-difference gradient checks of the shape layers (Reshape, Rescaling, ZeroPadding2D)
// through the Layer API on the reference backend.
#include <gtest/gtest.h>

#include "glia/layers.hpp"
#include "layer_gradcheck.hpp"

namespace glia {
namespace {

using test::LayerHarness;
using test::per_sample;
using test::random_inputs;

TEST(ShapeGrad, ReshapeWithAnInferredDimension) {
  auto layer = std::make_shared<Reshape>(Shape{-1, 3});
  LayerHarness h{*layer, random_inputs({{2, 4, 3, 1}}, 61)};
  Rng rng(62);
  EXPECT_EQ(layer->ensure_built(per_sample(h.inputs), rng), (Shape{4, 3}));
  h.check();
}

TEST(ShapeGrad, RescalingWithScaleAndOffset) {
  auto layer = std::make_shared<Rescaling>(-0.75f, 0.25f);
  LayerHarness h{*layer, random_inputs({{3, 5, 2}}, 63)};
  Rng rng(64);
  layer->ensure_built(per_sample(h.inputs), rng);
  h.check();
}

TEST(ShapeGrad, ZeroPadding2DUnevenSides) {
  auto layer = std::make_shared<ZeroPadding2D>(Padding2D{1, 2, 0, 3});
  LayerHarness h{*layer, random_inputs({{2, 3, 5, 2}}, 65)};
  Rng rng(66);
  EXPECT_EQ(layer->ensure_built(per_sample(h.inputs), rng), (Shape{6, 8, 2}));
  h.check();
}

TEST(ShapeGrad, ZeroPadding2DBatchOfOneSingleChannel) {
  auto layer = std::make_shared<ZeroPadding2D>(2);
  LayerHarness h{*layer, random_inputs({{1, 3, 3, 1}}, 67)};
  Rng rng(68);
  EXPECT_EQ(layer->ensure_built(per_sample(h.inputs), rng), (Shape{7, 7, 1}));
  h.check();
}

}  // namespace
}  // namespace glia
