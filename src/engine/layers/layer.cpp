#include "glia/layer.hpp"

#include <atomic>
#include <map>
#include <mutex>

#include "glia/error.hpp"
#include "glia/model.hpp"

namespace glia {

std::string unique_layer_name(const std::string& base) {
  static std::mutex mu;
  static std::map<std::string, int> counters;
  std::lock_guard lock(mu);
  int n = counters[base]++;
  return n == 0 ? base : base + "_" + std::to_string(n);
}

std::vector<Variable*> Layer::weights() {
  std::vector<Variable*> all = variables();
  for (Variable* v : non_trainable_variables()) all.push_back(v);
  return all;
}

std::vector<Variable*> Layer::trainable_weights() {
  return trainable_ ? variables() : std::vector<Variable*>{};
}

std::vector<Variable*> Layer::non_trainable_weights() {
  return trainable_ ? non_trainable_variables() : weights();
}

int64_t Layer::count_params() {
  int64_t n = 0;
  for (Variable* v : weights()) n += v->value.size();
  return n;
}

Shape Layer::ensure_built(const std::vector<Shape>& input_shapes, Rng& rng) {
  if (built_) {
    if (input_shapes != input_shapes_) {
      std::string got, want;
      for (auto& s : input_shapes) got += shape_str(s, true) + " ";
      for (auto& s : input_shapes_) want += shape_str(s, true) + " ";
      throw Error("layer '" + name_ + "' was built for input " + want + "but is called on " + got);
    }
    return output_shape_;
  }
  if (arity() >= 0 && static_cast<int>(input_shapes.size()) != arity())
    throw Error("layer '" + name_ + "' (" + class_name() + ") takes " + std::to_string(arity()) +
                " input(s), got " + std::to_string(input_shapes.size()));
  if (arity() < 0 && input_shapes.size() < 2)
    throw Error("layer '" + name_ + "' (" + class_name() + ") needs at least 2 inputs, got " +
                std::to_string(input_shapes.size()));
  output_shape_ = build(input_shapes, rng);
  input_shapes_ = input_shapes;
  built_ = true;
  return output_shape_;
}

KerasTensor Layer::operator()(const KerasTensor& input) {
  return (*this)(std::vector<KerasTensor>{input});
}

KerasTensor Layer::operator()(const std::vector<KerasTensor>& inputs) {
  auto node = std::make_shared<Node>();
  node->layer = shared_from_this();
  std::vector<Shape> shapes;
  for (const KerasTensor& t : inputs) {
    if (!t.node()) throw Error("layer '" + name_ + "' called on an undefined tensor");
    node->inputs.push_back(t.node());
    shapes.push_back(t.shape());
  }
  // Built on call, as in Keras. Unseeded draws come from a process-wide sequence;
  // Model::initialize_weights(seed) redraws every weight from one seed.
  static std::atomic<uint64_t> call_seed{0x5eed};
  Rng rng(call_seed.fetch_add(1));
  node->shape = ensure_built(shapes, rng);
  return KerasTensor(node);
}

}  // namespace glia
