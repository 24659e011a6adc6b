// The oneDNN floor of the examples/keras-cnn CNN: one training epoch of just its convolutions
// (oneDNN convolution forward, backward data, backward weights primitives, each pass with the
// faster over the epoch of oneDNN's direct algorithm on the NHWC activations Glia uses and, where
// oneDNN offers it, its Winograd algorithm on the blocked activations it prefers, without the
// reorders Glia pays: both run every step; weights in the format each primitive prefers) and its
// Dense layers' GEMMs (dnnl_sgemm:
// forward, weight gradients, input gradients). No batch normalization, activation, pooling, loss
// or optimizer: what those cost is Glia's (or a peer's) overhead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glia_bench {

/// A stride-1 convolution of a (batch, h, w, in) input to `out` channels with a k x k kernel
/// and `pad` pixels of padding on every side (0: "valid"; (k - 1) / 2: "same" for an odd k).
struct FloorConv {
  int64_t h, w, in, out, k, pad;
  bool input_gradient;  // false for the first layer: nothing needs the gradient of the images
};
/// A Dense layer's GEMMs: (batch, in) x (in, out).
struct FloorDense {
  int64_t in, out;
  bool input_gradient;
};

struct FloorOp {
  std::string name;  // e.g. "conv1.fwd.direct", "conv2.bwd_weights.winograd", "dense1.fwd"
  double seconds;    // per epoch
};

/// The time of one epoch (n samples in steps of `batch`, the last step scaled to its size) of
/// the layers' primitives, with the time of each primitive (a convolution pass's name ends in
/// the algorithm that was faster: ".direct" or ".winograd").
std::vector<FloorOp> floor_epoch(const std::vector<FloorConv>& convs,
                                 const std::vector<FloorDense>& dense, int64_t n, int64_t batch);

}  // namespace glia_bench
