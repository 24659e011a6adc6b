// Op-harness cases for the pooling kernels (Backend::pool_forward / pool_backward): max and
// average, valid and Keras "same" padding, strides smaller, equal to and larger than the window,
// non-square windows, batch 1, odd sizes, 1-D (height 1), global windows (one of over 256 pixels,
// where oneDNN's max workspace switches from u8 to s32) and the CNN example's shapes.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/pool_formulas.hpp"
#include "backends/reference_backend.hpp"
#include "glia/backend.hpp"
#include "harness.hpp"
#include "op_harness.hpp"

namespace glia {
namespace {

using test::all_close;
using test::random_floats;
using namespace op_harness;

struct PoolShape {
  int64_t batch, h, w, c, ph, pw, sh, sw;
  bool same;  // Keras "same" padding, else "valid"
};

PoolGeometry geometry(const PoolShape& s, PoolKind kind) {
  PoolGeometry g;
  g.kind = kind;
  g.batch = s.batch, g.in_h = s.h, g.in_w = s.w, g.channels = s.c;
  g.pool_h = s.ph, g.pool_w = s.pw, g.stride_h = s.sh, g.stride_w = s.sw;
  if (s.same) {
    g.out_h = (s.h + s.sh - 1) / s.sh, g.out_w = (s.w + s.sw - 1) / s.sw;
    const int64_t th = std::max<int64_t>((g.out_h - 1) * s.sh + s.ph - s.h, 0);
    const int64_t tw = std::max<int64_t>((g.out_w - 1) * s.sw + s.pw - s.w, 0);
    g.pad_top = th / 2, g.pad_bottom = th - th / 2, g.pad_left = tw / 2, g.pad_right = tw - tw / 2;
  } else {
    g.out_h = (s.h - s.ph) / s.sh + 1, g.out_w = (s.w - s.pw) / s.sw + 1;
  }
  return g;
}

std::string label(const PoolShape& s, PoolKind kind) {
  auto n = [](int64_t v) { return std::to_string(v); };
  return std::string(kind == PoolKind::max ? "max_" : "avg_") + n(s.batch) + "x" + n(s.h) + "x" +
         n(s.w) + "x" + n(s.c) + "_pool" + n(s.ph) + "x" + n(s.pw) + "_stride" + n(s.sh) + "x" +
         n(s.sw) + (s.same ? "_same" : "_valid");
}

// Inputs in [-1, 1] from a continuous distribution: no ties for the maximum.
std::vector<float> input_for(const PoolGeometry& g) {
  Rng rng(g.input_size() * 7 + g.pool_h * 3 + g.pool_w);
  return random_floats(rng, g.input_size());
}

void forward_case(Backend& ref, Backend& be, const PoolGeometry& g, bool with_workspace) {
  const std::vector<float> x = input_for(g);
  std::vector<float> want(g.output_size(), kNaN), ref_ws(g.output_size());
  ref.pool_forward(g, x.data(), want.data(), ref_ws.data());
  Dev dx(x), dy(std::vector<float>(g.output_size(), kNaN));
  Dev dws(std::vector<float>(g.output_size(), 0.0f));
  be.pool_forward(g, dx.p(), dy.p(), with_workspace ? dws.p() : nullptr);
  const auto got = dy.read(be);
  // Max is exact; an average of up to a few hundred values in [-1, 1] rounds differently.
  EXPECT_TRUE(all_close(got, want, 1e-5, 1e-6));
}

void backward_case(Backend& ref, Backend& be, const PoolGeometry& g) {
  const std::vector<float> x = input_for(g);
  Rng rng(g.output_size() * 11 + 5);
  const std::vector<float> dy = random_floats(rng, g.output_size());
  std::vector<float> y(g.output_size()), ws(g.output_size());
  std::vector<float> want(g.input_size(), kNaN);
  ref.pool_forward(g, x.data(), y.data(), ws.data());
  ref.pool_backward(g, g.kind == PoolKind::max ? ws.data() : nullptr, dy.data(), want.data());
  Dev dx_in(x), dyv(std::vector<float>(g.output_size())), dws(std::vector<float>(g.output_size()));
  Dev ddy(dy), ddx(std::vector<float>(g.input_size(), kNaN));  // every element is written
  be.pool_forward(g, dx_in.p(), dyv.p(), dws.p());
  be.pool_backward(g, g.kind == PoolKind::max ? dws.p() : nullptr, ddy.p(), ddx.p());
  const auto got = ddx.read(be);
  EXPECT_TRUE(all_close(got, want, 1e-5, 1e-6));
}

void add_pool_cases(std::vector<OpCase>& cases) {
  const std::vector<PoolShape> shapes = {
      {1, 5, 7, 3, 2, 2, 2, 2, false},        // batch 1; the last row and column left out
      {2, 7, 6, 5, 3, 3, 2, 2, true},         // padding on both sides
      {3, 4, 5, 2, 2, 2, 1, 1, true},         // overlapping windows, padding after only
      {2, 6, 9, 4, 2, 3, 1, 2, false},        // non-square window and strides
      {2, 5, 5, 3, 2, 2, 3, 3, true},         // strides over the window: pixels no window sees
      {2, 8, 8, 17, 3, 3, 1, 1, false},       // odd channel count (vector tails)
      {3, 1, 11, 4, 1, 3, 1, 2, true},        // 1-D: height 1
      {2, 5, 7, 3, 5, 7, 5, 7, false},        // global window
      {2, 20, 20, 8, 20, 20, 20, 20, false},  // global window over 256 pixels
      {50, 26, 26, 32, 2, 2, 2, 2, false},    // the CNN example's first pool
      {50, 11, 11, 64, 2, 2, 2, 2, false},    // and its second (odd size)
  };
  for (const PoolShape& s : shapes)
    for (PoolKind kind : {PoolKind::max, PoolKind::average}) {
      const PoolGeometry g = geometry(s, kind);
      const std::string l = label(s, kind);
      cases.push_back(
          {"pool_forward", l, [g](Backend& ref, Backend& be) { forward_case(ref, be, g, false); }});
      cases.push_back({"pool_forward", l + "_workspace",
                       [g](Backend& ref, Backend& be) { forward_case(ref, be, g, true); }});
      cases.push_back(
          {"pool_backward", l, [g](Backend& ref, Backend& be) { backward_case(ref, be, g); }});
    }
  // An inconsistent geometry is refused by every backend, naming the output size.
  cases.push_back({"pool_forward", "refuses_bad_geometry", [](Backend&, Backend& be) {
                     PoolGeometry g = geometry({1, 4, 4, 1, 2, 2, 2, 2, false}, PoolKind::max);
                     g.out_w = 3;
                     std::vector<float> x(16), y(6);
                     const std::string e =
                         test::error_of([&] { be.pool_forward(g, x.data(), y.data(), nullptr); });
                     EXPECT_NE(e.find("does not match"), std::string::npos) << e;
                   }});
}

static const bool registered = register_op_cases(add_pool_cases);

// The CUDA backward gathers, per input pixel, the outputs whose windows cover it
// (pool_covering); checked here against the windows themselves (pool_window, which the
// reference loops use) on every small geometry, since this machine runs no CUDA kernel.
TEST(PoolFormulas, CoveringOutputsAreExactlyTheWindowsHoldingThePixel) {
  for (int64_t in = 1; in <= 9; ++in)
    for (int64_t pool = 1; pool <= 4; ++pool)
      for (int64_t stride = 1; stride <= 4; ++stride)
        for (int64_t pad = 0; pad < pool; ++pad)
          for (int64_t pad_after = 0; pad_after < pool; ++pad_after) {
            if (in + pad + pad_after < pool) continue;
            const int64_t out = (in + pad + pad_after - pool) / stride + 1;
            for (int64_t i = 0; i < in; ++i) {
              const formulas::Span cover = formulas::pool_covering(i, stride, pad, pool, out);
              for (int64_t o = 0; o < out; ++o) {
                const formulas::Span w = formulas::pool_window(o, stride, pad, pool, in);
                const bool holds = w.lo <= i && i < w.hi;
                ASSERT_EQ(holds, cover.lo <= o && o < cover.hi)
                    << "in " << in << " pool " << pool << " stride " << stride << " pad " << pad
                    << "/" << pad_after << " pixel " << i << " output " << o;
              }
            }
          }
}

}  // namespace
}  // namespace glia
