// Keras' convolution padding as a ConvGeometry (backend_conv.hpp).
#include <string>

#include "glia/backend_conv.hpp"
#include "glia/error.hpp"

namespace glia {

namespace {

int64_t effective_kernel(int64_t kernel, int64_t dilation) {
  return (kernel - 1) * dilation + 1;
}

// Output size of one axis for its padding (floor division, as every backend computes it).
int64_t axis_out(int64_t in, int64_t pad_lo, int64_t pad_hi, int64_t kernel, int64_t stride,
                 int64_t dilation) {
  const int64_t span = in + pad_lo + pad_hi - effective_kernel(kernel, dilation);
  return span < 0 ? 0 : span / stride + 1;
}

// TensorFlow's "same": out = ceil(in / stride), padding split with the odd pixel after.
void same_axis(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t& lo,
               int64_t& hi) {
  const int64_t out = (in + stride - 1) / stride;
  int64_t total = (out - 1) * stride + effective_kernel(kernel, dilation) - in;
  if (total < 0) total = 0;
  lo = total / 2;
  hi = total - lo;
}

}  // namespace

std::string ConvGeometry::str() const {
  auto x = [](int64_t a, int64_t b) { return std::to_string(a) + "x" + std::to_string(b); };
  return "N" + std::to_string(batch) + "_" + x(in_h, in_w) + "x" + std::to_string(in_c) + "_k" +
         x(kernel_h, kernel_w) + "_o" + std::to_string(out_c) + "_s" + x(stride_h, stride_w) +
         "_d" + x(dilation_h, dilation_w) + "_p" + std::to_string(pad_top) + "," +
         std::to_string(pad_left) + "," + std::to_string(pad_bottom) + "," +
         std::to_string(pad_right) + (bf16 ? "_bf16" : "");
}

ConvGeometry with_padding(ConvGeometry g, ConvPadding padding) {
  for (int64_t v : {g.batch + 1, g.in_h, g.in_w, g.in_c, g.kernel_h, g.kernel_w, g.out_c,
                    g.stride_h, g.stride_w, g.dilation_h, g.dilation_w})
    if (v <= 0)
      throw Error("convolution " + g.str() +
                  ": sizes, kernel, strides and dilations must be positive");
  g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = 0;
  if (padding == ConvPadding::same) {
    same_axis(g.in_h, g.kernel_h, g.stride_h, g.dilation_h, g.pad_top, g.pad_bottom);
    same_axis(g.in_w, g.kernel_w, g.stride_w, g.dilation_w, g.pad_left, g.pad_right);
  } else if (padding == ConvPadding::causal) {
    g.pad_left = g.dilation_w * (g.kernel_w - 1);
  }
  g.out_h = axis_out(g.in_h, g.pad_top, g.pad_bottom, g.kernel_h, g.stride_h, g.dilation_h);
  g.out_w = axis_out(g.in_w, g.pad_left, g.pad_right, g.kernel_w, g.stride_w, g.dilation_w);
  if (g.out_h <= 0 || g.out_w <= 0)
    throw Error("convolution " + g.str() + ": the kernel (" +
                std::to_string(effective_kernel(g.kernel_h, g.dilation_h)) + "x" +
                std::to_string(effective_kernel(g.kernel_w, g.dilation_w)) +
                " with its dilation) is larger than the padded input (" + std::to_string(g.in_h) +
                "x" + std::to_string(g.in_w) + ")");
  return g;
}

void check_conv_geometry(const ConvGeometry& g) {
  const bool ok =
      g.batch >= 0 && g.in_h > 0 && g.in_w > 0 && g.in_c > 0 && g.kernel_h > 0 && g.kernel_w > 0 &&
      g.out_c > 0 && g.stride_h > 0 && g.stride_w > 0 && g.dilation_h > 0 && g.dilation_w > 0 &&
      g.pad_top >= 0 && g.pad_left >= 0 && g.pad_bottom >= 0 && g.pad_right >= 0 && g.out_h > 0 &&
      g.out_w > 0 &&
      g.out_h == axis_out(g.in_h, g.pad_top, g.pad_bottom, g.kernel_h, g.stride_h, g.dilation_h) &&
      g.out_w == axis_out(g.in_w, g.pad_left, g.pad_right, g.kernel_w, g.stride_w, g.dilation_w);
  if (!ok)
    throw Error("convolution geometry " + g.str() + " -> " + std::to_string(g.out_h) + "x" +
                std::to_string(g.out_w) + " is inconsistent");
}

}  // namespace glia
