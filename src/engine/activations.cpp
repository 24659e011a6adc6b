#include "glia/activations.hpp"

#include "glia/error.hpp"

namespace glia {

ActivationSpec ActivationSpec::parse(const std::string& name) {
  ActivationSpec s;
  if (name.empty() || name == "linear" || name == "none")
    s.kind = ActivationKind::linear;
  else if (name == "relu")
    s.kind = ActivationKind::relu;
  else if (name == "sigmoid")
    s.kind = ActivationKind::sigmoid;
  else if (name == "tanh")
    s.kind = ActivationKind::tanh;
  else if (name == "softmax")
    s.kind = ActivationKind::softmax;
  else if (name == "gelu")
    s.kind = ActivationKind::gelu;
  else if (name == "leaky_relu")
    s.kind = ActivationKind::leaky_relu;
  else
    throw Error("unknown activation '" + name +
                "' (expected linear, relu, sigmoid, tanh, softmax, gelu or leaky_relu)");
  return s;
}

std::string ActivationSpec::name() const {
  switch (kind) {
    case ActivationKind::linear:
      return "linear";
    case ActivationKind::relu:
      return "relu";
    case ActivationKind::sigmoid:
      return "sigmoid";
    case ActivationKind::tanh:
      return "tanh";
    case ActivationKind::softmax:
      return "softmax";
    case ActivationKind::gelu:
      return "gelu";
    case ActivationKind::leaky_relu:
      return "leaky_relu";
  }
  return "linear";
}

}  // namespace glia
