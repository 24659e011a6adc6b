// Finite-difference checks of the pooling layers' backward (reference backend, through the Layer
// API): max and average, valid and "same" padding, overlapping and skipping strides, 1-D and
// global pools. Max pooling's inputs are a shuffled ladder of distinct values 0.05 apart, so no
// window holds two values within the difference step of each other (no ties, no kinks crossed).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "glia/layers.hpp"
#include "layer_gradcheck.hpp"

namespace glia {
namespace {

using test::LayerHarness;
using test::per_sample;
using test::random_inputs;

Tensor ladder(const Shape& shape, uint64_t seed) {
  Tensor t(shape);
  std::vector<int64_t> order(static_cast<size_t>(t.size()));
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  for (int64_t i = 0; i < t.size(); ++i)
    t[i] = 0.05f * static_cast<float>(order[static_cast<size_t>(i)] - t.size() / 2);
  return t;
}

struct GradCase {
  std::string label;
  std::function<LayerPtr()> make;
  Shape input;  // with the batch
};

void PrintTo(const GradCase& c, std::ostream* os) {
  *os << c.label;
}

class PoolGrad : public testing::TestWithParam<GradCase> {};

TEST_P(PoolGrad, BackwardMatchesFiniteDifferences) {
  const GradCase& c = GetParam();
  LayerPtr layer = c.make();
  const bool max = dynamic_cast<PoolingBase&>(*layer).kind() == PoolKind::max;
  std::vector<Tensor> inputs =
      max ? std::vector<Tensor>{ladder(c.input, 61)} : random_inputs({c.input}, 62);
  LayerHarness h{*layer, inputs};
  Rng rng(63);
  layer->ensure_built(per_sample(h.inputs), rng);
  h.check();
}

template <class L>
std::function<LayerPtr()> pool(PoolingOptions o) {
  return [o] { return std::make_shared<L>(o); };
}
template <class L>
std::function<LayerPtr()> global(bool keepdims) {
  return [keepdims] { return std::make_shared<L>(GlobalPoolingOptions{.keepdims = keepdims}); };
}

INSTANTIATE_TEST_SUITE_P(
    All, PoolGrad,
    testing::Values(
        GradCase{"max2d_valid_odd", pool<MaxPooling2D>({}), {2, 5, 5, 3}},
        GradCase{"max2d_same_overlapping",
                 pool<MaxPooling2D>({.pool_size = {3}, .strides = {2}, .padding = "same"}),
                 {1, 6, 7, 2}},
        GradCase{"max2d_skipping_strides",
                 pool<MaxPooling2D>({.pool_size = {2, 1}, .strides = {3, 2}}),
                 {2, 7, 5, 2}},
        GradCase{
            "avg2d_same_nonsquare",
            pool<AveragePooling2D>({.pool_size = {2, 3}, .strides = {1, 2}, .padding = "same"}),
            {2, 5, 6, 3}},
        GradCase{"avg2d_valid_stride1", pool<AveragePooling2D>({.strides = {1}}), {1, 4, 5, 2}},
        GradCase{"max1d_same",
                 pool<MaxPooling1D>({.pool_size = {3}, .strides = {2}, .padding = "same"}),
                 {2, 9, 3}},
        GradCase{"avg1d_valid", pool<AveragePooling1D>({}), {3, 7, 2}},
        GradCase{"global_max2d", global<GlobalMaxPooling2D>(false), {2, 4, 5, 3}},
        GradCase{"global_avg2d_keepdims", global<GlobalAveragePooling2D>(true), {2, 4, 5, 3}},
        GradCase{"global_max1d_keepdims", global<GlobalMaxPooling1D>(true), {2, 6, 3}},
        GradCase{"global_avg1d", global<GlobalAveragePooling1D>(false), {3, 6, 2}}),
    [](const testing::TestParamInfo<GradCase>& info) { return info.param.label; });

}  // namespace
}  // namespace glia
