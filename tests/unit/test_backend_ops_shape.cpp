// Op-harness cases of the shape kernels (backend_shape.hpp): pad2d, pad2d_backward and affine on
// every backend against the reference backend. Outputs start as NaN, so every element the kernel
// should write (the zero border too) is checked to be written.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "glia/backend.hpp"
#include "harness.hpp"
#include "op_harness.hpp"

namespace glia {
namespace {

using namespace op_harness;
using test::all_close_bound;
using test::bit_equal;
using test::random_floats;

std::string pad_label(const PadGeometry& g) {
  auto s = [](int64_t v) { return std::to_string(v); };
  return s(g.batch) + "x" + s(g.height) + "x" + s(g.width) + "x" + s(g.channels) + "_pad" +
         s(g.top) + "_" + s(g.bottom) + "_" + s(g.left) + "_" + s(g.right);
}

void add_pad_cases(std::vector<OpCase>& cases) {
  // Batch 1, a single pixel, no padding, odd and uneven sides, one side only, MNIST-sized
  // batches above the CPU backend's parallel grain, many channels.
  const std::vector<PadGeometry> shapes = {{1, 1, 1, 1, 0, 0, 0, 0},    {1, 1, 1, 1, 1, 1, 1, 1},
                                           {1, 3, 5, 1, 1, 1, 1, 1},    {2, 7, 5, 3, 1, 2, 0, 3},
                                           {3, 9, 11, 16, 0, 1, 2, 0},  {1, 4, 4, 3, 3, 0, 0, 3},
                                           {50, 28, 28, 1, 2, 2, 2, 2}, {33, 28, 28, 1, 1, 3, 0, 4},
                                           {4, 13, 17, 32, 1, 1, 1, 1}, {2, 6, 6, 5, 0, 0, 0, 0}};
  for (const PadGeometry& g : shapes) {
    cases.push_back({"pad2d", pad_label(g), [=](Backend& ref, Backend& be) {
                       Rng rng(g.in_size() + g.top * 7 + g.right);
                       const auto x = random_floats(rng, g.in_size());
                       std::vector<float> want(g.out_size(), kNaN);
                       ref.pad2d(g, x.data(), want.data());
                       Dev dx(x), dy(std::vector<float>(g.out_size(), kNaN));
                       be.pad2d(g, dx.p(), dy.p());
                       const auto got = dy.read(be);
                       EXPECT_TRUE(bit_equal(got.data(), want.data(), g.out_size()));
                     }});
    cases.push_back({"pad2d_backward", pad_label(g), [=](Backend& ref, Backend& be) {
                       Rng rng(g.out_size() + g.left * 5 + g.bottom);
                       const auto dy = random_floats(rng, g.out_size());
                       std::vector<float> want(g.in_size(), kNaN);
                       ref.pad2d_backward(g, dy.data(), want.data());
                       Dev ddy(dy), ddx(std::vector<float>(g.in_size(), kNaN));
                       be.pad2d_backward(g, ddy.p(), ddx.p());
                       const auto got = ddx.read(be);
                       EXPECT_TRUE(bit_equal(got.data(), want.data(), g.in_size()));
                     }});
  }
}

void add_affine_cases(std::vector<OpCase>& cases) {
  struct ScaleOffset {
    float scale, offset;
  };
  const std::vector<ScaleOffset> params = {
      {1.0f / 255.0f, 0.0f}, {1.0f / 127.5f, -1.0f}, {-2.5f, 0.75f}, {0.0f, 3.0f}, {1.0f, 0.0f}};
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1000}, int64_t{40001}, int64_t{235200}})
    for (const ScaleOffset& p : params)
      for (bool in_place : {false, true})
        cases.push_back({"affine",
                         std::to_string(n) + "_scale" + fmt(p.scale) + "_offset" + fmt(p.offset) +
                             (in_place ? "_in_place" : ""),
                         [=](Backend& ref, Backend& be) {
                           Rng rng(n * 31 + in_place);
                           const auto x = random_floats(rng, n, -300.0, 300.0);
                           std::vector<float> want(n, kNaN);
                           ref.affine(x.data(), want.data(), n, p.scale, p.offset);
                           Dev dx(x), dy(std::vector<float>(n, kNaN));
                           float* out = in_place ? dx.p() : dy.p();
                           be.affine(dx.p(), out, n, p.scale, p.offset);
                           const auto got = (in_place ? dx : dy).read(be);
                           // One rounding of the product apart at most (a fused multiply-add
                           // rounds once).
                           std::vector<double> bound(n);
                           for (int64_t i = 0; i < n; ++i)
                             bound[i] = std::fabs(double(x[i]) * p.scale) + std::fabs(p.offset);
                           EXPECT_TRUE(all_close_bound(got.data(), want.data(), bound, 1.2e-7, 0));
                         }});
}

void add_shape_cases(std::vector<OpCase>& cases) {
  add_pad_cases(cases);
  add_affine_cases(cases);
}

static const bool registered = register_op_cases(add_shape_cases);

}  // namespace
}  // namespace glia
