// Pooling windows, shared by the reference loops and the CUDA kernels (__host__ __device__ under
// nvcc, see formulas.hpp): where an output pixel's window lies in the input, and which outputs'
// windows cover an input pixel. Plus the geometry check every backend runs first.
#pragma once

#include <cstdint>
#include <string>

#include "backends/formulas.hpp"
#include "glia/backend_pool.hpp"
#include "glia/error.hpp"

namespace glia::formulas {

/// The input rows [lo, hi) of output row o along one axis (padding clipped away).
struct Span {
  int64_t lo, hi;
};
GLIA_HD Span pool_window(int64_t o, int64_t stride, int64_t pad, int64_t pool, int64_t in) {
  const int64_t start = o * stride - pad;
  const int64_t lo = start < 0 ? 0 : start;
  const int64_t hi = start + pool > in ? in : start + pool;
  return {lo, hi};
}

/// The output rows [lo, hi) whose windows cover input row i along one axis.
GLIA_HD Span pool_covering(int64_t i, int64_t stride, int64_t pad, int64_t pool, int64_t out) {
  // o covers i when o*stride - pad <= i < o*stride - pad + pool.
  const int64_t p = i + pad;
  const int64_t first = p - pool + 1 <= 0 ? 0 : (p - pool + 1 + stride - 1) / stride;
  const int64_t last = p / stride + 1;
  return {first, last < out ? last : out};
}

/// Throws glia::Error (InvalidArgument) unless g is a consistent pooling geometry: positive sizes,
/// padding smaller than the window, and out_h/out_w what the window, stride and padding give.
inline void check_pool_geometry(const PoolGeometry& g, const char* backend) {
  auto bad = [&](const std::string& what) { throw Error(std::string(backend) + " pool: " + what); };
  if (g.batch < 0 || g.in_h <= 0 || g.in_w <= 0 || g.channels <= 0)
    bad("expected positive input sizes, got batch " + std::to_string(g.batch) + ", " +
        std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + "x" + std::to_string(g.channels));
  if (g.pool_h <= 0 || g.pool_w <= 0 || g.stride_h <= 0 || g.stride_w <= 0)
    bad("expected positive pool sizes and strides");
  if (g.pad_top < 0 || g.pad_bottom < 0 || g.pad_left < 0 || g.pad_right < 0 ||
      g.pad_top >= g.pool_h || g.pad_bottom >= g.pool_h || g.pad_left >= g.pool_w ||
      g.pad_right >= g.pool_w)
    bad("expected padding in [0, pool size) on every side");
  if (g.in_h * g.in_w > INT32_MAX) bad("images over 2^31 pixels are not supported");
  const int64_t oh = (g.in_h + g.pad_top + g.pad_bottom - g.pool_h) / g.stride_h + 1;
  const int64_t ow = (g.in_w + g.pad_left + g.pad_right - g.pool_w) / g.stride_w + 1;
  if (g.in_h + g.pad_top + g.pad_bottom < g.pool_h ||
      g.in_w + g.pad_left + g.pad_right < g.pool_w || oh != g.out_h || ow != g.out_w)
    bad("output " + std::to_string(g.out_h) + "x" + std::to_string(g.out_w) +
        " does not match the window, strides and padding");
}

}  // namespace glia::formulas
