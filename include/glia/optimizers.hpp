// Optimizers with Keras 3 defaults and update rules, learning-rate schedules, gradient clipping.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glia/backend.hpp"
#include "glia/layer.hpp"

namespace glia {

/// Learning rate as a function of the optimizer's iteration count (Keras LearningRateSchedule).
class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual double operator()(int64_t step) const = 0;
  virtual std::string name() const = 0;
};

/// lr0 * rate^(step/decay_steps) (floor of the exponent with staircase).
class ExponentialDecay : public LearningRateSchedule {
 public:
  ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate,
                   bool staircase = false);
  double operator()(int64_t step) const override;
  std::string name() const override { return "ExponentialDecay"; }
  double initial_learning_rate() const { return lr0_; }
  int64_t decay_steps() const { return steps_; }
  double decay_rate() const { return rate_; }
  bool staircase() const { return staircase_; }

 private:
  double lr0_, rate_;
  int64_t steps_;
  bool staircase_;
};

/// Cosine decay from lr0 to lr0*alpha over decay_steps. With a warmup_target (Keras: not None),
/// first a linear warmup from lr0 to it over warmup_steps (possibly 0), then the decay from it.
class CosineDecay : public LearningRateSchedule {
 public:
  CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha = 0.0,
              int64_t warmup_steps = 0, std::optional<double> warmup_target = std::nullopt);
  double operator()(int64_t step) const override;
  std::string name() const override { return "CosineDecay"; }
  double initial_learning_rate() const { return lr0_; }
  int64_t decay_steps() const { return steps_; }
  double alpha() const { return alpha_; }
  int64_t warmup_steps() const { return warmup_; }
  std::optional<double> warmup_target() const { return warmup_target_; }

 private:
  double lr0_, alpha_;
  std::optional<double> warmup_target_;
  int64_t steps_, warmup_;
};

struct OptimizerOptions {
  double learning_rate = 0.001;
  std::shared_ptr<LearningRateSchedule> schedule;  // overrides learning_rate when set
  std::optional<double> clipnorm;                  // per-variable gradient norm clip
  std::optional<double> global_clipnorm;           // clip by the norm of all gradients together
  std::optional<double> clipvalue;                 // element-wise clip to [-v, v]
  std::optional<double> weight_decay;  // decoupled: w -= w * weight_decay * lr before the step
};

class Optimizer {
 public:
  explicit Optimizer(OptimizerOptions options);
  virtual ~Optimizer() = default;
  virtual std::string class_name() const = 0;

  /// Clips the gradients, applies weight decay and the update to every variable, then counts
  /// one iteration. The first call (or build_slots()) fixes the variables; a later call with
  /// others throws (Keras: "can only be called for the variables it was originally built with").
  /// With no variables (every layer frozen) it does nothing and counts nothing, as Keras.
  void apply(Backend& backend, const std::vector<Variable*>& variables);

  int64_t iterations() const { return iterations_; }
  void set_iterations(int64_t it) { iterations_ = it; }
  /// The rate used for the next step (the schedule's value when one is set).
  double learning_rate() const;
  /// Sets a constant learning rate (drops any schedule), as Keras' `optimizer.learning_rate = x`.
  void set_learning_rate(double lr);
  const OptimizerOptions& options() const { return options_; }
  /// Slot tensors per variable (Keras order), for checkpoints.
  virtual std::vector<Tensor*> slots(size_t variable_index) = 0;
  /// Creates the slots for these variables now (as the first apply() would), so saved state can
  /// be loaded into them. Does nothing once built.
  void build_slots(const std::vector<Variable*>& variables);
  bool slots_built() const { return built_; }
  /// The variables the slots were built for (empty before), in slot order.
  const std::vector<const Variable*>& built_for() const { return built_for_; }
  /// True when every variable the slots were built for is among `variables` (a model's
  /// weights): the same address and the same name (another model's variables may have taken a
  /// destroyed model's addresses). Only addresses found there are followed.
  bool built_for_variables_in(const std::vector<Variable*>& variables) const;

 protected:
  /// Creates slots for `count` variables with the given shapes (first call only).
  virtual void build(const std::vector<Variable*>& variables) = 0;
  virtual void update(Backend& backend, size_t index, Variable& var, float lr) = 0;
  bool built_ = false;

 private:
  /// Builds the slots on the first call; afterwards checks that `variables` are those.
  void ensure_built(const std::vector<Variable*>& variables);
  /// Whether `live` (a variable of a model that exists) is the i-th one the slots were built for.
  bool is_built_for(size_t i, const Variable* live) const;
  std::vector<const Variable*> built_for_;
  std::vector<std::string> built_for_names_;
  OptimizerOptions options_;
  int64_t iterations_ = 0;
};

struct SGDOptions {
  double momentum = 0.0;
  bool nesterov = false;
};
class SGD : public Optimizer {
 public:
  explicit SGD(OptimizerOptions options = {0.01}, SGDOptions sgd = {});
  std::string class_name() const override { return "SGD"; }
  std::vector<Tensor*> slots(size_t i) override;
  const SGDOptions& sgd_options() const { return sgd_; }

 protected:
  void build(const std::vector<Variable*>& variables) override;
  void update(Backend& backend, size_t index, Variable& var, float lr) override;

 private:
  SGDOptions sgd_;
  std::vector<Tensor> momentums_;
};

struct RMSpropOptions {
  double rho = 0.9, momentum = 0.0, epsilon = 1e-7;
  bool centered = false;
};
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(OptimizerOptions options = {}, RMSpropOptions rms = {});
  std::string class_name() const override { return "RMSprop"; }
  std::vector<Tensor*> slots(size_t i) override;
  const RMSpropOptions& rmsprop_options() const { return rms_; }

 protected:
  void build(const std::vector<Variable*>& variables) override;
  void update(Backend& backend, size_t index, Variable& var, float lr) override;

 private:
  RMSpropOptions rms_;
  std::vector<Tensor> velocities_, momentums_, average_gradients_;
};

struct AdamOptions {
  double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-7;
  bool amsgrad = false;
};
class Adam : public Optimizer {
 public:
  explicit Adam(OptimizerOptions options = {}, AdamOptions adam = {});
  std::string class_name() const override { return "Adam"; }
  std::vector<Tensor*> slots(size_t i) override;
  const AdamOptions& adam_options() const { return adam_; }

 protected:
  void build(const std::vector<Variable*>& variables) override;
  void update(Backend& backend, size_t index, Variable& var, float lr) override;

 private:
  AdamOptions adam_;
  std::vector<Tensor> m_, v_, vhat_;
};

/// Adam with decoupled weight decay (Keras default weight_decay 0.004).
class AdamW : public Adam {
 public:
  explicit AdamW(OptimizerOptions options = with_decay({}), AdamOptions adam = {});
  std::string class_name() const override { return "AdamW"; }
  static OptimizerOptions with_decay(OptimizerOptions o) {
    if (!o.weight_decay) o.weight_decay = 0.004;
    return o;
  }
};

/// "sgd", "rmsprop", "adam", "adamw" (or the class names "SGD", "RMSprop", ...) with Keras
/// defaults and the given learning rate.
std::shared_ptr<Optimizer> make_optimizer(const std::string& name,
                                          std::optional<double> learning_rate = std::nullopt);

}  // namespace glia
