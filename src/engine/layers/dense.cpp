#include "glia/error.hpp"
#include "glia/layers.hpp"

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
  ctx.backend.gemm(false, false, rows, units_, in, 1.0f, x.data(), in, kernel_.value.data(), units_,
                   0.0f, z.data(), units_);
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
  if (!kernel_.grad.defined()) kernel_.grad = Tensor(kernel_.value.shape());
  if (options_.use_bias && !bias_.grad.defined()) bias_.grad = Tensor(bias_.value.shape());
  // The activity penalty's gradient joins dL/dy (never fused: see ends_with_softmax()).
  if (const Regularizer& a = options_.activity_regularizer; a.active()) {
    const float per_sample =
        1.0f / static_cast<float>(ctx.batch_rows > 0 ? ctx.batch_rows : output.dim(0));
    Regularizer{a.l1 * per_sample, a.l2 * per_sample}.add_gradient(be, output, dout);
  }
  // dz = dL/d(pre-activation), computed in place in dout.
  if (!ctx.grad_is_logits && act_.kind != ActivationKind::linear)
    be.activation_backward(preact_.data(), output.data(), dout.data(), dout.data(), rows, units_,
                           act_);
  be.gemm(true, false, in, units_, rows, 1.0f, x.data(), in, dout.data(), units_, 0.0f,
          kernel_.grad.data(), units_);
  if (options_.use_bias) be.column_sum(dout.data(), bias_.grad.data(), rows, units_, 0.0f);
  const float s = ctx.penalty_scale;
  const Regularizer &kr = options_.kernel_regularizer, &br = options_.bias_regularizer;
  Regularizer{kr.l1 * s, kr.l2 * s}.add_gradient(be, kernel_.value, kernel_.grad);
  if (options_.use_bias)
    Regularizer{br.l1 * s, br.l2 * s}.add_gradient(be, bias_.value, bias_.grad);
  if (!dinputs.empty() && dinputs[0]) {
    Tensor& dx = *dinputs[0];
    dx.resize(x.shape());
    be.gemm(false, true, rows, in, units_, 1.0f, dout.data(), units_, kernel_.value.data(), units_,
            0.0f, dx.data(), in);
  }
}

double Dense::regularization_loss(Backend& backend) {
  double loss = options_.kernel_regularizer.penalty(backend, kernel_.value);
  if (options_.use_bias) loss += options_.bias_regularizer.penalty(backend, bias_.value);
  // Keras 3 divides the activity penalty by the batch size.
  if (options_.activity_regularizer.active() && last_output_.defined() && last_output_.dim(0) > 0)
    loss += options_.activity_regularizer.penalty(backend, last_output_) /
            static_cast<double>(last_output_.dim(0));
  return loss;
}

bool Dense::has_regularization() const {
  return options_.kernel_regularizer.active() ||
         (options_.use_bias && options_.bias_regularizer.active()) ||
         options_.activity_regularizer.active();
}

void Dense::apply_constraints(Backend& backend) {
  options_.kernel_constraint.apply(backend, kernel_.value);
  if (options_.use_bias) options_.bias_constraint.apply(backend, bias_.value);
}

}  // namespace glia
