// keras.layers.Reshape: a view of the input with another per-sample shape (no copy forward; the
// backward copies the gradient into the graph's buffer).
#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia {

Reshape::Reshape(Shape target_shape, std::string name)
    : Layer(name.empty() ? unique_layer_name("reshape") : std::move(name)),
      target_shape_(std::move(target_shape)) {
  if (target_shape_.empty()) throw Error("Reshape: target_shape must have at least one dimension");
  int unknown = 0;
  for (int64_t d : target_shape_) {
    if (d < -1 || d == 0)
      throw Error("Reshape: target_shape " + shape_str(target_shape_) +
                  " must hold positive dimensions or one -1");
    unknown += d == -1;
  }
  if (unknown > 1)
    throw Error("Reshape: target_shape " + shape_str(target_shape_) +
                " may hold at most one -1 (an inferred dimension)");
}

Shape Reshape::build(const std::vector<Shape>& input_shapes, Rng&) {
  const int64_t in = shape_numel(input_shapes[0]);
  int64_t known = 1;
  for (int64_t d : target_shape_)
    if (d != -1) known *= d;
  Shape out = target_shape_;
  for (int64_t& d : out)
    if (d == -1) d = known > 0 && in % known == 0 ? in / known : 0;
  if (shape_numel(out) != in || in == 0)
    throw Error("Reshape '" + name() + "': the input " + shape_str(input_shapes[0], true) + " (" +
                std::to_string(in) + " values per sample) cannot be reshaped to " +
                shape_str(target_shape_, true));
  return out;
}

void Reshape::forward(ForwardContext&, std::span<const Tensor* const> inputs, Tensor& output) {
  const Tensor& x = *inputs[0];
  Shape s = {x.dim(0)};
  s.insert(s.end(), output_shape().begin(), output_shape().end());
  output = x.view(s);  // shares storage: no copy
}

void Reshape::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs, const Tensor&,
                       Tensor& dout, std::span<Tensor* const> dinputs) {
  if (dinputs.empty() || !dinputs[0]) return;
  // A copy into the graph's own buffer, not a view of dout: when the input feeds other layers
  // too, that buffer is reused by their backward next step and would overwrite dout.
  Tensor& dx = *dinputs[0];
  dx.resize(inputs[0]->shape());
  ctx.backend.copy_columns(dout.data(), 1, dout.size(), dx.data(), dx.size(), 0);
}

}  // namespace glia
