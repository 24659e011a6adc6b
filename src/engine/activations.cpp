#include "glia/activations.hpp"

#include <utility>

#include "glia/error.hpp"

namespace glia {

namespace {

using K = ActivationKind;

// Keras' serialized names, in the order docs and errors list them.
const std::pair<const char*, K> kNames[] = {
    {"linear", K::linear},
    {"relu", K::relu},
    {"sigmoid", K::sigmoid},
    {"tanh", K::tanh},
    {"softmax", K::softmax},
    {"gelu", K::gelu},
    {"leaky_relu", K::leaky_relu},
    {"elu", K::elu},
    {"selu", K::selu},
    {"softplus", K::softplus},
    {"softsign", K::softsign},
    {"silu", K::silu},
    {"hard_sigmoid", K::hard_sigmoid},
    {"hard_silu", K::hard_silu},
    {"relu6", K::relu6},
    {"exponential", K::exponential},
    {"mish", K::mish},
    {"log_softmax", K::log_softmax},
    {"celu", K::celu},
    {"tanh_shrink", K::tanh_shrink},
    {"soft_shrink", K::soft_shrink},
    {"hard_shrink", K::hard_shrink},
    {"hard_tanh", K::hard_tanh},
    {"squareplus", K::squareplus},
    {"log_sigmoid", K::log_sigmoid},
    {"sparse_plus", K::sparse_plus},
    {"sparse_sigmoid", K::sparse_sigmoid},
    {"sparsemax", K::sparsemax},
};

std::string name_list() {
  std::string s;
  for (const auto& [n, k] : kNames) s += std::string(s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

const std::vector<std::string>& ActivationSpec::names() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> v;
    for (const auto& [n, k] : kNames) v.emplace_back(n);
    return v;
  }();
  return all;
}

ActivationSpec ActivationSpec::parse(const std::string& name) {
  ActivationSpec s;
  if (name.empty() || name == "none") return s;  // linear
  // Keras' aliases (keras.activations.get): swish is silu, hard_swish is hard_silu.
  const std::string n = name == "swish" ? "silu" : name == "hard_swish" ? "hard_silu" : name;
  for (const auto& [known, kind] : kNames)
    if (n == known) {
      s.kind = kind;
      return s;
    }
  if (name == "glu")
    throw Error(
        "activation 'glu' is not supported (it halves the last axis, which Keras 3's own "
        "Dense and Activation layers do not account for: a following layer fails there too)");
  if (name == "threshold")
    throw Error(
        "activation 'threshold' is not supported (Keras' threshold needs its threshold "
        "and default_value arguments, which an activation name cannot give)");
  throw Error("unknown activation '" + name + "' (expected one of " + name_list() + ")");
}

std::string ActivationSpec::name() const {
  for (const auto& [n, k] : kNames)
    if (k == kind) return n;
  return "linear";
}

bool ActivationSpec::has_default_arguments() const {
  const ActivationSpec d = parse(name());
  switch (kind) {
    case K::leaky_relu:
      return negative_slope == d.negative_slope;
    case K::elu:
    case K::celu:
      return alpha == d.alpha;
    case K::soft_shrink:
    case K::hard_shrink:
      return threshold == d.threshold;
    case K::squareplus:
      return b == d.b;
    case K::gelu:
      return approximate == d.approximate;
    case K::relu:
      return relu_negative_slope == 0.0f && relu_max_value == d.relu_max_value &&
             relu_threshold == 0.0f;
    default:
      return true;
  }
}

bool ActivationSpec::row_wise() const {
  return kind == K::softmax || kind == K::log_softmax || kind == K::sparsemax;
}

bool ActivationSpec::backward_from_output() const {
  switch (kind) {
    case K::linear:
    case K::sigmoid:
    case K::tanh:
    case K::softmax:
    case K::log_softmax:
      return true;
    case K::relu:
      return has_default_arguments();
    case K::leaky_relu:
      return negative_slope >= 0.0f;
    default:
      return false;
  }
}

}  // namespace glia
