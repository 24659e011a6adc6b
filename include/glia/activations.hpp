// Element-wise activation functions, named as in Keras.
#pragma once

#include <string>

namespace glia {

enum class ActivationKind { linear, relu, sigmoid, tanh, softmax, gelu, leaky_relu };

struct ActivationSpec {
  ActivationKind kind = ActivationKind::linear;
  float negative_slope = 0.2f;  // leaky_relu (Keras 3 default)

  /// Parses a Keras name: "linear"/"" (none), "relu", "sigmoid", "tanh", "softmax", "gelu",
  /// "leaky_relu". Throws glia::Error naming the unknown activation otherwise.
  static ActivationSpec parse(const std::string& name);
  std::string name() const;
  /// True when the derivative can be computed from the output alone (no pre-activation kept).
  bool backward_from_output() const { return kind != ActivationKind::gelu; }
};

}  // namespace glia
