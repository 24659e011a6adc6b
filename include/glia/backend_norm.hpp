// The normalization kernels' geometry (BatchNormalization, LayerNormalization): a rows×channels
// matrix, channels the last axis. Batch normalization computes one mean and variance per
// channel over all rows (N, or N·H·W for images); layer normalization one per row over the
// channels.
#pragma once

#include <cstdint>

namespace glia {

struct NormGeometry {
  int64_t rows = 0;
  int64_t channels = 0;
  float epsilon = 1e-3f;
  /// Batch normalization only: a ReLU fused after it (a BatchNormalization whose only consumer
  /// is a plain ReLU layer). y = max(gamma x̂ + beta, 0), and the backward's dy is the gradient
  /// with respect to that y.
  bool relu = false;
};

}  // namespace glia
