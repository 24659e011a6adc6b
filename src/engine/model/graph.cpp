// Model construction: topological order of the layer graph, variables and weights.
#include <functional>
#include <map>
#include <set>

#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"

namespace glia {

Model::Model(KerasTensor input, KerasTensor output, std::string name) : name_(std::move(name)) {
  set_graph(std::move(input), std::move(output));
}

Model::Model(std::string name, bool) : name_(std::move(name)) {}

void Model::set_graph(KerasTensor input, KerasTensor output) {
  if (!input.node() || !output.node())
    throw Error("model '" + name_ + "': input and output must be defined tensors");
  if (input.node()->layer->class_name() != "InputLayer")
    throw Error("model '" + name_ + "': the input must come from Input(shape)");
  // Depth-first post-order from the output gives a topological order.
  std::vector<std::shared_ptr<Node>> order;
  std::set<Node*> done, active;
  std::function<void(const std::shared_ptr<Node>&)> visit = [&](const std::shared_ptr<Node>& n) {
    if (done.count(n.get())) return;
    if (active.count(n.get())) throw Error("model '" + name_ + "': the layer graph has a cycle");
    active.insert(n.get());
    for (auto& in : n->inputs) visit(in);
    active.erase(n.get());
    done.insert(n.get());
    order.push_back(n);
  };
  visit(output.node());
  std::set<Layer*> layers;
  nodes_.clear();
  nodes_.push_back(input.node());
  for (auto& n : order) {
    if (n == input.node()) continue;
    if (n->inputs.empty())
      throw Error("model '" + name_ + "': output depends on input '" + n->layer->name() +
                  "', which is not the model's input");
    if (!layers.insert(n->layer.get()).second)
      throw Error("model '" + name_ + "': layer '" + n->layer->name() +
                  "' is used twice; shared layers are not supported yet");
    nodes_.push_back(n);
  }
  if (!done.count(input.node().get()))
    throw Error("model '" + name_ + "': the output does not depend on the input");
  build_graph();
}

void Model::build_graph() {
  std::map<Node*, size_t> index;
  for (size_t i = 0; i < nodes_.size(); ++i) index[nodes_[i].get()] = i;
  node_inputs_.assign(nodes_.size(), {});
  consumers_.assign(nodes_.size(), 0);
  for (size_t i = 0; i < nodes_.size(); ++i)
    for (auto& in : nodes_[i]->inputs) {
      node_inputs_[i].push_back(index.at(in.get()));
      ++consumers_[index.at(in.get())];
    }
  outputs_.assign(nodes_.size(), Tensor());
  grads_.assign(nodes_.size(), Tensor());
  scratch_.assign(nodes_.size(), Tensor());
  prepare_training();
  grad_ready_.assign(nodes_.size(), 0);
  // A plain ReLU whose input is a layer that can apply it itself, and is that layer's only
  // consumer, is fused into it: the producer outputs max(·, 0) and the ReLU node is skipped.
  relu_fused_.assign(nodes_.size(), 0);
  relu_skipped_.assign(nodes_.size(), 0);
  for (size_t i = 1; i < nodes_.size(); ++i) {
    if (!nodes_[i]->layer->is_plain_relu() || node_inputs_[i].size() != 1) continue;
    const size_t j = node_inputs_[i][0];
    if (j == 0 || consumers_[j] != 1 || !nodes_[j]->layer->fuses_relu()) continue;
    relu_fused_[j] = 1;
    relu_skipped_[i] = 1;
  }
  has_regularizers_ = false;
  for (auto& n : nodes_)
    if (n->layer->has_regularization()) has_regularizers_ = true;
}

std::vector<LayerPtr> Model::layers() const {
  std::vector<LayerPtr> out;
  for (size_t i = 1; i < nodes_.size(); ++i) out.push_back(nodes_[i]->layer);
  return out;
}

LayerPtr Model::input_layer() const {
  return nodes_.empty() ? nullptr : nodes_[0]->layer;
}

Shape Model::input_shape() const {
  return nodes_.at(0)->shape;
}

Shape Model::output_shape() const {
  return nodes_.back()->shape;
}

void Model::prepare_training() {
  train_vars_ = variables();
  backward_needed_.assign(nodes_.size(), 0);
  trainable_at_fit_.assign(nodes_.size(), 1);
  for (size_t i = 1; i < nodes_.size(); ++i) {
    // 2: no weights, so the flag changes nothing
    trainable_at_fit_[i] = nodes_[i]->layer->weights().empty() ? 2 : nodes_[i]->layer->trainable();
    bool needed = !nodes_[i]->layer->trainable_weights().empty();
    for (size_t j : node_inputs_[i]) needed = needed || backward_needed_[j];
    backward_needed_[i] = needed;
  }
}

std::vector<Variable*> Model::variables() {
  std::vector<Variable*> vars;
  for (size_t i = 1; i < nodes_.size(); ++i)
    for (Variable* v : nodes_[i]->layer->trainable_weights()) vars.push_back(v);
  return vars;
}

std::vector<Variable*> Model::non_trainable_variables() {
  std::vector<Variable*> vars;
  for (size_t i = 1; i < nodes_.size(); ++i)
    for (Variable* v : nodes_[i]->layer->non_trainable_weights()) vars.push_back(v);
  return vars;
}

void Model::set_trainable(bool value) {
  for (size_t i = 1; i < nodes_.size(); ++i) nodes_[i]->layer->set_trainable(value);
}

std::vector<Variable*> Model::weights() {
  std::vector<Variable*> vars;
  for (size_t i = 1; i < nodes_.size(); ++i)
    for (Variable* v : nodes_[i]->layer->weights()) vars.push_back(v);
  return vars;
}

void Model::set_dtype_policy(DTypePolicy policy) {
  for (size_t i = 1; i < nodes_.size(); ++i) nodes_[i]->layer->set_dtype_policy(policy);
}

DTypePolicy Model::dtype_policy() const {
  for (size_t i = 1; i < nodes_.size(); ++i)
    if (nodes_[i]->layer->dtype_policy() == DTypePolicy::mixed_bfloat16)
      return DTypePolicy::mixed_bfloat16;
  return DTypePolicy::float32;
}

int64_t Model::count_params() const {
  int64_t n = 0;
  for (size_t i = 1; i < nodes_.size(); ++i) n += nodes_[i]->layer->count_params();
  return n;
}

int64_t Model::count_non_trainable_params() const {
  int64_t n = 0;
  for (size_t i = 1; i < nodes_.size(); ++i)
    for (Variable* v : nodes_[i]->layer->non_trainable_weights()) n += v->value.size();
  return n;
}

std::vector<Tensor> Model::get_weights() {
  std::vector<Tensor> out;
  for (Variable* v : weights()) out.push_back(v->value.clone());
  return out;
}

void Model::set_weights(const std::vector<Tensor>& weights) {
  auto vars = this->weights();
  if (weights.size() != vars.size())
    throw Error("set_weights: model '" + name_ + "' has " + std::to_string(vars.size()) +
                " weights, got " + std::to_string(weights.size()));
  for (size_t i = 0; i < vars.size(); ++i)
    if (weights[i].shape() != vars[i]->value.shape())
      throw Error("set_weights: '" + vars[i]->name + "' has shape " +
                  shape_str(vars[i]->value.shape()) + ", got " + shape_str(weights[i].shape()));
  for (size_t i = 0; i < vars.size(); ++i) vars[i]->value.copy_from(weights[i]);
}

void Model::initialize_weights(uint64_t seed) {
  Rng rng(seed);
  for (size_t i = 1; i < nodes_.size(); ++i) nodes_[i]->layer->initialize(rng);
}

Sequential::Sequential(std::string name) : Model(std::move(name), true) {}

Sequential::Sequential(std::vector<LayerPtr> layers, std::string name)
    : Model(std::move(name), true) {
  for (auto& l : layers) add(std::move(l));
}

Sequential& Sequential::add(LayerPtr layer) {
  if (!layer) throw Error("Sequential '" + name_ + "': cannot add a null layer");
  if (stack_.empty()) {
    auto* in = dynamic_cast<InputLayer*>(layer.get());
    if (!in)
      throw Error("Sequential '" + name_ + "': the first layer must be an InputLayer (got " +
                  layer->class_name() + " '" + layer->name() + "')");
    auto node = std::make_shared<Node>();
    node->layer = layer;
    Rng rng(0);
    node->shape = layer->ensure_built({}, rng);
    stack_.push_back(layer);
    nodes_ = {node};
    build_graph();
    return *this;
  }
  if (dynamic_cast<InputLayer*>(layer.get()))
    throw Error("Sequential '" + name_ + "': an InputLayer can only be the first layer");
  KerasTensor input(nodes_.front());
  KerasTensor out = (*layer)(KerasTensor(nodes_.back()));
  stack_.push_back(layer);
  set_graph(input, out);
  return *this;
}

}  // namespace glia
