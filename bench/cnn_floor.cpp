// The oneDNN floor of the CNN benchmark (cnn_floor.hpp).
#include "cnn_floor.hpp"

#include <dnnl.h>

#include <array>
#include <chrono>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

namespace glia_bench {

namespace {

using Clock = std::chrono::steady_clock;
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

/// A buffer of small non-zero values (no denormals, no zeros a kernel could skip).
dnnl::memory filled(const dnnl::memory::desc& md, const dnnl::engine& eng, float value) {
  dnnl::memory m(md, eng);
  auto* p = static_cast<float*>(m.get_data_handle());
  const size_t count = md.get_size() / sizeof(float);
  for (size_t i = 0; i < count; ++i) p[i] = value * static_cast<float>(1 + i % 7);
  return m;
}

/// A primitive with its arguments.
struct Step {
  dnnl::primitive primitive;
  std::unordered_map<int, dnnl::memory> args;
  void run(dnnl::stream& stream) const {
    primitive.execute(stream, args);
    stream.wait();
  }
};

enum Pass { kForward, kBackwardData, kBackwardWeights };
const char* const kPassNames[] = {"fwd", "bwd_data", "bwd_weights"};

/// One pass of a convolution layer at one batch size: direct on NHWC activations, or Winograd
/// on the blocked activations it wants (no reorders: a floor). Nothing when oneDNN has no such
/// implementation.
std::optional<Step> conv_pass(const FloorConv& c, int64_t batch, const dnnl::engine& eng, Pass pass,
                              bool winograd) {
  const int64_t oh = c.h + 2 * c.pad - c.k + 1, ow = c.w + 2 * c.pad - c.k + 1;
  const tag act = winograd ? tag::any : tag::nhwc;
  const auto alg =
      winograd ? dnnl::algorithm::convolution_winograd : dnnl::algorithm::convolution_direct;
  const dnnl::memory::desc src({batch, c.in, c.h, c.w}, dt::f32, act);
  const dnnl::memory::desc dst({batch, c.out, oh, ow}, dt::f32, act);
  const dnnl::memory::desc wei_any({c.out, c.in, c.k, c.k}, dt::f32, tag::any);
  const dnnl::memory::dims strides{1, 1}, pad{c.pad, c.pad};
  try {
    const dnnl::convolution_forward::primitive_desc fwd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, src, wei_any, dst,
                                        strides, pad, pad),
        eng);
    switch (pass) {
      case kForward:
        return Step{dnnl::convolution_forward(fwd),
                    {{DNNL_ARG_SRC, filled(fwd.src_desc(), eng, 0.01f)},
                     {DNNL_ARG_WEIGHTS, filled(fwd.weights_desc(), eng, 0.01f)},
                     {DNNL_ARG_DST, filled(fwd.dst_desc(), eng, 0.01f)}}};
      case kBackwardData: {
        const dnnl::convolution_backward_data::primitive_desc bd(
            dnnl::convolution_backward_data::desc(alg, src, wei_any, dst, strides, pad, pad), eng,
            fwd);
        return Step{dnnl::convolution_backward_data(bd),
                    {{DNNL_ARG_DIFF_DST, filled(bd.diff_dst_desc(), eng, 0.001f)},
                     {DNNL_ARG_WEIGHTS, filled(bd.weights_desc(), eng, 0.01f)},
                     {DNNL_ARG_DIFF_SRC, filled(bd.diff_src_desc(), eng, 0.0f)}}};
      }
      case kBackwardWeights: {
        const dnnl::convolution_backward_weights::primitive_desc bw(
            dnnl::convolution_backward_weights::desc(alg, src, wei_any, dst, strides, pad, pad),
            eng, fwd);
        return Step{dnnl::convolution_backward_weights(bw),
                    {{DNNL_ARG_SRC, filled(bw.src_desc(), eng, 0.01f)},
                     {DNNL_ARG_DIFF_DST, filled(bw.diff_dst_desc(), eng, 0.001f)},
                     {DNNL_ARG_DIFF_WEIGHTS, filled(bw.diff_weights_desc(), eng, 0.0f)}}};
      }
    }
  } catch (const dnnl::error&) {
    // unimplemented for this algorithm and shape: no candidate
  }
  return std::nullopt;
}

/// One convolution pass of the model with the algorithms oneDNN offers for it (direct always,
/// Winograd where it has an implementation).
struct ConvCandidates {
  std::string name;  // "conv2.fwd"
  std::optional<Step> algorithm[2];
};
const char* const kAlgorithmNames[] = {"direct", "winograd"};

std::vector<ConvCandidates> conv_candidates(const std::vector<FloorConv>& convs, int64_t batch,
                                            const dnnl::engine& eng) {
  std::vector<ConvCandidates> out;
  for (size_t i = 0; i < convs.size(); ++i)
    for (Pass pass : {kForward, kBackwardData, kBackwardWeights}) {
      if (pass == kBackwardData && !convs[i].input_gradient) continue;
      ConvCandidates c{"conv" + std::to_string(i + 1) + "." + kPassNames[pass], {}};
      for (int a = 0; a < 2; ++a) c.algorithm[a] = conv_pass(convs[i], batch, eng, pass, a == 1);
      if (!c.algorithm[0]) throw std::runtime_error("oneDNN has no direct " + c.name);
      out.push_back(std::move(c));
    }
  return out;
}

void sgemm(char ta, char tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc) {
  dnnl_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

/// Every primitive at this batch size, `steps` times: the time of each, both algorithms of each
/// convolution pass ("conv2.fwd.direct", "conv2.fwd.winograd").
std::vector<FloorOp> run_steps(const std::vector<FloorConv>& convs,
                               const std::vector<FloorDense>& dense, int64_t batch, int64_t steps) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(eng);
  const std::vector<ConvCandidates> passes = conv_candidates(convs, batch, eng);
  struct Gemm {
    std::vector<float> x, w, y, dy, dw, dx;
  };
  std::vector<Gemm> g(dense.size());
  for (size_t i = 0; i < dense.size(); ++i) {
    const auto& d = dense[i];
    g[i] = {std::vector<float>(batch * d.in, 0.01f), std::vector<float>(d.in * d.out, 0.01f),
            std::vector<float>(batch * d.out),       std::vector<float>(batch * d.out, 0.001f),
            std::vector<float>(d.in * d.out),        std::vector<float>(batch * d.in)};
  }
  std::vector<std::array<double, 2>> conv_s(passes.size(), {0.0, 0.0});
  std::vector<double> dense_s(dense.size() * 3, 0.0);
  auto timed = [](double& acc, auto&& fn) {
    const auto t0 = Clock::now();
    fn();
    acc += std::chrono::duration<double>(Clock::now() - t0).count();
  };
  for (int64_t s = 0; s < steps; ++s) {
    for (size_t k = 0; k < passes.size(); ++k)  // both algorithms, taking turns to go first
      for (int turn = 0; turn < 2; ++turn) {
        const int a = static_cast<int>((turn + s) % 2);
        if (passes[k].algorithm[a])
          timed(conv_s[k][a], [&] { passes[k].algorithm[a]->run(stream); });
      }
    for (size_t i = 0; i < dense.size(); ++i) {
      const auto& d = dense[i];
      auto& m = g[i];
      timed(dense_s[3 * i], [&] {
        sgemm('N', 'N', batch, d.out, d.in, m.x.data(), d.in, m.w.data(), d.out, m.y.data(), d.out);
      });
      timed(dense_s[3 * i + 1], [&] {
        sgemm('T', 'N', d.in, d.out, batch, m.x.data(), d.in, m.dy.data(), d.out, m.dw.data(),
              d.out);
      });
      if (d.input_gradient)
        timed(dense_s[3 * i + 2], [&] {
          sgemm('N', 'T', batch, d.in, d.out, m.dy.data(), d.out, m.w.data(), d.out, m.dx.data(),
                d.in);
        });
    }
  }
  std::vector<FloorOp> ops;
  for (size_t k = 0; k < passes.size(); ++k)
    for (int a = 0; a < 2; ++a)
      if (passes[k].algorithm[a])
        ops.push_back({passes[k].name + "." + kAlgorithmNames[a], conv_s[k][a]});
  for (size_t i = 0; i < dense.size(); ++i) {
    const std::string name = "dense" + std::to_string(i + 1);
    ops.push_back({name + ".fwd", dense_s[3 * i]});
    ops.push_back({name + ".bwd_weights", dense_s[3 * i + 1]});
    if (dense[i].input_gradient) ops.push_back({name + ".bwd_data", dense_s[3 * i + 2]});
  }
  return ops;
}

}  // namespace

std::vector<FloorOp> floor_epoch(const std::vector<FloorConv>& convs,
                                 const std::vector<FloorDense>& dense, int64_t n, int64_t batch) {
  run_steps(convs, dense, batch, 2);  // warm-up: primitive creation, first touch
  std::vector<FloorOp> all = run_steps(convs, dense, batch, n / batch);
  if (n % batch) {  // the last, smaller batch (its primitives made and warmed first)
    run_steps(convs, dense, n % batch, 1);
    const std::vector<FloorOp> last = run_steps(convs, dense, n % batch, 1);
    for (size_t i = 0; i < all.size(); ++i) all[i].seconds += last[i].seconds;
  }
  // Each convolution pass's faster algorithm over the whole epoch (both ran every step, so a
  // busy machine slows both alike).
  std::vector<FloorOp> out;
  for (const FloorOp& op : all) {
    const bool conv = op.name.rfind("conv", 0) == 0;
    const std::string pass = conv ? op.name.substr(0, op.name.rfind('.')) : op.name;
    if (conv && !out.empty() && out.back().name.rfind(pass + ".", 0) == 0) {
      if (op.seconds < out.back().seconds) out.back() = op;
    } else {
      out.push_back(op);
    }
  }
  return out;
}

}  // namespace glia_bench
