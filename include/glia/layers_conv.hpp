// Convolution layers (issue 16): keras.layers.Conv2D and Conv1D, channels_last.
#pragma once

#include <string>
#include <vector>

#include "glia/backend_conv.hpp"
#include "glia/layer.hpp"
#include "glia/regularizers.hpp"

namespace glia {

/// Keras' BaseConv options (Conv2D and Conv1D). strides and dilation_rate hold one value per
/// spatial axis (empty: all 1); strides > 1 together with dilation_rate > 1 is refused, as Keras
/// refuses it.
struct ConvOptions {
  std::vector<int64_t> strides;
  /// "valid" or "same" (TensorFlow's: the odd pixel of padding at the bottom/right); Conv1D also
  /// "causal".
  std::string padding = "valid";
  std::vector<int64_t> dilation_rate;
  std::string activation = "linear";
  bool use_bias = true;
  InitializerSpec kernel_initializer{"glorot_uniform"};
  InitializerSpec bias_initializer{"zeros"};
  Regularizer kernel_regularizer;
  Regularizer bias_regularizer;
  /// On the output, divided by the batch size (Keras 3), as Dense's.
  Regularizer activity_regularizer;
  Constraint kernel_constraint;  // norm constraints only on 1-D/2-D variables: refused here
  Constraint bias_constraint;
  std::string name;  // empty: "conv2d", "conv2d_1", ... ("conv1d" for Conv1D)
};

/// What Conv2D and Conv1D share: y = activation(conv(x, kernel) + bias) over channels_last
/// inputs, kernel shaped (kernel_size..., in_channels, filters) as in Keras, on the backend's
/// conv2d kernels (Conv1D is a Conv2D of height 1).
class Conv : public Layer {
 public:
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void initialize(Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  std::vector<Variable*> variables() override;
  double regularization_loss(Backend& backend) override;
  bool has_regularization() const override;
  void apply_constraints(Backend& backend) override;
  bool ends_with_softmax() const override {
    return act_.kind == ActivationKind::softmax && !options_.activity_regularizer.active();
  }

  /// Spatial axes: 2 (Conv2D) or 1 (Conv1D).
  int spatial_rank() const { return static_cast<int>(kernel_size_.size()); }
  int64_t filters() const { return filters_; }
  const std::vector<int64_t>& kernel_size() const { return kernel_size_; }
  /// The options with strides and dilation_rate filled in (one value per spatial axis).
  const ConvOptions& options() const { return options_; }
  ConvPadding padding() const { return padding_; }
  ActivationSpec activation() const { return act_; }
  Variable& kernel() { return kernel_; }
  Variable& bias() { return bias_; }

 protected:
  Conv(const char* class_name, int64_t filters, std::vector<int64_t> kernel_size,
       ConvOptions options);

 private:
  /// The backend geometry for a batch of the built input shape.
  ConvGeometry geometry(int64_t batch) const;
  /// "conv2d" / "conv1d": the default name's base.
  static std::string snake(const char* class_name);

  int64_t filters_;
  std::vector<int64_t> kernel_size_;
  ConvOptions options_;
  ConvPadding padding_ = ConvPadding::valid;
  ActivationSpec act_;
  ConvGeometry per_sample_;  // batch 1, set by build()
  Variable kernel_, bias_;
  Tensor preact_;       // kept only when the activation's derivative needs it (gelu)
  Tensor last_output_;  // the last forward's output, for the activity regularizer
  // mixed_bfloat16 on a backend without bf16 kernels: the bfloat16-rounded input, kernel and
  // output gradient (scratch).
  Tensor x_bf16_, kernel_bf16_, dout_bf16_;
};

/// keras.layers.Conv2D on (batch, height, width, channels) inputs; kernel_size (kh, kw).
class Conv2D : public Conv {
 public:
  Conv2D(int64_t filters, std::vector<int64_t> kernel_size, ConvOptions options = {});
  std::string class_name() const override { return "Conv2D"; }
};

/// keras.layers.Conv1D on (batch, steps, channels) inputs; kernel_size (k).
class Conv1D : public Conv {
 public:
  Conv1D(int64_t filters, std::vector<int64_t> kernel_size, ConvOptions options = {});
  std::string class_name() const override { return "Conv1D"; }
};

}  // namespace glia
