// The CPU backend's normalization kernels: oneDNN's batch_normalization and
// layer_normalization primitives (forward training/inference, backward with scale and shift) on
// the rows×channels matrix, as is (layer norm: a 2-D `nc` tensor; batch norm: an nhwc view of
// it, bnorm_desc), so no reorder is needed. oneDNN always gets a scale and a shift (ones and
// zeros when the layer has none), and gradients it is not asked for land in scratch buffers.
// Batch norm's primitives are made once per geometry, with oneDNN's fuse_norm_relu for a fused
// ReLU in training (its workspace: a bit mask in the layer's buffer), which
// batch_norm_fuses_relu allows only where oneDNN picks the same kernels as without it;
// inference runs the plain primitive and this backend's ReLU.
#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/cpu_backend.hpp"
#include "backends/dnnl_cache.hpp"
#include "backends/dnnl_context.hpp"
#include "glia/error.hpp"

namespace glia {

namespace {

using dnnl::memory;
using dnnl::normalization_flags;
using dnnl::prop_kind;
using tag = memory::format_tag;
using Args = std::unordered_map<int, memory>;
constexpr auto f32 = memory::data_type::f32;
const auto kScaleShift = normalization_flags::use_scale | normalization_flags::use_shift;

memory::desc matrix_desc(const NormGeometry& g) {
  return memory::desc({g.rows, g.channels}, f32, tag::nc);
}
// Batch norm's rows x channels as (rows / s, channels, s, 1) in nhwc, s the largest divisor of
// rows up to 64: the same memory, but oneDNN then runs its JIT channels-last kernels instead of
// the plain-C `nc` one (~10x slower), and with a spatial extent to block over they run faster
// still (the CNN example's 43264 x 32: forward 250 us with s = 64, 380 with s = 1; backward 400
// and 445).
memory::desc bnorm_desc(const NormGeometry& g) {
  int64_t s = std::min<int64_t>(64, g.rows);
  while (g.rows % s) --s;
  return memory::desc({g.rows / s, g.channels, s, 1}, f32, tag::nhwc);
}
memory::desc vector_desc(int64_t n) {
  return memory::desc({n}, f32, tag::a);
}
memory mem(const memory::desc& d, const float* p) {
  return memory(d, dnnl_context::engine(), const_cast<float*>(p));
}

// gamma and beta as oneDNN wants them: the given pointer, or ones / zeros.
struct ScaleShift {
  std::vector<float> ones, zeros;
  const float* scale;
  const float* shift;
  ScaleShift(const float* gamma, const float* beta, int64_t channels)
      : ones(gamma ? 0 : static_cast<size_t>(channels), 1.0f),
        zeros(beta ? 0 : static_cast<size_t>(channels), 0.0f),
        scale(gamma ? gamma : ones.data()),
        shift(beta ? beta : zeros.data()) {}
};

// The wanted gradients, or scratch buffers for those not wanted (oneDNN writes them all).
struct Grads {
  std::vector<float> scratch[3];
  float *dx, *dgamma, *dbeta;
  Grads(const NormGeometry& g, float* x, float* gamma, float* beta)
      : dx(or_scratch(x, scratch[0], g.rows * g.channels)),
        dgamma(or_scratch(gamma, scratch[1], g.channels)),
        dbeta(or_scratch(beta, scratch[2], g.channels)) {}
  static float* or_scratch(float* p, std::vector<float>& buffer, int64_t n) {
    if (p) return p;
    buffer.assign(static_cast<size_t>(n), 0.0f);
    return buffer.data();
  }
};

bool empty(const NormGeometry& g) {
  return g.rows <= 0 || g.channels <= 0;
}

// Source, destination, scale and shift, plus the statistics (`stats`: their descriptor, per
// channel for batch norm, per row for layer norm) unless they are null.
Args forward_args(const NormGeometry& g, const memory::desc& md, const memory::desc& stats,
                  const float* x, float* y, const float* mean, const float* variance,
                  const ScaleShift& ss) {
  const memory::desc cd = vector_desc(g.channels);
  Args args = {{DNNL_ARG_SRC, mem(md, x)},
               {DNNL_ARG_DST, mem(md, y)},
               {DNNL_ARG_SCALE, mem(cd, ss.scale)},
               {DNNL_ARG_SHIFT, mem(cd, ss.shift)}};
  if (mean && variance) {
    args.insert({DNNL_ARG_MEAN, mem(stats, mean)});
    args.insert({DNNL_ARG_VARIANCE, mem(stats, variance)});
  }
  return args;
}

// oneDNN 2.6's batch norm backward refuses to run without the shift, which it does not read.
Args backward_args(const NormGeometry& g, const memory::desc& md, const memory::desc& stats,
                   const float* x, const float* dy, const float* mean, const float* variance,
                   const ScaleShift& ss, const Grads& d) {
  const memory::desc cd = vector_desc(g.channels);
  return {{DNNL_ARG_SRC, mem(md, x)},
          {DNNL_ARG_DIFF_DST, mem(md, dy)},
          {DNNL_ARG_MEAN, mem(stats, mean)},
          {DNNL_ARG_VARIANCE, mem(stats, variance)},
          {DNNL_ARG_SCALE, mem(cd, ss.scale)},
          {DNNL_ARG_SHIFT, mem(cd, ss.shift)},
          {DNNL_ARG_DIFF_SRC, mem(md, d.dx)},
          {DNNL_ARG_DIFF_SCALE, mem(cd, d.dgamma)},
          {DNNL_ARG_DIFF_SHIFT, mem(cd, d.dbeta)}};
}

template <class Primitive>
void run(const Primitive& primitive, const Args& args) {
  dnnl::stream s = dnnl_context::stream();
  primitive.execute(s, args);
  s.wait();
}

// A batch norm geometry's primitives, made once: forward training and backward, and without a
// fused ReLU forward inference. With oneDNN's fuse_norm_relu the training forward writes a bit
// mask (the workspace) the backward reads.
struct BnormPrimitives {
  dnnl::batch_normalization_forward training, inference;
  dnnl::batch_normalization_backward backward;
  memory::desc workspace;
  bool workspace_fits = true;  // within the rows·channels floats the layer keeps (backend.hpp)
  std::string names;  // the implementations oneDNN chose, to compare with and without the ReLU
};

std::shared_ptr<BnormPrimitives> bnorm_primitives(const NormGeometry& g) {
  static PrimitiveCache<BnormPrimitives> cache;
  return cache.get({g.rows, g.channels, std::bit_cast<int32_t>(g.epsilon), g.relu ? 1 : 0}, [&] {
    const auto& engine = dnnl_context::engine();
    const memory::desc md = bnorm_desc(g);
    const normalization_flags relu =
        g.relu ? normalization_flags::fuse_norm_relu : normalization_flags::none;
    const dnnl::batch_normalization_forward::primitive_desc training(
        {prop_kind::forward_training, md, g.epsilon, kScaleShift | relu}, engine);
    const dnnl::batch_normalization_backward::primitive_desc backward(
        {prop_kind::backward, md, md, g.epsilon, kScaleShift | relu}, engine, training);
    auto p = std::make_shared<BnormPrimitives>();
    p->training = dnnl::batch_normalization_forward(training);
    p->backward = dnnl::batch_normalization_backward(backward);
    if (!g.relu)
      p->inference =
          dnnl::batch_normalization_forward({{prop_kind::forward_inference, md, g.epsilon,
                                              kScaleShift | normalization_flags::use_global_stats},
                                             engine});
    p->names = std::string(training.impl_info_str()) + "," + backward.impl_info_str();
    p->workspace = training.workspace_desc();
    p->workspace_fits =
        p->workspace.get_size() <= sizeof(float) * static_cast<size_t>(g.rows * g.channels);
    return p;
  });
}

const ActivationSpec kRelu{.kind = ActivationKind::relu};  // Keras' defaults: max(x, 0)

bool all_finite(const float* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) return false;
  return true;
}

dnnl::layer_normalization_forward::primitive_desc lnorm_forward_pd(const NormGeometry& g,
                                                                   prop_kind kind) {
  return {{kind, matrix_desc(g), vector_desc(g.rows), g.epsilon, kScaleShift},
          dnnl_context::engine()};
}

}  // namespace

bool CpuBackend::batch_norm_fuses_relu(const NormGeometry& g) {
  NormGeometry with = g, without = g;
  with.relu = true;
  without.relu = false;
  if (empty(g)) return true;
  const auto fused = bnorm_primitives(with);
  return fused->workspace_fits && fused->names == bnorm_primitives(without)->names;
}

// With g.relu: oneDNN's fused ReLU maps NaN to 0 where this backend's ReLU keeps it (a
// diverged model must show NaN). A NaN or infinity reaches the output only through the
// statistics, gamma or beta, so when one of them is not finite the output is recomputed without
// the fusion and the ReLU applied as the ReLU layer would; the mask stays (it is 0 for a NaN
// either way, as the ReLU layer's backward).
void CpuBackend::batch_norm_forward_training(const NormGeometry& g, const float* x,
                                             const float* gamma, const float* beta, float* y,
                                             float* mean, float* variance, float* workspace) {
  if (empty(g)) return;
  const ScaleShift ss(gamma, beta, g.channels);
  const auto p = bnorm_primitives(g);
  Args args = forward_args(g, bnorm_desc(g), vector_desc(g.channels), x, y, mean, variance, ss);
  if (g.relu)
    args.insert({DNNL_ARG_WORKSPACE, memory(p->workspace, dnnl_context::engine(), workspace)});
  run(p->training, args);
  if (!g.relu || (all_finite(mean, g.channels) && all_finite(variance, g.channels) &&
                  all_finite(ss.scale, g.channels) && all_finite(ss.shift, g.channels)))
    return;
  NormGeometry plain = g;
  plain.relu = false;
  args.erase(DNNL_ARG_WORKSPACE);
  run(bnorm_primitives(plain)->training, args);
  bias_activation(y, nullptr, y, g.rows, g.channels, kRelu);
}

// With g.relu: the plain inference followed by this backend's ReLU (NaN stays NaN).
void CpuBackend::batch_norm_forward_inference(const NormGeometry& g, const float* x,
                                              const float* gamma, const float* beta,
                                              const float* mean, const float* variance, float* y) {
  if (empty(g)) return;
  const ScaleShift ss(gamma, beta, g.channels);
  NormGeometry plain = g;
  plain.relu = false;
  run(bnorm_primitives(plain)->inference,
      forward_args(g, bnorm_desc(g), vector_desc(g.channels), x, y, mean, variance, ss));
  if (g.relu) bias_activation(y, nullptr, y, g.rows, g.channels, kRelu);
}

void CpuBackend::batch_norm_backward(const NormGeometry& g, const float* x, const float* dy,
                                     const float* gamma, const float* mean, const float* variance,
                                     const float* workspace, float* dx, float* dgamma,
                                     float* dbeta) {
  if (empty(g)) return;
  const ScaleShift ss(gamma, nullptr, g.channels);
  const auto p = bnorm_primitives(g);
  const Grads grads(g, dx, dgamma, dbeta);  // outlives the execution: may hold scratch
  Args args =
      backward_args(g, bnorm_desc(g), vector_desc(g.channels), x, dy, mean, variance, ss, grads);
  if (g.relu)
    args.insert({DNNL_ARG_WORKSPACE,
                 memory(p->workspace, dnnl_context::engine(), const_cast<float*>(workspace))});
  run(p->backward, args);
}

void CpuBackend::layer_norm_forward(const NormGeometry& g, const float* x, const float* gamma,
                                    const float* beta, float* y, float* mean, float* variance) {
  if (empty(g)) return;
  const ScaleShift ss(gamma, beta, g.channels);
  const bool stats = mean && variance;
  run(dnnl::layer_normalization_forward(
          lnorm_forward_pd(g, stats ? prop_kind::forward_training : prop_kind::forward_inference)),
      forward_args(g, matrix_desc(g), vector_desc(g.rows), x, y, mean, variance, ss));
}

void CpuBackend::layer_norm_backward(const NormGeometry& g, const float* x, const float* dy,
                                     const float* gamma, const float* mean, const float* variance,
                                     float* dx, float* dgamma, float* dbeta) {
  if (empty(g)) return;
  const ScaleShift ss(gamma, nullptr, g.channels);
  const memory::desc md = matrix_desc(g), rd = vector_desc(g.rows);
  const dnnl::layer_normalization_backward::primitive_desc pd(
      {prop_kind::backward, md, md, rd, g.epsilon, kScaleShift}, dnnl_context::engine(),
      lnorm_forward_pd(g, prop_kind::forward_training));
  run(dnnl::layer_normalization_backward(pd),
      backward_args(g, md, rd, x, dy, mean, variance, ss, Grads(g, dx, dgamma, dbeta)));
}

}  // namespace glia
