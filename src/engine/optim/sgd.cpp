#include "glia/error.hpp"
#include "glia/optimizers.hpp"

namespace glia {

SGD::SGD(OptimizerOptions options, SGDOptions sgd) : Optimizer(std::move(options)), sgd_(sgd) {
  if (!(sgd.momentum >= 0.0 && sgd.momentum <= 1.0))
    throw Error("SGD: momentum must be in [0, 1], got " + std::to_string(sgd.momentum));
}

void SGD::build(const std::vector<Variable*>& variables) {
  momentums_.clear();
  if (sgd_.momentum != 0.0)
    for (Variable* v : variables) momentums_.emplace_back(v->value.shape());
}

std::vector<Tensor*> SGD::slots(size_t i) {
  if (i < momentums_.size()) return {&momentums_[i]};
  return {};
}

void SGD::update(Backend& backend, size_t index, Variable& var, float lr) {
  float* mom = momentums_.empty() ? nullptr : momentums_[index].data();
  backend.sgd_update(var.value.data(), var.grad.data(), mom, var.value.size(), lr,
                     static_cast<float>(sgd_.momentum), sgd_.nesterov);
}

}  // namespace glia
