// keras.layers.Rescaling: y = x * scale + offset, and dx = dy * scale.
#include <cfloat>
#include <cmath>

#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia {

Rescaling::Rescaling(double scale, double offset, std::string name)
    : Layer(name.empty() ? unique_layer_name("rescaling") : std::move(name)),
      scale_(scale),
      offset_(offset) {
  auto fits = [](double v) { return std::isfinite(v) && std::fabs(v) <= FLT_MAX; };
  if (!fits(scale_) || !fits(offset_))
    throw Error("Rescaling: scale and offset must be finite float32 numbers, got " +
                std::to_string(scale_) + " and " + std::to_string(offset_));
}

Shape Rescaling::build(const std::vector<Shape>& input_shapes, Rng&) {
  return input_shapes[0];
}

void Rescaling::forward(ForwardContext& ctx, std::span<const Tensor* const> inputs,
                        Tensor& output) {
  const Tensor& x = *inputs[0];
  output.resize(x.shape());
  ctx.backend.affine(x.data(), output.data(), x.size(), static_cast<float>(scale_),
                     static_cast<float>(offset_));
}

void Rescaling::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor&,
                         Tensor& dout, std::span<Tensor* const> dinputs) {
  if (dinputs.empty() || !dinputs[0]) return;
  Tensor& dx = *dinputs[0];
  dx.resize(inputs[0]->shape());
  ctx.backend.affine(dout.data(), dx.data(), dout.size(), static_cast<float>(scale_), 0.0f);
}

}  // namespace glia
