// The Layer base class: a building block that maps input tensors to one output tensor and back-
// propagates through it. Layers own their variables and the buffers they keep between forward
// and backward.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "glia/backend.hpp"
#include "glia/dtype_policy.hpp"
#include "glia/initializers.hpp"
#include "glia/tensor.hpp"

namespace glia {

/// A trainable weight and its gradient.
struct Variable {
  std::string name;  // "dense/kernel"
  Tensor value;
  Tensor grad;
};

/// What a forward pass needs besides its inputs.
struct ForwardContext {
  Backend& backend;
  bool training = false;
  uint64_t seed = 0;  // per-step seed for stochastic layers (dropout)
  /// The batch's first row within the global batch (a data-parallel rank's shard), so stochastic
  /// layers draw the same per-row randomness as one process training the whole batch.
  int64_t row_offset = 0;
  /// Set by the model for a layer that fuses_relu() whose only consumer is a plain ReLU
  /// (is_plain_relu()): the layer applies max(·, 0) to its output itself, the model skips the
  /// ReLU, and the layer's backward then receives the gradient of the ReLU's output.
  bool relu_fused = false;
};

/// What a backward pass needs besides inputs, output and output gradient.
struct BackwardContext {
  Backend& backend;
  /// The output gradient is already with respect to the pre-softmax logits (fused softmax +
  /// cross-entropy); only set for the model's output layer when it ends_with_softmax().
  bool grad_is_logits = false;
  /// Data-parallel training: the weight penalties' gradients are multiplied by this (1 on the
  /// rank that adds them, 0 on the others, so the summed gradient has them once), and
  /// batch_rows is the global batch's row count (0: the local batch's).
  float penalty_scale = 1.0f;
  int64_t batch_rows = 0;
};

class KerasTensor;

class Layer : public std::enable_shared_from_this<Layer> {
 public:
  explicit Layer(std::string name)
      : name_(std::move(name)), dtype_policy_(mixed_precision::global_policy()) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  virtual std::string class_name() const = 0;
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  /// Keras' layer.dtype_policy: the global policy when the layer was made, unless set. Only the
  /// layers with matrix products or convolutions (Dense, Conv1D, Conv2D) compute differently
  /// under mixed_bfloat16; every layer keeps it, saves it and loads it as Keras does.
  DTypePolicy dtype_policy() const { return dtype_policy_; }
  void set_dtype_policy(DTypePolicy policy) { dtype_policy_ = policy; }

  /// Creates the variables for the given per-sample input shapes (no batch dimension) and
  /// returns the per-sample output shape. Throws glia::Error on incompatible shapes.
  virtual Shape build(const std::vector<Shape>& input_shapes, Rng& rng) = 0;
  /// Redraws the variables from their initializers (after build).
  virtual void initialize(Rng& /*rng*/) {}
  /// output is resized by the layer to (batch, output shape...).
  virtual void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs,
                       Tensor& output) = 0;
  /// dout may be overwritten. Each non-null dinputs[i] is resized and overwritten with dL/dx_i.
  /// Also writes (overwrites) the gradients of the layer's variables.
  virtual void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs,
                        const Tensor& output, Tensor& dout, std::span<Tensor* const> dinputs) = 0;

  /// The variables the optimizer trains while the layer is trainable(), in Keras order (kernel
  /// before bias). Their grads are written by backward() while the layer is trainable().
  virtual std::vector<Variable*> variables() { return {}; }
  /// Variables never trained (BatchNormalization's moving statistics), in Keras order. The
  /// optimizer never sees them; saving, count_params and checkpoints do. Their grad stays empty.
  virtual std::vector<Variable*> non_trainable_variables() { return {}; }
  /// Keras' layer.weights: variables(), then non_trainable_variables(), whether frozen or not
  /// (the order of every Keras file format).
  std::vector<Variable*> weights();
  /// Keras' layer.trainable (default true). A frozen layer (false) is left alone by fit(): its
  /// weights are not updated, their penalties and constraints do not apply, its backward still
  /// passes gradients to its inputs but computes none for its weights, and BatchNormalization
  /// then normalizes with its moving statistics, in training too, and does not move them (Keras
  /// 3). A change takes effect at the next fit(); an optimizer that already trained other
  /// variables refuses the new set (compile() with a new optimizer, as in Keras).
  bool trainable() const { return trainable_; }
  void set_trainable(bool trainable) { trainable_ = trainable; }
  /// Keras' layer.trainable_weights: variables() while trainable(), else none.
  std::vector<Variable*> trainable_weights();
  /// Keras' layer.non_trainable_weights: non_trainable_variables() while trainable(), else
  /// every weight.
  std::vector<Variable*> non_trainable_weights();
  /// Regularization penalty added to the loss (0 without regularizers), from the variables and
  /// (activity regularizers) the last forward's output.
  virtual double regularization_loss(Backend&) { return 0.0; }
  /// True when regularization_loss() can be non-zero.
  virtual bool has_regularization() const { return false; }
  /// Applies the variables' constraints; the model calls it after each optimizer update.
  virtual void apply_constraints(Backend&) {}
  /// True when the layer's final operation is a softmax over the last axis.
  virtual bool ends_with_softmax() const { return false; }
  /// True when the layer can apply a ReLU to its output itself (ForwardContext::relu_fused).
  virtual bool fuses_relu() const { return false; }
  /// True for max(x, 0) with nothing else (a ReLU or Activation("relu") with Keras' defaults).
  virtual bool is_plain_relu() const { return false; }
  /// How many inputs the layer takes: 1, or -1 for "two or more" (merge layers).
  virtual int arity() const { return 1; }

  bool built() const { return built_; }
  const Shape& output_shape() const { return output_shape_; }
  const std::vector<Shape>& input_shapes() const { return input_shapes_; }
  /// Every weight's size, non-trainable ones included (Keras' count_params).
  int64_t count_params();

  /// Functional API: connect this layer to symbolic inputs.
  KerasTensor operator()(const KerasTensor& input);
  KerasTensor operator()(const std::vector<KerasTensor>& inputs);

  /// Called by models: builds once, remembering shapes. Later calls must match.
  Shape ensure_built(const std::vector<Shape>& input_shapes, Rng& rng);

 private:
  std::string name_;
  DTypePolicy dtype_policy_;
  bool trainable_ = true;
  bool built_ = false;
  Shape output_shape_;
  std::vector<Shape> input_shapes_;
};

using LayerPtr = std::shared_ptr<Layer>;

/// Generates Keras-style unique default names per process: "dense", "dense_1", ...
std::string unique_layer_name(const std::string& base);

}  // namespace glia
