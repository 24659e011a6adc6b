// What BatchNormalization and LayerNormalization share: the last axis only, gamma and beta with
// their initializers, penalties and constraints.
#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia {

NormLayer::NormLayer(const NormOptions& options, const char* cls, const char* default_name)
    : Layer(options.name.empty() ? unique_layer_name(default_name) : options.name), base_(options) {
  const std::string what = std::string(cls) + " '" + name() + "'";
  if (!(options.epsilon > 0.0f))
    throw Error(what + ": epsilon must be positive, got " + std::to_string(options.epsilon));
  base_.gamma_constraint.check_rank(1, what + " gamma_constraint");
  base_.beta_constraint.check_rank(1, what + " beta_constraint");
}

Shape NormLayer::build(const std::vector<Shape>& input_shapes, Rng& rng) {
  const Shape& in = input_shapes.at(0);
  if (in.empty())
    throw Error(class_name() + " '" + name() + "' needs an input with a feature axis, got " +
                shape_str(in, true));
  const int last = static_cast<int>(in.size());  // the last axis counted with the batch axis
  if (base_.axis != -1 && base_.axis != last)
    throw Error(class_name() + " '" + name() + "': axis " + std::to_string(base_.axis) +
                " is not supported for input " + shape_str(in, true) + " (expected -1 or " +
                std::to_string(last) + ": the last axis)");
  channels_ = in.back();
  if (base_.scale) gamma_ = {name() + "/gamma", Tensor({channels_}), Tensor()};
  if (base_.center) beta_ = {name() + "/beta", Tensor({channels_}), Tensor()};
  NormLayer::initialize(rng);
  return in;
}

void NormLayer::initialize(Rng& rng) {
  if (base_.scale) glia::initialize(gamma_.value, base_.gamma_initializer, rng);
  if (base_.center) glia::initialize(beta_.value, base_.beta_initializer, rng);
}

std::vector<Variable*> NormLayer::variables() {
  std::vector<Variable*> out;
  if (base_.scale) out.push_back(&gamma_);
  if (base_.center) out.push_back(&beta_);
  return out;
}

float* NormLayer::gamma_grad() {
  if (!base_.scale || !trainable()) return nullptr;
  if (!gamma_.grad.defined()) gamma_.grad = Tensor(gamma_.value.shape());
  return gamma_.grad.data();
}

float* NormLayer::beta_grad() {
  if (!base_.center || !trainable()) return nullptr;
  if (!beta_.grad.defined()) beta_.grad = Tensor(beta_.value.shape());
  return beta_.grad.data();
}

void NormLayer::add_penalty_gradients(Backend& be, float s) {
  if (!trainable()) return;
  const Regularizer &gr = base_.gamma_regularizer, &br = base_.beta_regularizer;
  if (base_.scale) Regularizer{gr.l1 * s, gr.l2 * s}.add_gradient(be, gamma_.value, gamma_.grad);
  if (base_.center) Regularizer{br.l1 * s, br.l2 * s}.add_gradient(be, beta_.value, beta_.grad);
}

NormGeometry NormLayer::geometry(const Tensor& x) const {
  return {x.size() / channels_, channels_, base_.epsilon};
}

double NormLayer::regularization_loss(Backend& backend) {
  double loss = 0.0;
  if (!trainable()) return loss;  // Keras 3 sums the penalties of trainable weights only
  if (base_.scale) loss += base_.gamma_regularizer.penalty(backend, gamma_.value);
  if (base_.center) loss += base_.beta_regularizer.penalty(backend, beta_.value);
  return loss;
}

bool NormLayer::has_regularization() const {
  return (base_.scale && base_.gamma_regularizer.active()) ||
         (base_.center && base_.beta_regularizer.active());
}

void NormLayer::apply_constraints(Backend& backend) {
  if (base_.scale) base_.gamma_constraint.apply(backend, gamma_.value);
  if (base_.center) base_.beta_constraint.apply(backend, beta_.value);
}

}  // namespace glia
