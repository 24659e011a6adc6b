#include "glia/layers.hpp"
#include "glia/model.hpp"

namespace glia {

InputLayer::InputLayer(Shape shape, std::string name)
    : Layer(name.empty() ? unique_layer_name("input_layer") : std::move(name)),
      shape_(std::move(shape)) {
  set_dtype_policy(DTypePolicy::float32);  // Keras' inputs are float32 under any global policy
}

Shape InputLayer::build(const std::vector<Shape>&, Rng&) {
  return shape_;
}

// The model feeds the batch straight into the input node; these exist for completeness.
void InputLayer::forward(ForwardContext&, std::span<const Tensor* const> inputs, Tensor& output) {
  if (!inputs.empty()) output = *inputs[0];
}

void InputLayer::backward(BackwardContext&, std::span<const Tensor* const>, const Tensor&, Tensor&,
                          std::span<Tensor* const>) {}

KerasTensor Input(Shape shape, std::string name) {
  auto layer = std::make_shared<InputLayer>(std::move(shape), std::move(name));
  auto node = std::make_shared<Node>();
  node->layer = layer;
  Rng rng(0);
  node->shape = layer->ensure_built({}, rng);
  return KerasTensor(node);
}

const Shape& KerasTensor::shape() const {
  return node_->shape;
}

}  // namespace glia
