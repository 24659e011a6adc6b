#include <gtest/gtest.h>

#include <cstdint>

#include "glia/error.hpp"
#include "glia/tensor.hpp"

namespace glia {
namespace {

TEST(Tensor, ZeroFilledAndAligned) {
  Tensor t({3, 5});
  EXPECT_EQ(t.size(), 15);
  EXPECT_EQ(t.rows(), 3);
  EXPECT_EQ(t.cols(), 5);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  for (int64_t i = 0; i < t.size(); ++i) EXPECT_EQ(t[i], 0.0f);
}

TEST(Tensor, CopySharesStorageCloneDoesNot) {
  Tensor a = Tensor::full({4}, 1.0f);
  Tensor b = a;
  b[0] = 7.0f;
  EXPECT_EQ(a[0], 7.0f);
  Tensor c = a.clone();
  c[1] = 9.0f;
  EXPECT_EQ(a[1], 1.0f);
}

TEST(Tensor, ResizeReusesCapacity) {
  Tensor t({50, 784});
  const float* p = t.data();
  t.resize({10, 784});
  EXPECT_EQ(t.data(), p);
  EXPECT_EQ(t.rows(), 10);
  t.resize({50, 784});
  EXPECT_EQ(t.data(), p);
  t.resize({51, 784});
  EXPECT_NE(t.capacity(), 50 * 784);
}

TEST(Tensor, ViewChecksCapacity) {
  Tensor t({2, 3});
  Tensor v = t.view({6});
  v[5] = 2.0f;
  EXPECT_EQ(t[5], 2.0f);
  EXPECT_THROW(t.view({7}), Error);
}

TEST(Tensor, FromChecksCount) {
  EXPECT_THROW(Tensor::from({2, 2}, {1, 2, 3}), Error);
  EXPECT_EQ(Tensor::from({2}, {1, 2}).to_vector(), (std::vector<float>{1, 2}));
}

TEST(Tensor, ShapeText) {
  EXPECT_EQ(shape_str({784}, true), "(None, 784)");
  EXPECT_EQ(shape_str({10}), "(10,)");
  EXPECT_EQ(shape_str({2, 3}), "(2, 3)");
}

}  // namespace
}  // namespace glia
