// The shape layers (Keras names and defaults): Reshape, Rescaling and ZeroPadding2D. Included by
// glia/layers.hpp.
#pragma once

#include "glia/layer.hpp"

namespace glia {

/// keras.layers.Reshape(target_shape): (batch, ...) → (batch, target_shape...), one dimension
/// of which may be -1 (inferred from the others). The forward is a view (no copy);
/// the backward copies the gradient into its input's buffer.
class Reshape : public Layer {
 public:
  /// Throws glia::Error for an empty shape, a dimension below -1 or more than one -1.
  explicit Reshape(Shape target_shape, std::string name = "");
  std::string class_name() const override { return "Reshape"; }
  /// Throws glia::Error when the input's element count does not fit the target shape.
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  /// As given (with its -1, if any), which is what Keras saves.
  const Shape& target_shape() const { return target_shape_; }

 private:
  Shape target_shape_;
};

/// keras.layers.Rescaling(scale, offset): y = x * scale + offset (scalars), computed in float32
/// as Keras casts them; kept as given (double) so that the config is written back unchanged.
class Rescaling : public Layer {
 public:
  /// Throws glia::Error for a scale or offset that is not a finite float32.
  explicit Rescaling(double scale, double offset = 0.0, std::string name = "");
  std::string class_name() const override { return "Rescaling"; }
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  double scale() const { return scale_; }
  double offset() const { return offset_; }

 private:
  double scale_, offset_;
};

/// Rows and columns of zeros ZeroPadding2D adds on each side.
struct Padding2D {
  int64_t top = 1, bottom = 1, left = 1, right = 1;
  /// Keras' (symmetric_height, symmetric_width) form.
  static Padding2D symmetric(int64_t height, int64_t width) {
    return {height, height, width, width};
  }
  bool operator==(const Padding2D&) const = default;
};

/// keras.layers.ZeroPadding2D(padding), channels_last: (batch, H, W, C) →
/// (batch, top + H + bottom, left + W + right, C) with zeros around.
class ZeroPadding2D : public Layer {
 public:
  /// The same padding on every side. Throws glia::Error for a negative padding.
  explicit ZeroPadding2D(int64_t padding = 1, std::string name = "");
  explicit ZeroPadding2D(Padding2D padding, std::string name = "");
  std::string class_name() const override { return "ZeroPadding2D"; }
  /// Throws glia::Error unless the input is (H, W, C) per sample.
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  const Padding2D& padding() const { return padding_; }

 private:
  PadGeometry geometry(int64_t batch) const;
  Padding2D padding_;
};

}  // namespace glia
