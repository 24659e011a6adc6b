// keras.layers.ZeroPadding2D (channels_last): Backend::pad2d forward, its crop backward.
#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia {

ZeroPadding2D::ZeroPadding2D(int64_t padding, std::string name)
    : ZeroPadding2D(Padding2D{padding, padding, padding, padding}, std::move(name)) {}

ZeroPadding2D::ZeroPadding2D(Padding2D padding, std::string name)
    : Layer(name.empty() ? unique_layer_name("zero_padding2d") : std::move(name)),
      padding_(padding) {
  const Padding2D& p = padding_;
  if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0)
    throw Error("ZeroPadding2D: padding must not be negative, got ((" + std::to_string(p.top) +
                ", " + std::to_string(p.bottom) + "), (" + std::to_string(p.left) + ", " +
                std::to_string(p.right) + "))");
}

Shape ZeroPadding2D::build(const std::vector<Shape>& input_shapes, Rng&) {
  const Shape& in = input_shapes[0];
  if (in.size() != 3)
    throw Error("ZeroPadding2D '" + name() + "': expected images (height, width, channels), got " +
                shape_str(in, true));
  return {padding_.top + in[0] + padding_.bottom, padding_.left + in[1] + padding_.right, in[2]};
}

PadGeometry ZeroPadding2D::geometry(int64_t batch) const {
  const Shape& in = input_shapes()[0];
  return {batch, in[0], in[1], in[2], padding_.top, padding_.bottom, padding_.left, padding_.right};
}

void ZeroPadding2D::forward(ForwardContext& ctx, std::span<const Tensor* const> inputs,
                            Tensor& output) {
  const Tensor& x = *inputs[0];
  const PadGeometry g = geometry(x.dim(0));
  output.resize({x.dim(0), g.out_height(), g.out_width(), g.channels});
  ctx.backend.pad2d(g, x.data(), output.data());
}

void ZeroPadding2D::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs,
                             const Tensor&, Tensor& dout, std::span<Tensor* const> dinputs) {
  if (dinputs.empty() || !dinputs[0]) return;
  Tensor& dx = *dinputs[0];
  dx.resize(inputs[0]->shape());
  ctx.backend.pad2d_backward(geometry(inputs[0]->dim(0)), dout.data(), dx.data());
}

}  // namespace glia
