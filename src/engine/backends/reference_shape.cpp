// The reference backend's shape kernels (backend_shape.hpp): zero padding of channels_last images
// and its backward crop, and the affine map y = x * scale + offset, as plain loops.
#include <algorithm>

#include "backends/reference_backend.hpp"

namespace glia {

void ReferenceBackend::pad2d(const PadGeometry& g, const float* x, float* y) {
  const int64_t oh = g.out_height(), ow = g.out_width(), c = g.channels;
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        float* out = y + ((n * oh + i) * ow + j) * c;
        const int64_t si = i - g.top, sj = j - g.left;
        const bool inside = si >= 0 && si < g.height && sj >= 0 && sj < g.width;
        for (int64_t k = 0; k < c; ++k)
          out[k] = inside ? x[((n * g.height + si) * g.width + sj) * c + k] : 0.0f;
      }
}

void ReferenceBackend::pad2d_backward(const PadGeometry& g, const float* dy, float* dx) {
  const int64_t oh = g.out_height(), ow = g.out_width(), c = g.channels;
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t i = 0; i < g.height; ++i)
      for (int64_t j = 0; j < g.width; ++j)
        for (int64_t k = 0; k < c; ++k)
          dx[((n * g.height + i) * g.width + j) * c + k] =
              dy[((n * oh + i + g.top) * ow + j + g.left) * c + k];
}

void ReferenceBackend::affine(const float* x, float* y, int64_t n, float scale, float offset) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale + offset;
}

}  // namespace glia
