// The pooling layers (Keras names, options and defaults), channels_last only: MaxPooling2D,
// AveragePooling2D, MaxPooling1D, AveragePooling1D and the global pools GlobalMaxPooling2D,
// GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalAveragePooling1D. All run on
// Backend::pool_forward / pool_backward (1-D as 2-D with height 1; a global pool is one window
// the size of the input).
#pragma once

#include <string>
#include <vector>

#include "glia/backend_pool.hpp"
#include "glia/layer.hpp"

namespace glia {

/// What the pooling layers share: the kernels' geometry (set by build), the forward and the
/// backward (max pooling keeps the backend's workspace between them).
class PoolingBase : public Layer {
 public:
  void forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) override;
  void backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor& output,
                Tensor& dout, std::span<Tensor* const> dinputs) override;
  PoolKind kind() const { return kind_; }

 protected:
  PoolingBase(PoolKind kind, int spatial_rank, std::string name);
  /// Checks the input's rank (spatial rank + channels) and returns it as (height, width,
  /// channels), height 1 for 1-D.
  std::vector<int64_t> image_of(const Shape& input) const;
  int spatial_rank() const { return spatial_rank_; }

  PoolGeometry geometry_;  // per sample (batch 0), set by build
  Shape out_shape_;        // per sample

 private:
  PoolKind kind_;
  int spatial_rank_;
  Tensor workspace_;  // max pooling: what the last training forward left for the backward
  bool have_workspace_ = false;
};

struct PoolingOptions {
  /// Window per spatial axis (one value for 1-D, two for 2-D; one value for 2-D is used for
  /// both axes). Empty: Keras' default, 2 along every axis.
  std::vector<int64_t> pool_size;
  std::vector<int64_t> strides;   // empty: pool_size (Keras' strides=None)
  std::string padding = "valid";  // "valid" or "same" (any case)
  std::string name;               // empty: "max_pooling2d", ...
};

/// A windowed pool over 1 or 2 spatial axes.
class Pooling : public PoolingBase {
 public:
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  const std::vector<int64_t>& pool_size() const { return pool_size_; }
  const std::vector<int64_t>& strides() const { return strides_; }
  const std::string& padding() const { return padding_; }

 protected:
  /// cls: the class name for messages (class_name() is not callable in a constructor).
  Pooling(PoolKind kind, int spatial_rank, PoolingOptions options, const char* cls,
          const char* default_name);

 private:
  std::vector<int64_t> pool_size_, strides_;
  std::string padding_;
};

/// keras.layers.MaxPooling2D: (batch, h, w, c) -> the maximum of each window.
class MaxPooling2D : public Pooling {
 public:
  explicit MaxPooling2D(PoolingOptions options = {});
  std::string class_name() const override { return "MaxPooling2D"; }
};

/// keras.layers.AveragePooling2D: the mean of each window's input pixels (padding excluded).
class AveragePooling2D : public Pooling {
 public:
  explicit AveragePooling2D(PoolingOptions options = {});
  std::string class_name() const override { return "AveragePooling2D"; }
};

/// keras.layers.MaxPooling1D: (batch, steps, c) -> the maximum of each window of steps.
class MaxPooling1D : public Pooling {
 public:
  explicit MaxPooling1D(PoolingOptions options = {});
  std::string class_name() const override { return "MaxPooling1D"; }
};

/// keras.layers.AveragePooling1D.
class AveragePooling1D : public Pooling {
 public:
  explicit AveragePooling1D(PoolingOptions options = {});
  std::string class_name() const override { return "AveragePooling1D"; }
};

struct GlobalPoolingOptions {
  /// Keep the spatial axes with size 1: (batch, 1, 1, c) / (batch, 1, c) instead of (batch, c).
  bool keepdims = false;
  std::string name;  // empty: "global_average_pooling2d", ...
};

/// A pool over all spatial positions, per channel.
class GlobalPooling : public PoolingBase {
 public:
  Shape build(const std::vector<Shape>& input_shapes, Rng& rng) override;
  bool keepdims() const { return keepdims_; }

 protected:
  GlobalPooling(PoolKind kind, int spatial_rank, GlobalPoolingOptions options,
                const char* default_name);

 private:
  bool keepdims_;
};

class GlobalAveragePooling2D : public GlobalPooling {
 public:
  explicit GlobalAveragePooling2D(GlobalPoolingOptions options = {});
  std::string class_name() const override { return "GlobalAveragePooling2D"; }
};

class GlobalMaxPooling2D : public GlobalPooling {
 public:
  explicit GlobalMaxPooling2D(GlobalPoolingOptions options = {});
  std::string class_name() const override { return "GlobalMaxPooling2D"; }
};

class GlobalAveragePooling1D : public GlobalPooling {
 public:
  explicit GlobalAveragePooling1D(GlobalPoolingOptions options = {});
  std::string class_name() const override { return "GlobalAveragePooling1D"; }
};

class GlobalMaxPooling1D : public GlobalPooling {
 public:
  explicit GlobalMaxPooling1D(GlobalPoolingOptions options = {});
  std::string class_name() const override { return "GlobalMaxPooling1D"; }
};

}  // namespace glia
