// The pooling kernels' geometry (Backend::pool_forward / pool_backward): 2-D max and average
// pooling over channels_last images (batch, height, width, channels). 1-D pooling is 2-D with
// height 1; global pooling is one window the size of the image.
#pragma once

#include <cstdint>

namespace glia {

enum class PoolKind {
  max,      // padding counts as -infinity (never the maximum)
  average,  // the mean of the window's input pixels: padding excluded, as Keras/TensorFlow
};

struct PoolGeometry {
  PoolKind kind = PoolKind::max;
  int64_t batch = 0, in_h = 0, in_w = 0, channels = 0;
  int64_t pool_h = 1, pool_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  /// Padding before and after each spatial axis (Keras "same" puts the odd pixel after).
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t out_h = 0, out_w = 0;

  constexpr int64_t input_size() const { return batch * in_h * in_w * channels; }
  constexpr int64_t output_size() const { return batch * out_h * out_w * channels; }
};

}  // namespace glia
