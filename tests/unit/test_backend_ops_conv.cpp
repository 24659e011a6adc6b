// Op-harness cases for the convolution kernels (Backend::conv2d_*): every backend against the
// reference on odd sizes, strides, dilations, asymmetric "same" padding, causal 1-D padding,
// batch 1, a 1x1 kernel, a kernel larger than its input and the CNN example's shapes. Outputs
// start as NaN, so a kernel that leaves an element unwritten fails. Tolerances follow the float32
// error of a sum: relative to the same convolution of the absolute values.
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
using test::random_floats;

struct ConvCase {
  ConvGeometry g;
  ConvPadding padding;
};

ConvCase make(int64_t n, int64_t h, int64_t w, int64_t c, int64_t kh, int64_t kw, int64_t oc,
              int64_t sh, int64_t sw, int64_t dh, int64_t dw, ConvPadding p) {
  ConvGeometry g;
  g.batch = n, g.in_h = h, g.in_w = w, g.in_c = c, g.kernel_h = kh, g.kernel_w = kw;
  g.out_c = oc, g.stride_h = sh, g.stride_w = sw, g.dilation_h = dh, g.dilation_w = dw;
  return {with_padding(g, p), p};
}

std::vector<ConvCase> conv_cases() {
  using P = ConvPadding;
  return {
      make(2, 7, 9, 3, 3, 2, 5, 1, 1, 1, 1, P::valid),      // odd sizes, non-square kernel
      make(3, 8, 7, 2, 3, 3, 4, 2, 2, 1, 1, P::same),       // same + stride 2: odd pixel after
      make(1, 9, 9, 3, 3, 3, 2, 1, 1, 2, 2, P::same),       // dilation 2, batch 1
      make(2, 10, 11, 1, 3, 3, 3, 3, 3, 1, 1, P::valid),    // stride 3: last pixels unread
      make(2, 6, 5, 4, 1, 1, 7, 1, 1, 1, 1, P::valid),      // 1x1 kernel
      make(1, 2, 3, 2, 5, 4, 3, 1, 1, 1, 1, P::same),       // kernel larger than the input
      make(2, 1, 17, 4, 1, 5, 3, 1, 1, 1, 2, P::causal),    // Conv1D, causal, dilation 2
      make(3, 1, 16, 3, 1, 4, 2, 1, 2, 1, 1, P::same),      // Conv1D, same, stride 2
      make(2, 5, 6, 3, 2, 3, 4, 1, 2, 1, 1, P::same),       // mixed strides
      make(8, 28, 28, 1, 3, 3, 32, 1, 1, 1, 1, P::same),    // the CNN example's first conv
      make(4, 14, 14, 32, 3, 3, 64, 1, 1, 1, 1, P::valid),  // and its second
      // Geometries the CPU backend runs with Winograd (forward, backward-weights;
      // cpu_conv_algorithm.hpp): 3x3, stride 1, channels multiples of 16, batch >= 8.
      make(9, 7, 9, 16, 3, 3, 16, 1, 1, 1, 1, P::valid),  // odd sizes, odd batch
      make(8, 5, 11, 32, 3, 3, 16, 1, 1, 1, 1, P::same),  // padding 1 on every side
  };
}

std::vector<float> absolute(std::vector<float> v) {
  for (float& x : v) x = std::fabs(x);
  return v;
}

std::vector<double> as_bound(const std::vector<float>& v) {
  return {v.begin(), v.end()};
}

void forward_case(Backend& ref, Backend& be, const ConvGeometry& g, bool bias) {
  Rng rng(g.input_size() * 31 + g.out_c);
  const auto x = random_floats(rng, g.input_size()), k = random_floats(rng, g.kernel_size());
  const auto b = random_floats(rng, g.out_c);
  std::vector<float> want(g.output_size()), bound(g.output_size());
  ref.conv2d_forward(g, x.data(), k.data(), bias ? b.data() : nullptr, want.data());
  const auto ab = absolute(b);
  ref.conv2d_forward(g, absolute(x).data(), absolute(k).data(), bias ? ab.data() : nullptr,
                     bound.data());
  Dev dx(x), dk(k), db(b), dy(std::vector<float>(g.output_size(), kNaN));
  be.conv2d_forward(g, dx.p(), dk.p(), bias ? db.p() : nullptr, dy.p());
  const auto got = dy.read(be);
  EXPECT_TRUE(all_close_bound(got.data(), want.data(), as_bound(bound), 1e-5, 1e-6));
}

void backward_data_case(Backend& ref, Backend& be, const ConvGeometry& g) {
  Rng rng(g.output_size() * 17 + g.in_c);
  const auto dy = random_floats(rng, g.output_size()), k = random_floats(rng, g.kernel_size());
  std::vector<float> want(g.input_size()), bound(g.input_size());
  ref.conv2d_backward_data(g, dy.data(), k.data(), want.data());
  ref.conv2d_backward_data(g, absolute(dy).data(), absolute(k).data(), bound.data());
  Dev ddy(dy), dk(k), ddx(std::vector<float>(g.input_size(), kNaN));
  be.conv2d_backward_data(g, ddy.p(), dk.p(), ddx.p());
  const auto got = ddx.read(be);
  EXPECT_TRUE(all_close_bound(got.data(), want.data(), as_bound(bound), 1e-5, 1e-6));
}

void backward_weights_case(Backend& ref, Backend& be, const ConvGeometry& g, bool bias) {
  Rng rng(g.kernel_size() * 13 + g.batch);
  const auto x = random_floats(rng, g.input_size()), dy = random_floats(rng, g.output_size());
  std::vector<float> want_k(g.kernel_size()), bound_k(g.kernel_size());
  std::vector<float> want_b(g.out_c), bound_b(g.out_c);
  ref.conv2d_backward_weights(g, x.data(), dy.data(), want_k.data(), want_b.data());
  ref.conv2d_backward_weights(g, absolute(x).data(), absolute(dy).data(), bound_k.data(),
                              bound_b.data());
  Dev dx(x), ddy(dy), dk(std::vector<float>(g.kernel_size(), kNaN)),
      db(std::vector<float>(g.out_c, kNaN));
  be.conv2d_backward_weights(g, dx.p(), ddy.p(), dk.p(), bias ? db.p() : nullptr);
  const auto got_k = dk.read(be);
  EXPECT_TRUE(all_close_bound(got_k.data(), want_k.data(), as_bound(bound_k), 1e-5, 1e-6));
  const auto got_b = db.read(be);
  if (bias) {
    EXPECT_TRUE(all_close_bound(got_b.data(), want_b.data(), as_bound(bound_b), 1e-5, 1e-6));
  } else {
    for (float v : got_b) EXPECT_TRUE(std::isnan(v)) << "dbias written when null was passed";
  }
}

void add_conv_cases(std::vector<OpCase>& cases) {
  for (const ConvCase& c : conv_cases()) {
    const ConvGeometry g = c.g;
    const std::string label = g.str();
    for (bool bias : {true, false}) {
      const std::string b = bias ? "_bias" : "_nobias";
      cases.push_back({"conv2d_forward", label + b,
                       [=](Backend& ref, Backend& be) { forward_case(ref, be, g, bias); }});
      cases.push_back({"conv2d_backward_weights", label + b, [=](Backend& ref, Backend& be) {
                         backward_weights_case(ref, be, g, bias);
                       }});
    }
    cases.push_back({"conv2d_backward_data", label,
                     [=](Backend& ref, Backend& be) { backward_data_case(ref, be, g); }});
  }
}

static const bool registered = register_op_cases(add_conv_cases);

// ---- the geometry itself (Keras' output sizes and padding) ----

TEST(ConvGeometry, SamePaddingPutsTheOddPixelAfterAsTensorFlowDoes) {
  // in 8, k 3, s 2: out 4, total padding (4-1)*2 + 3 - 8 = 1 -> 0 before, 1 after.
  const ConvCase a = make(1, 8, 7, 1, 3, 4, 1, 2, 1, 1, 1, ConvPadding::same);
  EXPECT_EQ(a.g.out_h, 4);
  EXPECT_EQ(a.g.pad_top, 0);
  EXPECT_EQ(a.g.pad_bottom, 1);
  // in 7, k 4, s 1: total 3 -> 1 before, 2 after.
  EXPECT_EQ(a.g.out_w, 7);
  EXPECT_EQ(a.g.pad_left, 1);
  EXPECT_EQ(a.g.pad_right, 2);
  // Dilation 2 of a 3-tap kernel spans 5: total 4.
  const ConvCase d = make(1, 9, 9, 1, 3, 3, 1, 1, 1, 2, 2, ConvPadding::same);
  EXPECT_EQ(d.g.pad_top, 2);
  EXPECT_EQ(d.g.pad_bottom, 2);
}

TEST(ConvGeometry, ValidAndCausalOutputSizes) {
  const ConvCase v = make(1, 10, 11, 1, 3, 3, 1, 3, 3, 1, 1, ConvPadding::valid);
  EXPECT_EQ(v.g.out_h, 3);  // floor((10 - 3) / 3) + 1
  EXPECT_EQ(v.g.out_w, 3);
  const ConvCase c = make(1, 1, 17, 1, 1, 5, 1, 1, 1, 1, 2, ConvPadding::causal);
  EXPECT_EQ(c.g.pad_left, 8);  // dilation * (kernel - 1), all before
  EXPECT_EQ(c.g.pad_right, 0);
  EXPECT_EQ(c.g.out_w, 17);
}

TEST(ConvGeometry, RefusesAKernelLargerThanAValidInput) {
  const std::string e =
      test::error_of([] { make(1, 2, 2, 1, 3, 3, 1, 1, 1, 1, 1, ConvPadding::valid); });
  EXPECT_NE(e.find("larger than the padded input"), std::string::npos) << e;
  ConvGeometry bad = make(1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1, ConvPadding::valid).g;
  bad.out_h = 4;
  EXPECT_NE(test::error_of([&] { check_conv_geometry(bad); }).find("inconsistent"),
            std::string::npos);
}

}  // namespace
}  // namespace glia
