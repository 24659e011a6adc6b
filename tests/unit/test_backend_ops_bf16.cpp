// Op-harness cases of the mixed-precision kernels: round_bf16 on every backend, bit for bit
// against the reference backend, over special values, ties and random data (gemm_bf16's cases
// sit beside gemm's in test_backend_ops.cpp).
#include <gtest/gtest.h>

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

const bool registered = register_op_cases(add_round_bf16_cases);

}  // namespace
}  // namespace glia
