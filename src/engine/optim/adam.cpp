#include <cmath>

#include "glia/optimizers.hpp"

namespace glia {

Adam::Adam(OptimizerOptions options, AdamOptions adam)
    : Optimizer(std::move(options)), adam_(adam) {}

AdamW::AdamW(OptimizerOptions options, AdamOptions adam)
    : Adam(with_decay(std::move(options)), adam) {}

void Adam::build(const std::vector<Variable*>& variables) {
  m_.clear();
  v_.clear();
  vhat_.clear();
  for (Variable* var : variables) {
    m_.emplace_back(var->value.shape());
    v_.emplace_back(var->value.shape());
    if (adam_.amsgrad) vhat_.emplace_back(var->value.shape());
  }
}

std::vector<Tensor*> Adam::slots(size_t i) {
  std::vector<Tensor*> out;
  if (i < m_.size()) out = {&m_[i], &v_[i]};
  if (i < vhat_.size()) out.push_back(&vhat_[i]);
  return out;
}

void Adam::update(Backend& backend, size_t i, Variable& var, float lr) {
  // α = lr · sqrt(1 − β2^t) / (1 − β1^t), t = iterations + 1 (Keras computes in float32).
  const float t = static_cast<float>(iterations() + 1);
  const auto b1 = static_cast<float>(adam_.beta_1), b2 = static_cast<float>(adam_.beta_2);
  const float alpha = lr * std::sqrt(1.0f - std::pow(b2, t)) / (1.0f - std::pow(b1, t));
  backend.adam_update(var.value.data(), var.grad.data(), m_[i].data(), v_[i].data(),
                      vhat_.empty() ? nullptr : vhat_[i].data(), var.value.size(), alpha, b1, b2,
                      static_cast<float>(adam_.epsilon));
}

}  // namespace glia
