// The built-in layers (Keras names and defaults).
#pragma once

#include <optional>

#include "glia/layer.hpp"

namespace glia {

struct Regularizer {
  float l1 = 0.0f, l2 = 0.0f;
  bool active() const { return l1 != 0.0f || l2 != 0.0f; }
};

struct DenseOptions {
  std::string activation = "linear";
  bool use_bias = true;
  InitializerSpec kernel_initializer{"glorot_uniform"};
  InitializerSpec bias_initializer{"zeros"};
  Regularizer kernel_regularizer;
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
  bool ends_with_softmax() const override { return act_.kind == ActivationKind::softmax; }

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
  Tensor preact_;  // kept only when the activation's derivative needs it (gelu)
};

class Activation : public Layer {
 public:
  explicit Activation(const std::string& activation, std::string name = "");
  std::string class_name() const override { return "Activation"; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  bool ends_with_softmax() const override { return act_.kind == ActivationKind::softmax; }
  ActivationSpec activation() const { return act_; }

 private:
  ActivationSpec act_;
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
