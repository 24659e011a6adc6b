// The optimizer step shared by all optimizers: gradient clipping, weight decay, learning rate.
#include <cmath>
#include <limits>
#include <set>

#include "glia/error.hpp"
#include "glia/optimizers.hpp"

namespace glia {

Optimizer::Optimizer(OptimizerOptions options) : options_(std::move(options)) {
  if (!options_.schedule && !(options_.learning_rate >= 0.0))
    throw Error("optimizer: learning_rate must be a non-negative number, got " +
                std::to_string(options_.learning_rate));
  int clips = options_.clipnorm.has_value() + options_.global_clipnorm.has_value() +
              options_.clipvalue.has_value();
  if (clips > 1)
    throw Error("optimizer: only one of clipnorm, global_clipnorm and clipvalue can be set");
}

double Optimizer::learning_rate() const {
  return options_.schedule ? (*options_.schedule)(iterations_) : options_.learning_rate;
}

void Optimizer::set_learning_rate(double lr) {
  options_.schedule.reset();
  options_.learning_rate = lr;
}

void Optimizer::ensure_built(const std::vector<Variable*>& variables) {
  if (!built_) {
    if (variables.empty()) return;  // built by the first call with something to train
    build(variables);
    built_ = true;
    built_for_.assign(variables.begin(), variables.end());
    for (const Variable* v : variables) built_for_names_.push_back(v->name);
    return;
  }
  bool same = variables.size() == built_for_.size();
  for (size_t i = 0; same && i < variables.size(); ++i) same = is_built_for(i, variables[i]);
  if (same) return;
  throw Error(class_name() + " optimizer: built for " + std::to_string(built_for_.size()) +
              " trainable variables, now given " + std::to_string(variables.size()) +
              " others (a layer's trainable flag changed, or another model): compile() again "
              "with a new optimizer");
}

bool Optimizer::is_built_for(size_t i, const Variable* live) const {
  // The same address and the same name: a model built where a destroyed one was may reuse its
  // addresses. `live` is a variable of a model that exists, so its name can be read.
  return live == built_for_[i] && live->name == built_for_names_[i];
}

bool Optimizer::built_for_variables_in(const std::vector<Variable*>& variables) const {
  const std::set<const Variable*> live(variables.begin(), variables.end());
  for (size_t i = 0; i < built_for_.size(); ++i)
    if (!live.count(built_for_[i]) || !is_built_for(i, built_for_[i])) return false;
  return true;
}

void Optimizer::build_slots(const std::vector<Variable*>& variables) {
  ensure_built(variables);
}

void Optimizer::apply(Backend& backend, const std::vector<Variable*>& variables) {
  if (variables.empty() && !built_) return;  // nothing trainable yet: Keras skips the step
  ensure_built(variables);
  constexpr float kInf = std::numeric_limits<float>::infinity();
  if (options_.global_clipnorm) {
    double sq = 0;
    for (Variable* v : variables) sq += backend.sum_squares(v->grad.data(), v->grad.size());
    const double norm = std::sqrt(sq), limit = *options_.global_clipnorm;
    if (norm > limit) {
      const auto s = static_cast<float>(limit / norm);
      for (Variable* v : variables)
        backend.scale_clip(v->grad.data(), v->grad.size(), s, -kInf, kInf);
    }
  }
  // Keras casts the learning rate to the variable dtype (float32) once per step.
  const auto lr = static_cast<float>(learning_rate());
  for (size_t i = 0; i < variables.size(); ++i) {
    Variable& v = *variables[i];
    float* g = v.grad.data();
    const int64_t n = v.grad.size();
    if (options_.clipnorm) {
      const double norm = std::sqrt(backend.sum_squares(g, n)), limit = *options_.clipnorm;
      if (norm > limit) backend.scale_clip(g, n, static_cast<float>(limit / norm), -kInf, kInf);
    }
    if (options_.clipvalue) {
      const auto c = static_cast<float>(*options_.clipvalue);
      backend.scale_clip(g, n, 1.0f, -c, c);
    }
    if (options_.weight_decay && *options_.weight_decay != 0.0) {
      // Decoupled decay: w -= w * wd * lr.
      const auto wd = static_cast<float>(*options_.weight_decay);
      backend.axpy(-wd * lr, v.value.data(), v.value.data(), n);
    }
    update(backend, i, v, lr);
  }
  ++iterations_;
}

}  // namespace glia
