// Which oneDNN convolution algorithm the CPU backend runs (cpu_conv.cpp), for tests and
// benchmarks: the rule itself lives with the kernels.
//
// The rule (deterministic: never chosen by timing, so the same seed and threads give the same
// weights run after run): with GLIA_CONV_ALGORITHM unset or `auto`, a 3x3 convolution of stride
// 1 and dilation 1 runs its forward and backward-weights passes with oneDNN's Winograd algorithm
// when oneDNN offers it for that geometry (its channel counts, the CPU's instruction set), on
// oneDNN's blocked activation layout with reorders from and to Glia's nhwc; everything else,
// backward-data always, runs oneDNN's direct algorithm on the nhwc activations as they are.
// GLIA_CONV_ALGORITHM=direct forces direct everywhere; any other value is refused.
#pragma once

#include <string>

#include "glia/backend_conv.hpp"

namespace glia {

/// The oneDNN implementations (e.g. "jit_wino_4x3:avx512_core", "brgconv:avx512_core") the CPU
/// backend runs for the convolution `g` with or without a bias, and whether each pass is a
/// Winograd one.
struct CpuConvImplementations {
  std::string forward, backward_data, backward_weights;
  bool forward_winograd = false, backward_weights_winograd = false;
};
CpuConvImplementations cpu_conv_implementations(const ConvGeometry& g, bool bias);

/// True unless GLIA_CONV_ALGORITHM=direct; throws glia::Error (InvalidArgument) for a value
/// other than `direct` or `auto`.
bool cpu_conv_winograd_allowed();

}  // namespace glia
