// Op-harness cases of the mixed-precision kernels: round_bf16 on every backend, bit for bit
// against the reference backend, over special values, ties and random data; and the three
// convolution passes of a mixed_bfloat16 convolution (ConvGeometry::bf16): a backend with bf16
// hardware rounds the operands itself, the others are given rounded ones, and both must give the
// reference's float32 sums of the rounded operands (gemm_bf16's cases sit beside gemm's in
// test_backend_ops.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "glia/backend.hpp"
#include "harness.hpp"
#include "op_harness.hpp"

namespace glia {
namespace {

using namespace op_harness;
using test::bit_equal;
using test::random_floats;

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Values where rounding is decided: ties (to even, both ways), just above and below a tie, the
// largest float (rounds past the largest bfloat16 to infinity), infinities, NaNs with payloads
// in the low bits only, signed zeros and subnormals.
std::vector<float> special_values() {
  const float inf = std::numeric_limits<float>::infinity();
  return {0.0f,
          -0.0f,
          1.0f,
          from_bits(0x3f808000u),  // 1 + 2^-8: a tie, stays 1 (even)
          from_bits(0x3f818000u),  // 1 + 3·2^-8: a tie, goes up to even
          from_bits(0x3f808001u),  // just above a tie: up
          from_bits(0x3f807fffu),  // just below a tie: down
          -from_bits(0x3f808001u),
          std::numeric_limits<float>::max(),
          -std::numeric_limits<float>::max(),
          from_bits(0x7f7f7fffu),  // below the tie under the largest bfloat16: stays finite
          inf,
          -inf,
          from_bits(0x7f800001u),  // a signalling NaN whose payload is only in the low bits
          from_bits(0xffc00000u),
          std::numeric_limits<float>::denorm_min(),
          from_bits(0x00018000u),
          3.14159265f,
          -1e-20f,
          65504.0f};
}

void add_round_bf16_cases(std::vector<OpCase>& cases) {
  cases.push_back({"round_bf16", "special_values", [](Backend& ref, Backend& be) {
                     const auto x = special_values();
                     const auto n = static_cast<int64_t>(x.size());
                     std::vector<float> want(n, kNaN);
                     ref.round_bf16(x.data(), want.data(), n);
                     Dev dx(x), dy(std::vector<float>(n, kNaN));
                     be.round_bf16(dx.p(), dy.p(), n);
                     const auto got = dy.read(be);
                     EXPECT_TRUE(bit_equal(got.data(), want.data(), n));
                   }});
  for (int64_t n : {int64_t{1}, int64_t{17}, int64_t{1000}, int64_t{40001}, int64_t{235200}})
    for (bool in_place : {false, true})
      cases.push_back({"round_bf16", std::to_string(n) + (in_place ? "_in_place" : ""),
                       [=](Backend& ref, Backend& be) {
                         Rng rng(n * 3 + in_place);
                         const auto x = random_floats(rng, n, -1e4, 1e4);
                         std::vector<float> want(n, kNaN);
                         ref.round_bf16(x.data(), want.data(), n);
                         Dev dx(x), dy(std::vector<float>(n, kNaN));
                         be.round_bf16(dx.p(), in_place ? dx.p() : dy.p(), n);
                         const auto got = (in_place ? dx : dy).read(be);
                         EXPECT_TRUE(bit_equal(got.data(), want.data(), n));
                       }});
}

std::vector<float> rounded(Backend& ref, std::vector<float> v) {
  ref.round_bf16(v.data(), v.data(), static_cast<int64_t>(v.size()));
  return v;
}

std::vector<float> absolute(std::vector<float> v) {
  for (float& x : v) x = std::fabs(x);
  return v;
}

// `v` as the tested backend is given it: as is where it rounds to bfloat16 itself.
Dev operand(Backend& ref, Backend& be, const std::vector<float>& v) {
  return Dev(be.native_bf16() ? v : rounded(ref, v));
}

ConvGeometry bf16_geometry(int64_t n, int64_t h, int64_t w, int64_t c, int64_t k, int64_t oc,
                           int64_t stride, ConvPadding p) {
  ConvGeometry g;
  g.batch = n, g.in_h = h, g.in_w = w, g.in_c = c, g.kernel_h = k, g.kernel_w = k, g.out_c = oc;
  g.stride_h = g.stride_w = stride;
  g = with_padding(g, p);
  g.bf16 = true;
  return g;
}

void add_conv_bf16_cases(std::vector<OpCase>& cases) {
  using P = ConvPadding;
  const std::vector<ConvGeometry> shapes = {
      bf16_geometry(2, 7, 9, 3, 3, 5, 1, P::valid), bf16_geometry(3, 8, 7, 2, 3, 4, 2, P::same),
      bf16_geometry(8, 28, 28, 1, 3, 32, 1, P::valid),   // the CNN example's first conv
      bf16_geometry(8, 13, 13, 32, 3, 64, 1, P::valid),  // and its second (Winograd in float32)
      bf16_geometry(1, 5, 5, 16, 1, 16, 1, P::valid)};
  const double tol = 1e-5, atol = 1e-6;  // float32 sums of exact bf16 products
  for (const ConvGeometry& g : shapes) {
    const std::string label = g.str();
    cases.push_back({"conv2d_forward", label, [=](Backend& ref, Backend& be) {
                       Rng rng(g.input_size() + 5);
                       const auto x = random_floats(rng, g.input_size());
                       const auto k = random_floats(rng, g.kernel_size());
                       const auto b = random_floats(rng, g.out_c);
                       const auto rx = rounded(ref, x), rk = rounded(ref, k);
                       std::vector<float> want(g.output_size()), bound(g.output_size());
                       ref.conv2d_forward(g, rx.data(), rk.data(), b.data(), want.data());
                       ref.conv2d_forward(g, absolute(rx).data(), absolute(rk).data(),
                                          absolute(b).data(), bound.data());
                       Dev dx = operand(ref, be, x), dk = operand(ref, be, k), db(b);
                       Dev dy(std::vector<float>(g.output_size(), kNaN));
                       be.conv2d_forward(g, dx.p(), dk.p(), db.p(), dy.p());
                       const auto got = dy.read(be);
                       EXPECT_TRUE(test::all_close_bound(got.data(), want.data(),
                                                         {bound.begin(), bound.end()}, tol, atol));
                     }});
    cases.push_back({"conv2d_backward_data", label, [=](Backend& ref, Backend& be) {
                       Rng rng(g.output_size() + 7);
                       const auto dy = random_floats(rng, g.output_size());
                       const auto k = random_floats(rng, g.kernel_size());
                       const auto rdy = rounded(ref, dy), rk = rounded(ref, k);
                       std::vector<float> want(g.input_size()), bound(g.input_size());
                       ref.conv2d_backward_data(g, rdy.data(), rk.data(), want.data());
                       ref.conv2d_backward_data(g, absolute(rdy).data(), absolute(rk).data(),
                                                bound.data());
                       Dev ddy = operand(ref, be, dy), dk = operand(ref, be, k);
                       Dev ddx(std::vector<float>(g.input_size(), kNaN));
                       be.conv2d_backward_data(g, ddy.p(), dk.p(), ddx.p());
                       const auto got = ddx.read(be);
                       EXPECT_TRUE(test::all_close_bound(got.data(), want.data(),
                                                         {bound.begin(), bound.end()}, tol, atol));
                     }});
    cases.push_back(
        {"conv2d_backward_weights", label, [=](Backend& ref, Backend& be) {
           Rng rng(g.kernel_size() + 9);
           const auto x = random_floats(rng, g.input_size());
           const auto dy = random_floats(rng, g.output_size());
           const auto rx = rounded(ref, x), rdy = rounded(ref, dy);
           std::vector<float> want_k(g.kernel_size()), bound_k(g.kernel_size());
           std::vector<float> want_b(g.out_c), bound_b(g.out_c);
           ref.conv2d_backward_weights(g, rx.data(), rdy.data(), want_k.data(), want_b.data());
           ref.conv2d_backward_weights(g, absolute(rx).data(), absolute(rdy).data(), bound_k.data(),
                                       bound_b.data());
           Dev dx = operand(ref, be, x), ddy = operand(ref, be, dy);
           Dev dk(std::vector<float>(g.kernel_size(), kNaN));
           Dev db(std::vector<float>(g.out_c, kNaN));
           be.conv2d_backward_weights(g, dx.p(), ddy.p(), dk.p(), db.p());
           const auto got_k = dk.read(be), got_b = db.read(be);
           EXPECT_TRUE(test::all_close_bound(got_k.data(), want_k.data(),
                                             {bound_k.begin(), bound_k.end()}, tol, atol));
           EXPECT_TRUE(test::all_close_bound(got_b.data(), want_b.data(),
                                             {bound_b.begin(), bound_b.end()}, tol, atol));
         }});
  }
}

const bool registered = register_op_cases(add_round_bf16_cases);

// The rounding itself, bit for bit against known answers (the cases above only compare the
// backends with the reference, which shares the formula).
TEST(RoundBf16, KnownAnswers) {
  const std::vector<std::pair<uint32_t, uint32_t>> known = {
      {0x3f808000u, 0x3f800000u},  // a tie, to even: down
      {0x3f818000u, 0x3f820000u},  // a tie, to even: up
      {0x3f808001u, 0x3f810000u},  // above a tie
      {0x3f807fffu, 0x3f800000u},  // below a tie
      {0xbf808001u, 0xbf810000u},  // negative
      {0x7f7fffffu, 0x7f800000u},  // the largest float: infinity
      {0x7f7f7fffu, 0x7f7f0000u},  // stays finite
      {0x7f800000u, 0x7f800000u},  // infinity
      {0x7f800001u, 0x7fc00000u},  // a NaN with a low payload: quiet, still NaN
      {0x80000000u, 0x80000000u},  // -0
  };
  for (const char* name : {"reference", "cpu"}) {
    Backend& be = *get_backend(name);
    for (auto [in, want] : known) {
      const float x = from_bits(in);
      float y = 0;
      be.round_bf16(&x, &y, 1);
      uint32_t got;
      std::memcpy(&got, &y, sizeof got);
      EXPECT_EQ(got, want) << name << ": 0x" << std::hex << in;
    }
  }
}
const bool registered_conv = register_op_cases(add_conv_bf16_cases);

}  // namespace
}  // namespace glia
