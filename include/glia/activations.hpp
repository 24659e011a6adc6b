// Activation functions, named and defined as in Keras 3 (keras.activations, JAX backend).
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace glia {

enum class ActivationKind {
  linear,
  relu,
  sigmoid,
  tanh,
  softmax,
  gelu,
  leaky_relu,
  elu,
  selu,
  softplus,
  softsign,
  silu,
  hard_sigmoid,
  hard_silu,
  relu6,
  exponential,
  mish,
  log_softmax,
  celu,
  tanh_shrink,
  soft_shrink,
  hard_shrink,
  hard_tanh,
  squareplus,
  log_sigmoid,
  sparse_plus,
  sparse_sigmoid,
  sparsemax,
};

/// An activation and its arguments. parse() gives Keras' defaults; the layers that take
/// arguments (ELU, LeakyReLU, ReLU) set them. A plain value type: the CUDA kernels take it by
/// value.
struct ActivationSpec {
  ActivationKind kind = ActivationKind::linear;
  float negative_slope = 0.2f;  // leaky_relu (keras.activations default; the layer's is 0.3)
  float alpha = 1.0f;           // elu, celu
  float threshold = 0.5f;       // soft_shrink, hard_shrink
  float b = 4.0f;               // squareplus
  bool approximate = false;     // gelu: the tanh approximation (keras.activations.gelu argument)
  // relu's arguments (keras.activations.relu / the ReLU layer): defaults make it max(x, 0).
  float relu_negative_slope = 0.0f;
  float relu_max_value = std::numeric_limits<float>::infinity();  // None
  float relu_threshold = 0.0f;

  /// Parses a Keras activation name ("linear"/"" for none, "relu", "elu", "swish" (= silu),
  /// "hard_swish" (= hard_silu), ...; see names()). Throws glia::Error naming the unknown
  /// activation otherwise, and for Keras' glu and threshold, which Glia does not have.
  static ActivationSpec parse(const std::string& name);
  /// Every name parse() accepts as Keras serializes it (aliases not included).
  static const std::vector<std::string>& names();
  /// The name Keras serializes ("silu" for swish).
  std::string name() const;
  /// True when the arguments are the defaults of the named function, so that name() alone
  /// describes it (false e.g. for relu with a max_value, elu with alpha 0.5).
  bool has_default_arguments() const;
  /// True for the activations computed over a whole row (the last axis): softmax, log_softmax,
  /// sparsemax.
  bool row_wise() const;
  /// True when the derivative can be computed from the output alone (no pre-activation kept).
  bool backward_from_output() const;
};

}  // namespace glia
