#include "glia/optimizers.hpp"

namespace glia {

RMSprop::RMSprop(OptimizerOptions options, RMSpropOptions rms)
    : Optimizer(std::move(options)), rms_(rms) {}

void RMSprop::build(const std::vector<Variable*>& variables) {
  velocities_.clear();
  momentums_.clear();
  average_gradients_.clear();
  for (Variable* v : variables) {
    velocities_.emplace_back(v->value.shape());
    if (rms_.momentum > 0) momentums_.emplace_back(v->value.shape());
    if (rms_.centered) average_gradients_.emplace_back(v->value.shape());
  }
}

std::vector<Tensor*> RMSprop::slots(size_t i) {
  std::vector<Tensor*> out;
  if (i < velocities_.size()) out.push_back(&velocities_[i]);
  if (i < momentums_.size()) out.push_back(&momentums_[i]);
  if (i < average_gradients_.size()) out.push_back(&average_gradients_[i]);
  return out;
}

void RMSprop::update(Backend& backend, size_t i, Variable& var, float lr) {
  backend.rmsprop_update(var.value.data(), var.grad.data(), velocities_[i].data(),
                         momentums_.empty() ? nullptr : momentums_[i].data(),
                         average_gradients_.empty() ? nullptr : average_gradients_[i].data(),
                         var.value.size(), lr, static_cast<float>(rms_.rho),
                         static_cast<float>(rms_.momentum), static_cast<float>(rms_.epsilon));
}

}  // namespace glia
