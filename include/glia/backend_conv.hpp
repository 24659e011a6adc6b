// The geometry of the Backend's convolution kernels (issue 16): one struct for 2-D convolutions
// over channels_last images, (N, H, W, C) activations and Keras' (kh, kw, in, out) kernels. A 1-D
// convolution over (N, L, C) sequences is a 2-D one with height 1 and the sequence as the width.
#pragma once

#include <cstdint>
#include <string>

namespace glia {

struct ConvGeometry {
  int64_t batch = 1;
  int64_t in_h = 1, in_w = 1, in_c = 1;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t out_c = 1;
  int64_t stride_h = 1, stride_w = 1;
  /// Keras' dilation_rate: 1 is a dense kernel, d leaves d - 1 pixels between its taps.
  int64_t dilation_h = 1, dilation_w = 1;
  /// Implicit zeros around the input.
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t out_h = 1, out_w = 1;
  /// mixed_bfloat16: the operands (input, kernel, output gradient) are to be rounded to bfloat16
  /// and the products summed in float32. A backend with bfloat16 hardware (native_bf16()) does
  /// it in its kernels; for the others the caller passes operands it already rounded, and they
  /// compute in float32 as usual (the same sums).
  bool bf16 = false;

  int64_t input_size() const { return batch * in_h * in_w * in_c; }
  int64_t output_size() const { return batch * out_h * out_w * out_c; }
  int64_t kernel_size() const { return kernel_h * kernel_w * in_c * out_c; }
  /// "N2_8x9x3_k3x2_o4_s2x1_d1x2_p1,0,1,1" (test labels and messages; "_bf16" appended).
  std::string str() const;
};

/// Keras' padding modes. same: TensorFlow's, out = ceil(in / stride) with the odd pixel of
/// padding at the bottom/right; causal (1-D): dilation * (kernel - 1) zeros before the sequence
/// (the width axis), none after.
enum class ConvPadding { valid, same, causal };

/// `g` with its padding and output size set from its input, kernel, strides and dilations.
/// Throws glia::Error (InvalidArgument) when a size, stride or dilation is not positive or the
/// output would be empty (the kernel larger than the valid-padded input).
ConvGeometry with_padding(ConvGeometry g, ConvPadding padding);

/// Throws glia::Error (InvalidArgument) unless the output size is the one the input, kernel,
/// strides, dilations and padding give (what every backend's kernels assume).
void check_conv_geometry(const ConvGeometry& g);

}  // namespace glia
