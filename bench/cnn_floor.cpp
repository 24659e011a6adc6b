// The oneDNN floor of the CNN benchmark (cnn_floor.hpp).
#include "cnn_floor.hpp"

#include <dnnl.h>

#include <chrono>
#include <oneapi/dnnl/dnnl.hpp>
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

/// The three primitives of one convolution layer and their memories, for one batch size.
struct ConvPrims {
  std::vector<std::pair<dnnl::primitive, std::unordered_map<int, dnnl::memory>>> steps;
  std::vector<std::string> names;

  ConvPrims(const FloorConv& c, int64_t batch, const dnnl::engine& eng, const std::string& name) {
    const int64_t oh = c.h + 2 * c.pad - c.k + 1, ow = c.w + 2 * c.pad - c.k + 1;
    const dnnl::memory::desc src({batch, c.in, c.h, c.w}, dt::f32, tag::nhwc);
    const dnnl::memory::desc dst({batch, c.out, oh, ow}, dt::f32, tag::nhwc);
    const dnnl::memory::desc wei_any({c.out, c.in, c.k, c.k}, dt::f32, tag::any);
    const dnnl::memory::dims strides{1, 1}, pad{c.pad, c.pad};
    dnnl::convolution_forward::primitive_desc fwd(
        dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training,
                                        dnnl::algorithm::convolution_direct, src, wei_any, dst,
                                        strides, pad, pad),
        eng);
    auto src_m = filled(src, eng, 0.01f), dst_m = filled(dst, eng, 0.01f);
    auto dsrc_m = filled(src, eng, 0.0f), ddst_m = filled(dst, eng, 0.001f);
    add(dnnl::convolution_forward(fwd),
        {{DNNL_ARG_SRC, src_m},
         {DNNL_ARG_WEIGHTS, filled(fwd.weights_desc(), eng, 0.01f)},
         {DNNL_ARG_DST, dst_m}},
        name + ".fwd");
    if (c.input_gradient) {
      dnnl::convolution_backward_data::primitive_desc bd(
          dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, src, wei_any,
                                                dst, strides, pad, pad),
          eng, fwd);
      add(dnnl::convolution_backward_data(bd),
          {{DNNL_ARG_DIFF_DST, ddst_m},
           {DNNL_ARG_WEIGHTS, filled(bd.weights_desc(), eng, 0.01f)},
           {DNNL_ARG_DIFF_SRC, dsrc_m}},
          name + ".bwd_data");
    }
    dnnl::convolution_backward_weights::primitive_desc bw(
        dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, src, wei_any,
                                                 dst, strides, pad, pad),
        eng, fwd);
    add(dnnl::convolution_backward_weights(bw),
        {{DNNL_ARG_SRC, src_m},
         {DNNL_ARG_DIFF_DST, ddst_m},
         {DNNL_ARG_DIFF_WEIGHTS, filled(bw.diff_weights_desc(), eng, 0.0f)}},
        name + ".bwd_weights");
  }

  void add(dnnl::primitive p, std::unordered_map<int, dnnl::memory> args, std::string name) {
    steps.emplace_back(std::move(p), std::move(args));
    names.push_back(std::move(name));
  }
};

void sgemm(char ta, char tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
           const float* b, int64_t ldb, float* c, int64_t ldc) {
  dnnl_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

/// Every primitive at this batch size, `steps` times: the time of each.
std::vector<FloorOp> run_steps(const std::vector<FloorConv>& convs,
                               const std::vector<FloorDense>& dense, int64_t batch, int64_t steps) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(eng);
  std::vector<ConvPrims> layers;
  for (size_t i = 0; i < convs.size(); ++i)
    layers.emplace_back(convs[i], batch, eng, "conv" + std::to_string(i + 1));
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
  std::vector<double> conv_s, dense_s(dense.size() * 3, 0.0);
  for (const auto& l : layers) conv_s.resize(conv_s.size() + l.steps.size(), 0.0);
  auto timed = [](double& acc, auto&& fn) {
    const auto t0 = Clock::now();
    fn();
    acc += std::chrono::duration<double>(Clock::now() - t0).count();
  };
  for (int64_t s = 0; s < steps; ++s) {
    size_t k = 0;
    for (auto& l : layers)
      for (auto& [prim, args] : l.steps)
        timed(conv_s[k++], [&] {
          prim.execute(stream, args);
          stream.wait();
        });
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
  size_t k = 0;
  for (const auto& l : layers)
    for (const auto& name : l.names) ops.push_back({name, conv_s[k++]});
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
  std::vector<FloorOp> out = run_steps(convs, dense, batch, n / batch);
  if (n % batch) {  // the last, smaller batch (its primitives made and warmed first)
    run_steps(convs, dense, n % batch, 1);
    const std::vector<FloorOp> last = run_steps(convs, dense, n % batch, 1);
    for (size_t i = 0; i < out.size(); ++i) out[i].seconds += last[i].seconds;
  }
  return out;
}

}  // namespace glia_bench
