#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia {

Add::Add(std::string name) : Layer(name.empty() ? unique_layer_name("add") : std::move(name)) {}

Shape Add::build(const std::vector<Shape>& input_shapes, Rng&) {
  for (const Shape& s : input_shapes)
    if (s != input_shapes[0])
      throw Error("Add '" + name() + "': inputs must have the same shape, got " +
                  shape_str(input_shapes[0], true) + " and " + shape_str(s, true));
  return input_shapes[0];
}

void Add::forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  output.resize(inputs[0]->shape());
  ctx.backend.add(inputs[0]->data(), inputs[1]->data(), output.data(), output.size());
  for (size_t i = 2; i < inputs.size(); ++i)
    ctx.backend.add(output.data(), inputs[i]->data(), output.data(), output.size());
}

void Add::backward(BackwardContext& ctx, std::span<const Tensor* const>, const Tensor&,
                   Tensor& dout, std::span<Tensor* const> dinputs) {
  for (Tensor* dx : dinputs) {
    if (!dx) continue;
    dx->resize(dout.shape());
    ctx.backend.copy_columns(dout.data(), 1, dout.size(), dx->data(), dx->size(), 0);
  }
}

Concatenate::Concatenate(std::string name)
    : Layer(name.empty() ? unique_layer_name("concatenate") : std::move(name)) {}

Shape Concatenate::build(const std::vector<Shape>& input_shapes, Rng&) {
  Shape out = input_shapes[0];
  if (out.empty()) throw Error("Concatenate '" + name() + "': inputs need a feature axis");
  for (size_t i = 1; i < input_shapes.size(); ++i) {
    const Shape& s = input_shapes[i];
    if (s.size() != out.size() || !std::equal(s.begin(), s.end() - 1, out.begin()))
      throw Error("Concatenate '" + name() + "': inputs must match except on the last axis, got " +
                  shape_str(input_shapes[0], true) + " and " + shape_str(s, true));
    out.back() += s.back();
  }
  return out;
}

void Concatenate::forward(ForwardContext& ctx, std::span<const Tensor* const> inputs,
                          Tensor& output) {
  Shape shape = inputs[0]->shape();
  shape.back() = 0;
  for (const Tensor* t : inputs) shape.back() += t->cols();
  output.resize(shape);
  int64_t offset = 0;
  for (const Tensor* t : inputs) {
    ctx.backend.copy_columns(t->data(), t->rows(), t->cols(), output.data(), shape.back(), offset);
    offset += t->cols();
  }
}

void Concatenate::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs,
                           const Tensor&, Tensor& dout, std::span<Tensor* const> dinputs) {
  int64_t offset = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (dinputs[i]) {
      dinputs[i]->resize(inputs[i]->shape());
      ctx.backend.slice_columns(dout.data(), dout.rows(), dout.cols(), offset, dinputs[i]->data(),
                                inputs[i]->cols());
    }
    offset += inputs[i]->cols();
  }
}

}  // namespace glia
