// Op-harness cases of the normalization kernels (issue 16): batch norm forward (training,
// inference) and backward, layer norm forward and backward, each backend against the reference
// backend. Shapes: one row, odd sizes, image-like N·H·W rows with few channels, wide rows, and
// sizes above the CPU backend's parallel grain; with and without gamma/beta.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/reference_backend.hpp"
#include "harness.hpp"
#include "op_harness.hpp"

namespace glia {
namespace {

using test::all_close;
using test::random_floats;
using namespace op_harness;

struct NormShape {
  int64_t rows, channels;
};
// 1 row (batch norm: zero variance), odd, images (2·13·13 positions × 16, 3·5·7 × 3), a wide
// layer-norm row, and many rows.
const std::vector<NormShape> kShapes = {{1, 1},    {1, 7},    {7, 13},   {105, 3},
                                        {338, 16}, {3, 1000}, {4099, 9}, {50, 300}};

std::string label(NormShape s, bool affine, float eps) {
  return std::to_string(s.rows) + "x" + std::to_string(s.channels) +
         (affine ? "_affine" : "_plain") + "_eps" + fmt(eps);
}

// Inputs with a per-channel offset (means away from 0, from -1.5 to 3) and spread.
std::vector<float> inputs(Rng& rng, NormShape s) {
  auto x = random_floats(rng, s.rows * s.channels, -2, 2);
  for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i)
    x[static_cast<size_t>(i)] += static_cast<float>(i % s.channels % 7) * 0.75f - 1.5f;
  return x;
}

struct Params {
  std::vector<float> gamma, beta;
  const float* g() const { return gamma.empty() ? nullptr : gamma.data(); }
  const float* b() const { return beta.empty() ? nullptr : beta.data(); }
};

Params params(Rng& rng, NormShape s, bool affine) {
  if (!affine) return {};
  return {random_floats(rng, s.channels, 0.5, 1.5), random_floats(rng, s.channels, -1, 1)};
}

void add_batch_norm_cases(std::vector<OpCase>& cases) {
  for (NormShape s : kShapes)
    for (bool affine : {true, false})
      for (float eps : {1e-3f, 1e-5f})
        for (bool relu : {false, true}) {
          if (!affine && eps != 1e-3f) continue;
          const std::string l = label(s, affine, eps) + (relu ? "_relu" : "");
          const NormGeometry g{s.rows, s.channels, eps, relu};
          const int64_t n = s.rows * s.channels, c = s.channels;
          // A fused ReLU's workspace: rows·channels floats (backend.hpp), NaN until written.
          const auto workspace = [=] { return Dev(std::vector<float>(relu ? n : 1, kNaN)); };
          cases.push_back(
              {"batch_norm_forward_training", l, [=](Backend& ref, Backend& be) {
                 Rng rng(n * 31 + c + affine);
                 const auto x = inputs(rng, s);
                 const Params p = params(rng, s, affine);
                 std::vector<float> y(x.size()), mean(c), var(c), ws(relu ? n : 0);
                 ref.batch_norm_forward_training(g, x.data(), p.g(), p.b(), y.data(), mean.data(),
                                                 var.data(), relu ? ws.data() : nullptr);
                 Dev dx(x), dy(std::vector<float>(x.size(), kNaN)), dm(std::vector<float>(c, kNaN)),
                     dv(std::vector<float>(c, kNaN));
                 Dev dg(affine ? p.gamma : std::vector<float>{1}),
                     db(affine ? p.beta : std::vector<float>{0});
                 Dev dws = workspace();
                 be.batch_norm_forward_training(g, dx.p(), affine ? dg.p() : nullptr,
                                                affine ? db.p() : nullptr, dy.p(), dm.p(), dv.p(),
                                                relu ? dws.p() : nullptr);
                 EXPECT_TRUE(all_close(dm.read(be), mean, 1e-5, 1e-6));
                 EXPECT_TRUE(all_close(dv.read(be), var, 1e-5, 1e-6));
                 const std::vector<float> out = dy.read(be);
                 EXPECT_TRUE(all_close(out, y, 1e-5, 2e-5));
                 if (relu) {  // max(·, 0): nothing negative
                   EXPECT_EQ(
                       std::count_if(out.begin(), out.end(), [](float v) { return !(v >= 0); }), 0);
                 }
               }});
          cases.push_back({"batch_norm_forward_inference", l, [=](Backend& ref, Backend& be) {
                             Rng rng(n * 37 + c + affine);
                             const auto x = inputs(rng, s);
                             const Params p = params(rng, s, affine);
                             const auto mean = random_floats(rng, c, -1, 1);
                             const auto var = random_floats(rng, c, 0.1, 3);
                             std::vector<float> y(x.size());
                             ref.batch_norm_forward_inference(g, x.data(), p.g(), p.b(),
                                                              mean.data(), var.data(), y.data());
                             Dev dx(x), dm(mean), dv(var), dy(std::vector<float>(x.size(), kNaN));
                             Dev dg(affine ? p.gamma : std::vector<float>{1}),
                                 db(affine ? p.beta : std::vector<float>{0});
                             be.batch_norm_forward_inference(g, dx.p(), affine ? dg.p() : nullptr,
                                                             affine ? db.p() : nullptr, dm.p(),
                                                             dv.p(), dy.p());
                             EXPECT_TRUE(all_close(dy.read(be), y, 1e-5, 2e-5));
                           }});
          cases.push_back(
              {"batch_norm_backward", l, [=](Backend& ref, Backend& be) {
                 Rng rng(n * 41 + c + affine);
                 const auto x = inputs(rng, s);
                 const Params p = params(rng, s, affine);
                 const auto dout = random_floats(rng, n, -1, 1);
                 std::vector<float> y(x.size()), mean(c), var(c), ws(relu ? n : 0);
                 float* wsp = relu ? ws.data() : nullptr;
                 ref.batch_norm_forward_training(g, x.data(), p.g(), p.b(), y.data(), mean.data(),
                                                 var.data(), wsp);
                 std::vector<float> dx(x.size()), dgamma(c), dbeta(c);
                 ref.batch_norm_backward(g, x.data(), dout.data(), p.g(), mean.data(), var.data(),
                                         wsp, dx.data(), dgamma.data(), dbeta.data());
                 Dev ddx(x), ddout(dout), dm(mean), dv(var);
                 Dev dg(affine ? p.gamma : std::vector<float>{1}),
                     db(affine ? p.beta : std::vector<float>{0});
                 // The backend's own workspace, from its own training forward.
                 Dev dws = workspace(), dy(std::vector<float>(x.size(), kNaN)),
                     fm(std::vector<float>(c, kNaN)), fv(std::vector<float>(c, kNaN));
                 be.batch_norm_forward_training(g, ddx.p(), affine ? dg.p() : nullptr,
                                                affine ? db.p() : nullptr, dy.p(), fm.p(), fv.p(),
                                                relu ? dws.p() : nullptr);
                 const float* bws = relu ? dws.p() : nullptr;
                 Dev gx(std::vector<float>(x.size(), kNaN)), gg(std::vector<float>(c, kNaN)),
                     gb(std::vector<float>(c, kNaN));
                 be.batch_norm_backward(g, ddx.p(), ddout.p(), affine ? dg.p() : nullptr, dm.p(),
                                        dv.p(), bws, gx.p(), gg.p(), gb.p());
                 EXPECT_TRUE(all_close(gx.read(be), dx, 1e-4, 2e-5));
                 EXPECT_TRUE(all_close(gg.read(be), dgamma, 1e-4, 1e-4));
                 EXPECT_TRUE(all_close(gb.read(be), dbeta, 1e-4, 1e-4));
                 // Gradients not wanted: dx alone, and the parameter sums alone.
                 Dev hx(std::vector<float>(x.size(), kNaN));
                 be.batch_norm_backward(g, ddx.p(), ddout.p(), affine ? dg.p() : nullptr, dm.p(),
                                        dv.p(), bws, hx.p(), nullptr, nullptr);
                 EXPECT_TRUE(all_close(hx.read(be), dx, 1e-4, 2e-5));
                 Dev hg(std::vector<float>(c, kNaN));
                 be.batch_norm_backward(g, ddx.p(), ddout.p(), affine ? dg.p() : nullptr, dm.p(),
                                        dv.p(), bws, nullptr, hg.p(), nullptr);
                 EXPECT_TRUE(all_close(hg.read(be), dgamma, 1e-4, 1e-4));
               }});
        }
}

void add_layer_norm_cases(std::vector<OpCase>& cases) {
  for (NormShape s : kShapes)
    for (bool affine : {true, false}) {
      const float eps = 1e-3f;
      const std::string l = label(s, affine, eps);
      const NormGeometry g{s.rows, s.channels, eps};
      const int64_t n = s.rows * s.channels, r = s.rows, c = s.channels;
      cases.push_back({"layer_norm_forward", l, [=](Backend& ref, Backend& be) {
                         Rng rng(n * 43 + c + affine);
                         const auto x = inputs(rng, s);
                         const Params p = params(rng, s, affine);
                         std::vector<float> y(x.size()), mean(r), var(r);
                         ref.layer_norm_forward(g, x.data(), p.g(), p.b(), y.data(), mean.data(),
                                                var.data());
                         Dev dx(x), dy(std::vector<float>(x.size(), kNaN)),
                             dm(std::vector<float>(r, kNaN)), dv(std::vector<float>(r, kNaN));
                         Dev dg(affine ? p.gamma : std::vector<float>{1}),
                             db(affine ? p.beta : std::vector<float>{0});
                         const float* gp = affine ? dg.p() : nullptr;
                         const float* bp = affine ? db.p() : nullptr;
                         be.layer_norm_forward(g, dx.p(), gp, bp, dy.p(), dm.p(), dv.p());
                         EXPECT_TRUE(all_close(dm.read(be), mean, 1e-5, 1e-6));
                         EXPECT_TRUE(all_close(dv.read(be), var, 1e-5, 1e-6));
                         EXPECT_TRUE(all_close(dy.read(be), y, 1e-5, 2e-5));
                         // Inference: no statistics wanted.
                         Dev dz(std::vector<float>(x.size(), kNaN));
                         be.layer_norm_forward(g, dx.p(), gp, bp, dz.p(), nullptr, nullptr);
                         EXPECT_TRUE(all_close(dz.read(be), y, 1e-5, 2e-5));
                       }});
      cases.push_back(
          {"layer_norm_backward", l, [=](Backend& ref, Backend& be) {
             Rng rng(n * 47 + c + affine);
             const auto x = inputs(rng, s);
             const Params p = params(rng, s, affine);
             const auto dout = random_floats(rng, n, -1, 1);
             std::vector<float> y(x.size()), mean(r), var(r);
             ref.layer_norm_forward(g, x.data(), p.g(), p.b(), y.data(), mean.data(), var.data());
             std::vector<float> dx(x.size()), dgamma(c), dbeta(c);
             ref.layer_norm_backward(g, x.data(), dout.data(), p.g(), mean.data(), var.data(),
                                     dx.data(), dgamma.data(), dbeta.data());
             Dev ddx(x), ddout(dout), dm(mean), dv(var);
             Dev dg(affine ? p.gamma : std::vector<float>{1});
             const float* gp = affine ? dg.p() : nullptr;
             Dev gx(std::vector<float>(x.size(), kNaN)), gg(std::vector<float>(c, kNaN)),
                 gb(std::vector<float>(c, kNaN));
             be.layer_norm_backward(g, ddx.p(), ddout.p(), gp, dm.p(), dv.p(), gx.p(), gg.p(),
                                    gb.p());
             EXPECT_TRUE(all_close(gx.read(be), dx, 1e-4, 2e-5));
             EXPECT_TRUE(all_close(gg.read(be), dgamma, 1e-4, 1e-4));
             EXPECT_TRUE(all_close(gb.read(be), dbeta, 1e-4, 1e-4));
             Dev hx(std::vector<float>(x.size(), kNaN));
             be.layer_norm_backward(g, ddx.p(), ddout.p(), gp, dm.p(), dv.p(), hx.p(), nullptr,
                                    nullptr);
             EXPECT_TRUE(all_close(hx.read(be), dx, 1e-4, 2e-5));
           }});
    }
}

void add_norm_cases(std::vector<OpCase>& cases) {
  add_batch_norm_cases(cases);
  add_layer_norm_cases(cases);
}

static const bool registered = op_harness::register_op_cases(add_norm_cases);

}  // namespace
}  // namespace glia
