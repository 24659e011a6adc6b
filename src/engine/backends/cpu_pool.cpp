// The CPU backend's pooling: oneDNN's pooling primitives on nhwc memory (the tensors' own
// layout: no reorders). Max pooling's training forward keeps oneDNN's workspace (the position of
// each window's maximum, one u8 or s32 per output) in the caller's workspace buffer, which the
// backward reads; average pooling excludes the padding (pooling_avg_exclude_padding), as Keras.
#include <string>
#include <unordered_map>

#include "backends/cpu_backend.hpp"
#include "backends/dnnl_context.hpp"
#include "backends/pool_formulas.hpp"
#include "glia/error.hpp"

namespace glia {

namespace {

using dnnl::memory;

struct PoolDescs {
  memory::desc src, dst;
  memory::dims strides, kernel, pad_l, pad_r;
  dnnl::algorithm alg;
};

PoolDescs pool_descs(const PoolGeometry& g) {
  const auto f32 = memory::data_type::f32;
  const auto nhwc = memory::format_tag::nhwc;
  return {memory::desc({g.batch, g.channels, g.in_h, g.in_w}, f32, nhwc),
          memory::desc({g.batch, g.channels, g.out_h, g.out_w}, f32, nhwc),
          {g.stride_h, g.stride_w},
          {g.pool_h, g.pool_w},
          {g.pad_top, g.pad_left},
          {g.pad_bottom, g.pad_right},
          g.kind == PoolKind::max ? dnnl::algorithm::pooling_max
                                  : dnnl::algorithm::pooling_avg_exclude_padding};
}

dnnl::pooling_forward::primitive_desc forward_pd(const PoolDescs& d, bool training) {
  const auto prop =
      training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
  return {{prop, d.alg, d.src, d.dst, d.strides, d.kernel, d.pad_l, d.pad_r},
          dnnl_context::engine()};
}

/// The workspace memory over the caller's buffer of output_size() floats.
memory workspace_memory(const memory::desc& ws, const PoolGeometry& g, const float* buffer) {
  const size_t have = static_cast<size_t>(g.output_size()) * sizeof(float);
  if (ws.get_size() > have)
    throw Error(ErrorKind::Internal, "cpu pool: oneDNN wants a max-pooling workspace of " +
                                         std::to_string(ws.get_size()) + " bytes, over the " +
                                         std::to_string(have) + " the caller gives");
  return memory(ws, dnnl_context::engine(), const_cast<float*>(buffer));
}

void execute(const dnnl::primitive& p, const std::unordered_map<int, memory>& args) {
  dnnl::stream s = dnnl_context::stream();
  p.execute(s, args);
  s.wait();
}

[[noreturn]] void rethrow(const dnnl::error& e, const char* what) {
  throw Error(ErrorKind::Internal, std::string("cpu ") + what + ": oneDNN: " + e.what());
}

}  // namespace

void CpuBackend::pool_forward(const PoolGeometry& g, const float* x, float* y, float* workspace) {
  formulas::check_pool_geometry(g, "cpu");
  if (g.batch == 0) return;
  const bool keep = workspace && g.kind == PoolKind::max;
  try {
    const PoolDescs d = pool_descs(g);
    const auto pd = forward_pd(d, keep);
    auto& eng = dnnl_context::engine();
    memory src(d.src, eng, const_cast<float*>(x)), dst(d.dst, eng, y);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
    if (keep) args.emplace(DNNL_ARG_WORKSPACE, workspace_memory(pd.workspace_desc(), g, workspace));
    execute(dnnl::pooling_forward(pd), args);
  } catch (const dnnl::error& e) {
    rethrow(e, "pool_forward");
  }
}

void CpuBackend::pool_backward(const PoolGeometry& g, const float* workspace, const float* dy,
                               float* dx) {
  formulas::check_pool_geometry(g, "cpu");
  if (g.batch == 0) return;
  const bool max = g.kind == PoolKind::max;
  if (max && !workspace)
    throw Error("cpu pool_backward: max pooling needs the forward's workspace");
  try {
    const PoolDescs d = pool_descs(g);
    const auto hint = forward_pd(d, true);
    const dnnl::pooling_backward::primitive_desc pd(
        {d.alg, d.src, d.dst, d.strides, d.kernel, d.pad_l, d.pad_r}, dnnl_context::engine(), hint);
    auto& eng = dnnl_context::engine();
    memory diff_dst(d.dst, eng, const_cast<float*>(dy)), diff_src(d.src, eng, dx);
    std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, diff_dst},
                                         {DNNL_ARG_DIFF_SRC, diff_src}};
    if (max) args.emplace(DNNL_ARG_WORKSPACE, workspace_memory(pd.workspace_desc(), g, workspace));
    execute(dnnl::pooling_backward(pd), args);
  } catch (const dnnl::error& e) {
    rethrow(e, "pool_backward");
  }
}

}  // namespace glia
