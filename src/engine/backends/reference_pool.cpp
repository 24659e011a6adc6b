// The reference backend's pooling: plain loops over output pixels, sums in double. The max
// workspace holds, per output, the int32 index h * in_w + w of its window's first maximum.
#include <algorithm>
#include <cstring>
#include <limits>

#include "backends/pool_formulas.hpp"
#include "backends/reference_backend.hpp"

namespace glia {

using formulas::pool_window;
using formulas::Span;

namespace {

/// Calls fn(o, xo, hs, ws) for every output pixel: o its offset in y, xo its image's offset in
/// x, hs/ws the input rows and columns of its window.
template <class Fn>
void for_each_window(const PoolGeometry& g, Fn&& fn) {
  const int64_t C = g.channels;
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      const Span hs = pool_window(oh, g.stride_h, g.pad_top, g.pool_h, g.in_h);
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const Span ws = pool_window(ow, g.stride_w, g.pad_left, g.pool_w, g.in_w);
        fn(((n * g.out_h + oh) * g.out_w + ow) * C, n * g.in_h * g.in_w * C, hs, ws);
      }
    }
}

}  // namespace

void ReferenceBackend::pool_forward(const PoolGeometry& g, const float* x, float* y,
                                    float* workspace) {
  formulas::check_pool_geometry(g, "reference");
  const int64_t C = g.channels;
  for_each_window(g, [&](int64_t o, int64_t xo, Span hs, Span ws) {
    const float* xn = x + xo;
    for (int64_t c = 0; c < C; ++c) {
      if (g.kind == PoolKind::average) {
        double sum = 0;
        for (int64_t h = hs.lo; h < hs.hi; ++h)
          for (int64_t w = ws.lo; w < ws.hi; ++w) sum += xn[(h * g.in_w + w) * C + c];
        y[o + c] = static_cast<float>(sum / static_cast<double>((hs.hi - hs.lo) * (ws.hi - ws.lo)));
        continue;
      }
      float best = -std::numeric_limits<float>::infinity();
      auto at = static_cast<int32_t>(hs.lo * g.in_w + ws.lo);
      for (int64_t h = hs.lo; h < hs.hi; ++h)
        for (int64_t w = ws.lo; w < ws.hi; ++w)
          if (const float v = xn[(h * g.in_w + w) * C + c]; v > best) {
            best = v;
            at = static_cast<int32_t>(h * g.in_w + w);
          }
      y[o + c] = best;
      if (workspace) std::memcpy(workspace + o + c, &at, sizeof at);
    }
  });
}

void ReferenceBackend::pool_backward(const PoolGeometry& g, const float* workspace, const float* dy,
                                     float* dx) {
  formulas::check_pool_geometry(g, "reference");
  const int64_t C = g.channels;
  std::fill(dx, dx + g.input_size(), 0.0f);
  for_each_window(g, [&](int64_t o, int64_t xo, Span hs, Span ws) {
    float* dxn = dx + xo;
    for (int64_t c = 0; c < C; ++c) {
      if (g.kind == PoolKind::max) {
        int32_t at = 0;
        std::memcpy(&at, workspace + o + c, sizeof at);
        dxn[at * C + c] += dy[o + c];
        continue;
      }
      const auto share = static_cast<float>(dy[o + c] / double((hs.hi - hs.lo) * (ws.hi - ws.lo)));
      for (int64_t h = hs.lo; h < hs.hi; ++h)
        for (int64_t w = ws.lo; w < ws.hi; ++w) dxn[(h * g.in_w + w) * C + c] += share;
    }
  });
}

}  // namespace glia
