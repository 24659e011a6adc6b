#include "glia/layers.hpp"

namespace glia {

Flatten::Flatten(std::string name)
    : Layer(name.empty() ? unique_layer_name("flatten") : std::move(name)) {}

Shape Flatten::build(const std::vector<Shape>& input_shapes, Rng&) {
  return {shape_numel(input_shapes[0])};
}

void Flatten::forward(ForwardContext&, std::span<const Tensor* const> inputs, Tensor& output) {
  const Tensor& x = *inputs[0];
  const int64_t batch = x.rank() > 0 ? x.dim(0) : 1;
  output = x.view({batch, batch > 0 ? x.size() / batch : 0});  // shares storage: no copy
}

void Flatten::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor&,
                       Tensor& dout, std::span<Tensor* const> dinputs) {
  if (dinputs.empty() || !dinputs[0]) return;
  // A copy into the graph's own buffer, not a view of dout: when the input feeds other layers
  // too, that buffer is reused by their backward next step and would overwrite dout.
  Tensor& dx = *dinputs[0];
  dx.resize(inputs[0]->shape());
  ctx.backend.copy_columns(dout.data(), 1, dout.size(), dx.data(), dx.size(), 0);
}

}  // namespace glia
