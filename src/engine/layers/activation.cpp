#include "glia/layers.hpp"

namespace glia {

Activation::Activation(const std::string& activation, std::string name)
    : Layer(name.empty() ? unique_layer_name("activation") : std::move(name)),
      act_(ActivationSpec::parse(activation)) {}

Shape Activation::build(const std::vector<Shape>& input_shapes, Rng&) {
  return input_shapes[0];
}

void Activation::forward(ForwardContext& ctx, std::span<const Tensor* const> inputs,
                         Tensor& output) {
  const Tensor& x = *inputs[0];
  output.resize(x.shape());
  ctx.backend.bias_activation(x.data(), nullptr, output.data(), x.rows(), x.cols(), act_);
}

void Activation::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs,
                          const Tensor& output, Tensor& dout, std::span<Tensor* const> dinputs) {
  if (dinputs.empty() || !dinputs[0]) return;
  const Tensor& x = *inputs[0];
  Tensor& dx = *dinputs[0];
  dx.resize(x.shape());
  if (ctx.grad_is_logits) {  // a device-side copy: dout may still be being written
    ctx.backend.copy_columns(dout.data(), 1, dout.size(), dx.data(), dx.size(), 0);
    return;
  }
  ctx.backend.activation_backward(x.data(), output.data(), dout.data(), dx.data(), x.rows(),
                                  x.cols(), act_);
}

}  // namespace glia
