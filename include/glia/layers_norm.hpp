// The normalization layers (issue 16): keras.layers.BatchNormalization and LayerNormalization,
// over the last axis (channels_last).
#pragma once

#include <string>

#include "glia/layer.hpp"
#include "glia/regularizers.hpp"

namespace glia {

/// What both normalization layers share: the scale (gamma) and shift (beta) and their options.
struct NormOptions {
  /// The normalized (batch norm: the kept) axis: -1, or the last axis counted with the batch
  /// axis 0 (tf.keras writes [3] for images). Any other axis is refused at build.
  int axis = -1;
  float epsilon = 1e-3f;
  bool center = true;  // beta
  bool scale = true;   // gamma
  InitializerSpec beta_initializer{"zeros"};
  InitializerSpec gamma_initializer{"ones"};
  Regularizer beta_regularizer;
  Regularizer gamma_regularizer;
  Constraint beta_constraint;
  Constraint gamma_constraint;
  std::string name;  // empty: "batch_normalization", "layer_normalization", ...
};

struct BatchNormOptions : NormOptions {
  double momentum = 0.99;  // as given: Keras computes 1 - momentum in double
  InitializerSpec moving_mean_initializer{"zeros"};
  InitializerSpec moving_variance_initializer{"ones"};
};

/// Base of the two layers: gamma and beta, their penalties and constraints.
class NormLayer : public Layer {
 public:
  NormLayer(const NormOptions& options, const char* cls, const char* default_name);
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void initialize(Rng& rng) override;
  std::vector<Variable*> variables() override;
  double regularization_loss(Backend& backend) override;
  bool has_regularization() const override;
  void apply_constraints(Backend& backend) override;
  Variable& gamma() { return gamma_; }
  Variable& beta() { return beta_; }

 protected:
  /// gamma / beta data, or null when the layer has none.
  const float* gamma_data() const { return base_.scale ? gamma_.value.data() : nullptr; }
  const float* beta_data() const { return base_.center ? beta_.value.data() : nullptr; }
  /// Allocates the gradients and returns their data (null when the layer has none, or is
  /// frozen).
  float* gamma_grad();
  float* beta_grad();
  /// Adds the penalties' gradients (after the kernel wrote dgamma/dbeta; none when frozen).
  void add_penalty_gradients(Backend& be, float penalty_scale);
  NormGeometry geometry(const Tensor& x) const;
  int64_t channels_ = 0;

 private:
  NormOptions base_;
  Variable gamma_, beta_;
};

/// keras.layers.BatchNormalization (axis -1): in training, each channel normalized with the
/// batch's mean and (biased) variance over every other axis, and the moving statistics updated
/// as moving = moving · momentum + batch · (1 - momentum); in inference (predict, evaluate) the
/// moving statistics are used. moving_mean and moving_variance are non-trainable variables.
/// Frozen (trainable() false), it normalizes with the moving statistics in training too and
/// leaves them alone, as Keras 3 does; its backward is then dx = dy · gamma / sqrt(var + eps).
class BatchNormalization : public NormLayer {
 public:
  explicit BatchNormalization(BatchNormOptions options = {});
  std::string class_name() const override { return "BatchNormalization"; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void initialize(Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  std::vector<Variable*> non_trainable_variables() override {
    return {&moving_mean_, &moving_variance_};
  }
  bool fuses_relu() const override { return true; }
  const BatchNormOptions& options() const { return options_; }
  Variable& moving_mean() { return moving_mean_; }
  Variable& moving_variance() { return moving_variance_; }

 private:
  BatchNormOptions options_;
  Variable moving_mean_, moving_variance_;
  Tensor batch_mean_, batch_variance_;  // of the last training forward
  // The last forward: inference, training with the batch's statistics, or training while
  // frozen (the moving statistics).
  enum class Mode { inference, batch_statistics, frozen } mode_ = Mode::inference;
  Tensor zeros_;  // channels_ zeros: the mean the frozen backward's scaling passes
  // The last forward's fused ReLU: none, in the backend's kernels (its mask in relu_mask_), or
  // applied by the layer after them.
  enum class ReluAt { none, backend, layer } relu_ = ReluAt::none;
  Tensor relu_mask_;
};

/// keras.layers.LayerNormalization (axis -1): each sample's last axis normalized with its own
/// mean and (biased) variance, then scaled by gamma and shifted by beta; the same in training
/// and inference.
class LayerNormalization : public NormLayer {
 public:
  explicit LayerNormalization(NormOptions options = {});
  std::string class_name() const override { return "LayerNormalization"; }
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  const NormOptions& options() const { return options_; }

 private:
  NormOptions options_;
  Tensor mean_, variance_;  // per row, of the last training forward
};

}  // namespace glia
