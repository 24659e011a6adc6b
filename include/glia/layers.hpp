// The built-in layers (Keras names and defaults).
#pragma once

#include <limits>
#include <optional>

#include "glia/layer.hpp"
#include "glia/layers_conv.hpp"
#include "glia/layers_norm.hpp"
#include "glia/layers_pool.hpp"  // ---- pool (issue 16) ----
#include "glia/regularizers.hpp"
// ---- shape (issue 16) ----
#include "glia/layers_shape.hpp"

namespace glia {

struct DenseOptions {
  std::string activation = "linear";
  bool use_bias = true;
  InitializerSpec kernel_initializer{"glorot_uniform"};
  InitializerSpec bias_initializer{"zeros"};
  Regularizer kernel_regularizer;
  Regularizer bias_regularizer;
  /// Penalty on the layer's output (after the activation), divided by the batch size as Keras 3
  /// does; added to the loss in training and evaluation.
  Regularizer activity_regularizer;
  Constraint kernel_constraint;  // applied after each optimizer update
  Constraint bias_constraint;
  std::string name;  // empty: "dense", "dense_1", ...
};

/// y = activation(x · kernel + bias), kernel shaped (input_dim, units) as in Keras.
class Dense : public Layer {
 public:
  Dense(int64_t units, DenseOptions options = {});
  std::string class_name() const override { return "Dense"; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void initialize(Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  std::vector<Variable*> variables() override;
  double regularization_loss(Backend& backend) override;
  bool has_regularization() const override;
  void apply_constraints(Backend& backend) override;
  /// Not with an activity regularizer: its gradient must go through the softmax.
  bool ends_with_softmax() const override {
    return act_.kind == ActivationKind::softmax && !options_.activity_regularizer.active();
  }

  int64_t units() const { return units_; }
  const DenseOptions& options() const { return options_; }
  ActivationSpec activation() const { return act_; }
  Variable& kernel() { return kernel_; }
  Variable& bias() { return bias_; }

 private:
  int64_t units_;
  DenseOptions options_;
  ActivationSpec act_;
  Variable kernel_, bias_;
  Tensor preact_;       // kept only when the activation's derivative needs it (gelu)
  Tensor last_output_;  // the last forward's output, for the activity regularizer
};

/// Applies an activation (any of ActivationSpec::names()).
class Activation : public Layer {
 public:
  explicit Activation(const std::string& activation, std::string name = "");
  /// With arguments (e.g. gelu with approximate = true).
  explicit Activation(ActivationSpec activation, std::string name = "");
  std::string class_name() const override { return "Activation"; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  bool ends_with_softmax() const override { return act_.kind == ActivationKind::softmax; }
  bool is_plain_relu() const override {
    return act_.kind == ActivationKind::relu && act_.has_default_arguments();
  }
  ActivationSpec activation() const { return act_; }

 protected:
  Activation(ActivationSpec activation, std::string name, const char* default_name);

 private:
  ActivationSpec act_;
};

/// keras.layers.ELU: x > 0 ? x : alpha (exp(x) - 1).
class ELU : public Activation {
 public:
  explicit ELU(float alpha = 1.0f, std::string name = "");
  std::string class_name() const override { return "ELU"; }
  float alpha() const { return activation().alpha; }
};

/// keras.layers.LeakyReLU: x >= 0 ? x : negative_slope x (the layer's default slope is 0.3).
class LeakyReLU : public Activation {
 public:
  explicit LeakyReLU(float negative_slope = 0.3f, std::string name = "");
  std::string class_name() const override { return "LeakyReLU"; }
  float negative_slope() const { return activation().negative_slope; }
};

/// keras.layers.ReLU(max_value, negative_slope, threshold): keras.activations.relu with them.
class ReLU : public Activation {
 public:
  /// max_value: +infinity for none. Throws glia::Error for a negative max_value or slope.
  explicit ReLU(float max_value = std::numeric_limits<float>::infinity(),
                float negative_slope = 0.0f, float threshold = 0.0f, std::string name = "");
  std::string class_name() const override { return "ReLU"; }
};

/// keras.layers.Softmax over the last axis (axis -1, or the last axis counted with the batch).
class Softmax : public Activation {
 public:
  explicit Softmax(int axis = -1, std::string name = "");
  std::string class_name() const override { return "Softmax"; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  int axis() const { return axis_; }

 private:
  int axis_;
};

struct PReLUOptions {
  InitializerSpec alpha_initializer{"zeros"};
  Regularizer alpha_regularizer;
  Constraint alpha_constraint;
  /// Per-sample axes (1-based, as Keras counts them with the batch axis 0) along which alpha is
  /// shared: alpha has size 1 there.
  std::vector<int> shared_axes;
  std::string name;  // empty: "p_re_lu", ...
};

/// keras.layers.PReLU: relu(x) - alpha relu(-x) with a trainable alpha shaped like one sample
/// (1 along the shared axes). Built from backend kernels only (alpha is broadcast with a GEMM).
class PReLU : public Layer {
 public:
  explicit PReLU(PReLUOptions options = {});
  std::string class_name() const override { return "PReLU"; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void initialize(Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  std::vector<Variable*> variables() override { return {&alpha_}; }
  double regularization_loss(Backend& backend) override;
  bool has_regularization() const override { return options_.alpha_regularizer.active(); }
  void apply_constraints(Backend& backend) override;
  const PReLUOptions& options() const { return options_; }
  Variable& alpha() { return alpha_; }

 private:
  /// alpha broadcast over the shared axes, one value per feature of a sample (cols).
  void expand_alpha(Backend& be);
  PReLUOptions options_;
  Variable alpha_;
  int64_t cols_ = 0;
  Tensor expand_;      // (alpha size) x cols 0/1 matrix when axes are shared, else empty
  Tensor alpha_full_;  // cols
  Tensor ones_;        // rows of the largest batch seen
  Tensor alpha_rows_;  // rows x cols: alpha_full broadcast over the batch
  Tensor pos_, neg_;   // relu(x) and min(x, 0) of the last forward
  Tensor scratch_, grad_full_;
};

/// Inverted dropout: zeroes inputs with probability `rate` in training, scales the rest by
/// 1/(1-rate); identity at inference.
class Dropout : public Layer {
 public:
  explicit Dropout(float rate, std::optional<uint64_t> seed = std::nullopt, std::string name = "");
  std::string class_name() const override { return "Dropout"; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  /// Redraws the mask seed (unless one was given), so Model::initialize_weights(seed) makes
  /// dropout reproducible too.
  void initialize(Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  float rate() const { return rate_; }
  /// The seed given at construction, if any.
  std::optional<uint64_t> seed() const {
    return fixed_seed_ ? std::optional<uint64_t>(seed_) : std::nullopt;
  }

 private:
  float rate_;
  bool fixed_seed_ = false;  // the user gave a seed
  uint64_t seed_ = 0;
  bool active_ = false;  // the last forward was a training pass with rate > 0
  Tensor mask_;
};

/// Reshapes (batch, d1, d2, ...) to (batch, d1*d2*...).
class Flatten : public Layer {
 public:
  explicit Flatten(std::string name = "");
  std::string class_name() const override { return "Flatten"; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
};

/// Element-wise sum of two or more inputs of the same shape.
class Add : public Layer {
 public:
  explicit Add(std::string name = "");
  std::string class_name() const override { return "Add"; }
  int arity() const override { return -1; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
};

/// Concatenation along the last axis (Keras axis=-1).
class Concatenate : public Layer {
 public:
  explicit Concatenate(std::string name = "");
  std::string class_name() const override { return "Concatenate"; }
  int arity() const override { return -1; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
};

/// The model's entry point; passes its input through.
class InputLayer : public Layer {
 public:
  explicit InputLayer(Shape shape, std::string name = "");
  std::string class_name() const override { return "InputLayer"; }
  int arity() const override { return 0; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  const Shape& shape() const { return shape_; }

 private:
  Shape shape_;
};

}  // namespace glia
