#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "layers/kernel_bias.hpp"

namespace glia {

Dense::Dense(int64_t units, DenseOptions options)
    : Layer(options.name.empty() ? unique_layer_name("dense") : options.name),
      units_(units),
      options_(std::move(options)),
      act_(ActivationSpec::parse(options_.activation)) {
  if (units <= 0)
    throw Error("Dense '" + name() + "': units must be positive, got " + std::to_string(units));
  options_.kernel_constraint.check_rank(2, "Dense '" + name() + "' kernel_constraint");
  options_.bias_constraint.check_rank(1, "Dense '" + name() + "' bias_constraint");
}

Shape Dense::build(const std::vector<Shape>& input_shapes, Rng& rng) {
  const Shape& in = input_shapes.at(0);
  if (in.empty()) throw Error("Dense '" + name() + "' needs an input with a feature axis");
  // Gradients are allocated by the first backward pass: a model loaded only to predict never
  // holds a second copy of its weights.
  kernel_ = {name() + "/kernel", Tensor({in.back(), units_}), Tensor()};
  if (options_.use_bias) bias_ = {name() + "/bias", Tensor({units_}), Tensor()};
  initialize(rng);
  Shape out = in;
  out.back() = units_;
  return out;
}

void Dense::initialize(Rng& rng) {
  glia::initialize(kernel_.value, options_.kernel_initializer, rng);
  if (options_.use_bias) glia::initialize(bias_.value, options_.bias_initializer, rng);
}

std::vector<Variable*> Dense::variables() {
  if (options_.use_bias) return {&kernel_, &bias_};
  return {&kernel_};
}

void Dense::forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const Tensor& x = *inputs[0];
  const int64_t rows = x.rows(), in = x.cols();
  Shape out_shape = x.shape();
  out_shape.back() = units_;
  output.resize(out_shape);
  const bool keep_preact = !act_.backward_from_output() && ctx.training;
  Tensor& z = keep_preact ? preact_ : output;
  if (keep_preact) preact_.resize(out_shape);
  kernel_bias::gemm(*this, ctx.backend, false, false, rows, units_, in, x.data(), in,
                    kernel_.value.data(), units_, z.data(), units_);
  if (keep_preact) {
    ctx.backend.bias_activation(z.data(), options_.use_bias ? bias_.value.data() : nullptr,
                                z.data(), rows, units_, ActivationSpec{});
    ctx.backend.bias_activation(z.data(), nullptr, output.data(), rows, units_, act_);
  } else {
    ctx.backend.bias_activation(z.data(), options_.use_bias ? bias_.value.data() : nullptr,
                                output.data(), rows, units_, act_);
  }
  if (options_.activity_regularizer.active()) last_output_ = output;  // shares the storage
}

void Dense::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs,
                     const Tensor& output, Tensor& dout, std::span<Tensor* const> dinputs) {
  const Tensor& x = *inputs[0];
  const int64_t rows = x.rows(), in = x.cols();
  Backend& be = ctx.backend;
  // The activity penalty's gradient joins dL/dy (never fused: see ends_with_softmax()).
  kernel_bias::add_activity_gradient(ctx, options_, output, dout);
  // dz = dL/d(pre-activation), computed in place in dout.
  if (!ctx.grad_is_logits && act_.kind != ActivationKind::linear)
    be.activation_backward(preact_.data(), output.data(), dout.data(), dout.data(), rows, units_,
                           act_);
  if (trainable()) {  // a frozen layer's weights get no gradient
    if (!kernel_.grad.defined()) kernel_.grad = Tensor(kernel_.value.shape());
    if (options_.use_bias && !bias_.grad.defined()) bias_.grad = Tensor(bias_.value.shape());
    kernel_bias::gemm(*this, be, true, false, in, units_, rows, x.data(), in, dout.data(), units_,
                      kernel_.grad.data(), units_);
    if (options_.use_bias) be.column_sum(dout.data(), bias_.grad.data(), rows, units_, 0.0f);
    kernel_bias::add_penalty_gradients(ctx, options_, kernel_, bias_);
  }
  if (!dinputs.empty() && dinputs[0]) {
    Tensor& dx = *dinputs[0];
    dx.resize(x.shape());
    kernel_bias::gemm(*this, be, false, true, rows, in, units_, dout.data(), units_,
                      kernel_.value.data(), units_, dx.data(), in);
  }
}

double Dense::regularization_loss(Backend& backend) {
  return kernel_bias::regularization_loss(backend, options_, kernel_.value, bias_.value,
                                          last_output_, trainable());
}

bool Dense::has_regularization() const {
  return kernel_bias::has_regularization(options_);
}

void Dense::apply_constraints(Backend& backend) {
  kernel_bias::apply_constraints(backend, options_, kernel_.value, bias_.value);
}

}  // namespace glia
