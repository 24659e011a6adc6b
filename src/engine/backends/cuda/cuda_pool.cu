// The CUDA backend's pooling: direct kernels on channels_last tensors. The forward runs one
// thread per output element; max pooling's training forward writes, per output, the int32 index
// h * in_w + w of its window's first maximum into the workspace. The backward runs one thread per
// input element and gathers the outputs whose windows cover it, in a fixed order: deterministic,
// no atomics.
#include <cstdint>

#include "backends/cuda/cuda_internal.cuh"
#include "backends/pool_formulas.hpp"

namespace glia::cuda {

using namespace formulas;  // the shared window formulas

namespace {

__global__ void pool_forward_kernel(PoolGeometry g, const float* x, float* y, int32_t* argmax) {
  const int64_t C = g.channels, n_out = g.output_size();
  for (int64_t i = global_index(); i < n_out; i += global_stride()) {
    const int64_t c = i % C, ow = (i / C) % g.out_w, oh = (i / C / g.out_w) % g.out_h;
    const int64_t n = i / C / g.out_w / g.out_h;
    const float* xn = x + n * g.in_h * g.in_w * C;
    const Span hs = pool_window(oh, g.stride_h, g.pad_top, g.pool_h, g.in_h);
    const Span ws = pool_window(ow, g.stride_w, g.pad_left, g.pool_w, g.in_w);
    if (g.kind == PoolKind::average) {
      double sum = 0;
      for (int64_t h = hs.lo; h < hs.hi; ++h)
        for (int64_t w = ws.lo; w < ws.hi; ++w) sum += xn[(h * g.in_w + w) * C + c];
      y[i] = static_cast<float>(sum / static_cast<double>((hs.hi - hs.lo) * (ws.hi - ws.lo)));
      continue;
    }
    float best = -INFINITY;
    int64_t at = hs.lo * g.in_w + ws.lo;
    for (int64_t h = hs.lo; h < hs.hi; ++h)
      for (int64_t w = ws.lo; w < ws.hi; ++w) {
        const float v = xn[(h * g.in_w + w) * C + c];
        if (v > best) {
          best = v;
          at = h * g.in_w + w;
        }
      }
    y[i] = best;
    if (argmax) argmax[i] = static_cast<int32_t>(at);
  }
}

__global__ void pool_backward_kernel(PoolGeometry g, const int32_t* argmax, const float* dy,
                                     float* dx) {
  const int64_t C = g.channels, n_in = g.input_size();
  for (int64_t i = global_index(); i < n_in; i += global_stride()) {
    const int64_t c = i % C, w = (i / C) % g.in_w, h = (i / C / g.in_w) % g.in_h;
    const int64_t n = i / C / g.in_w / g.in_h;
    const Span ohs = pool_covering(h, g.stride_h, g.pad_top, g.pool_h, g.out_h);
    const Span ows = pool_covering(w, g.stride_w, g.pad_left, g.pool_w, g.out_w);
    const int32_t here = static_cast<int32_t>(h * g.in_w + w);
    double sum = 0;
    for (int64_t oh = ohs.lo; oh < ohs.hi; ++oh)
      for (int64_t ow = ows.lo; ow < ows.hi; ++ow) {
        const int64_t o = ((n * g.out_h + oh) * g.out_w + ow) * C + c;
        if (g.kind == PoolKind::max) {
          if (argmax[o] == here) sum += dy[o];
          continue;
        }
        const Span hs = pool_window(oh, g.stride_h, g.pad_top, g.pool_h, g.in_h);
        const Span ws = pool_window(ow, g.stride_w, g.pad_left, g.pool_w, g.in_w);
        sum += static_cast<double>(dy[o]) / static_cast<double>((hs.hi - hs.lo) * (ws.hi - ws.lo));
      }
    dx[i] = static_cast<float>(sum);
  }
}

}  // namespace

void CudaBackend::pool_forward(const PoolGeometry& g, const float* x, float* y, float* workspace) {
  check_pool_geometry(g, "cuda");
  const int64_t n_out = g.output_size();
  if (n_out <= 0) return;
  const bool keep = workspace && g.kind == PoolKind::max;
  Operands ops(*this);
  const float* d_x = ops.in(x, g.input_size());
  float* d_y = ops.out(y, n_out);
  float* d_ws = keep ? ops.out(workspace, n_out) : nullptr;
  pool_forward_kernel<<<grid_for(n_out), kThreads, 0, stream_>>>(g, d_x, d_y,
                                                                 reinterpret_cast<int32_t*>(d_ws));
  check_launch("pool_forward_kernel");
  ops.finish();
}

void CudaBackend::pool_backward(const PoolGeometry& g, const float* workspace, const float* dy,
                                float* dx) {
  check_pool_geometry(g, "cuda");
  const int64_t n_in = g.input_size(), n_out = g.output_size();
  if (n_in <= 0) return;
  const bool max = g.kind == PoolKind::max;
  if (max && !workspace)
    throw Error("cuda pool_backward: max pooling needs the forward's workspace");
  Operands ops(*this);
  const float* d_ws = max ? ops.in(workspace, n_out) : nullptr;
  const float* d_dy = ops.in(dy, n_out);
  float* d_dx = ops.out(dx, n_in);
  pool_backward_kernel<<<grid_for(n_in), kThreads, 0, stream_>>>(
      g, reinterpret_cast<const int32_t*>(d_ws), d_dy, d_dx);
  check_launch("pool_backward_kernel");
  ops.finish();
}

}  // namespace glia::cuda
