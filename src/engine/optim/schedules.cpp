#include <cctype>
#include <cmath>

#include "glia/error.hpp"
#include "glia/optimizers.hpp"

namespace glia {

ExponentialDecay::ExponentialDecay(double lr0, int64_t decay_steps, double decay_rate,
                                   bool staircase)
    : lr0_(lr0), rate_(decay_rate), steps_(decay_steps), staircase_(staircase) {
  if (decay_steps <= 0) throw Error("ExponentialDecay: decay_steps must be positive");
}

double ExponentialDecay::operator()(int64_t step) const {
  double p = static_cast<double>(step) / static_cast<double>(steps_);
  if (staircase_) p = std::floor(p);
  return lr0_ * std::pow(rate_, p);
}

CosineDecay::CosineDecay(double lr0, int64_t decay_steps, double alpha, int64_t warmup_steps,
                         std::optional<double> warmup_target)
    : lr0_(lr0),
      alpha_(alpha),
      warmup_target_(warmup_target),
      steps_(decay_steps),
      warmup_(warmup_steps) {
  if (decay_steps <= 0) throw Error("CosineDecay: decay_steps must be positive");
  if (warmup_steps < 0) throw Error("CosineDecay: warmup_steps must not be negative");
}

double CosineDecay::operator()(int64_t step) const {
  // Keras: optional linear warmup from lr0 to warmup_target, then cosine decay from there.
  double start = lr0_;
  if (warmup_target_) {
    if (step < warmup_)
      return lr0_ +
             (*warmup_target_ - lr0_) * static_cast<double>(step) / static_cast<double>(warmup_);
    start = *warmup_target_;
    step -= warmup_;
  }
  double done = std::min(static_cast<double>(step), static_cast<double>(steps_)) /
                static_cast<double>(steps_);
  double cosine = 0.5 * (1.0 + std::cos(M_PI * done));
  return start * ((1.0 - alpha_) * cosine + alpha_);
}

std::shared_ptr<Optimizer> make_optimizer(const std::string& requested, std::optional<double> lr) {
  // Keras' optimizers.get() accepts the snake-case name and the class name ("RMSprop", "Adam").
  std::string name = requested;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name == "sgd") return std::make_shared<SGD>(OptimizerOptions{lr.value_or(0.01)});
  if (name == "rmsprop") return std::make_shared<RMSprop>(OptimizerOptions{lr.value_or(0.001)});
  if (name == "adam") return std::make_shared<Adam>(OptimizerOptions{lr.value_or(0.001)});
  if (name == "adamw") return std::make_shared<AdamW>(AdamW::with_decay({lr.value_or(0.001)}));
  throw Error("unknown optimizer '" + requested + "' (expected sgd, rmsprop, adam or adamw)");
}

}  // namespace glia
