// Activation and the activation layers with arguments (ELU, LeakyReLU, ReLU, Softmax).
#include <cmath>

#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia {

namespace {

std::string fmt(float v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

ActivationSpec with(const char* name, auto set) {
  ActivationSpec a = ActivationSpec::parse(name);
  set(a);
  return a;
}

}  // namespace

Activation::Activation(const std::string& activation, std::string name)
    : Activation(ActivationSpec::parse(activation), std::move(name), "activation") {}

Activation::Activation(ActivationSpec activation, std::string name)
    : Activation(activation, std::move(name), "activation") {}

Activation::Activation(ActivationSpec activation, std::string name, const char* default_name)
    : Layer(name.empty() ? unique_layer_name(default_name) : std::move(name)), act_(activation) {}

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

ELU::ELU(float alpha, std::string name)
    : Activation(with("elu", [&](ActivationSpec& a) { a.alpha = alpha; }), std::move(name), "elu") {
  if (!std::isfinite(alpha)) throw Error("ELU '" + this->name() + "': alpha must be finite");
}

LeakyReLU::LeakyReLU(float negative_slope, std::string name)
    : Activation(with("leaky_relu", [&](ActivationSpec& a) { a.negative_slope = negative_slope; }),
                 std::move(name), "leaky_re_lu") {
  if (!(negative_slope >= 0.0f) || !std::isfinite(negative_slope))
    throw Error("LeakyReLU '" + this->name() + "': negative_slope must be >= 0, got " +
                fmt(negative_slope));
}

ReLU::ReLU(float max_value, float negative_slope, float threshold, std::string name)
    : Activation(with("relu",
                      [&](ActivationSpec& a) {
                        a.relu_max_value = max_value;
                        a.relu_negative_slope = negative_slope;
                        a.relu_threshold = threshold;
                      }),
                 std::move(name), "re_lu") {
  if (!(max_value >= 0.0f))
    throw Error("ReLU '" + this->name() + "': max_value must be >= 0, got " + fmt(max_value));
  if (!(negative_slope >= 0.0f) || !std::isfinite(negative_slope))
    throw Error("ReLU '" + this->name() + "': negative_slope must be >= 0, got " +
                fmt(negative_slope));
  if (!std::isfinite(threshold))
    throw Error("ReLU '" + this->name() + "': threshold must be finite");
}

Softmax::Softmax(int axis, std::string name)
    : Activation(ActivationSpec::parse("softmax"), std::move(name), "softmax"), axis_(axis) {}

Shape Softmax::build(const std::vector<Shape>& input_shapes, Rng& rng) {
  const int last = static_cast<int>(input_shapes[0].size());  // counted with the batch axis
  if (axis_ != -1 && axis_ != last)
    throw Error("Softmax '" + name() + "': only the last axis (-1) is supported, got axis " +
                std::to_string(axis_) + " on an input of rank " + std::to_string(last + 1));
  return Activation::build(input_shapes, rng);
}

}  // namespace glia
