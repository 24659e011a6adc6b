// The shape kernels' geometry (Backend::pad2d / pad2d_backward): a zero padding of channels_last
// images (N, H, W, C) to (N, top + H + bottom, left + W + right, C), as keras.layers.ZeroPadding2D.
#pragma once

#include <cstdint>

namespace glia {

struct PadGeometry {
  int64_t batch = 0, height = 0, width = 0, channels = 0;  // the input (N, H, W, C)
  int64_t top = 0, bottom = 0, left = 0, right = 0;        // zeros added on each side
  constexpr int64_t out_height() const { return top + height + bottom; }
  constexpr int64_t out_width() const { return left + width + right; }
  constexpr int64_t in_size() const { return batch * height * width * channels; }
  constexpr int64_t out_size() const { return batch * out_height() * out_width() * channels; }
};

}  // namespace glia
