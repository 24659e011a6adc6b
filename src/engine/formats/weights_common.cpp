// What both weight layouts share: Keras' layer order, optimizer slots, reference samples.
#include <algorithm>
#include <map>

#include "formats/weights.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia::formats {

std::vector<LayerPtr> keras_layers(const Model& model) {
  const auto& nodes = model.nodes();
  if (model.class_name() == "Sequential") return model.layers();
  // Depth = longest path to the output (Keras' map_graph); ties keep the order in which a
  // depth-first walk from the output first reaches each layer, inputs in call order.
  std::map<const Node*, int64_t> depth, first_seen;
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    const int64_t d = depth[it->get()];
    for (auto& in : (*it)->inputs) depth[in.get()] = std::max(depth[in.get()], d + 1);
  }
  std::vector<const Node*> stack = {nodes.back().get()};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (first_seen.count(n)) continue;
    first_seen[n] = static_cast<int64_t>(first_seen.size());
    for (auto in = n->inputs.rbegin(); in != n->inputs.rend(); ++in) stack.push_back(in->get());
  }
  std::vector<const Node*> order;
  for (auto& n : nodes) order.push_back(n.get());
  std::stable_sort(order.begin(), order.end(), [&](const Node* a, const Node* b) {
    if (depth[a] != depth[b]) return depth[a] > depth[b];
    return first_seen[a] < first_seen[b];
  });
  std::vector<LayerPtr> out;
  for (const Node* n : order) out.push_back(n->layer);
  return out;
}

std::string variable_short_name(const Variable& v) {
  const size_t slash = v.name.rfind('/');
  return slash == std::string::npos ? v.name : v.name.substr(slash + 1);
}

std::string keras_optimizer_name(const Optimizer& o) {
  const std::string c = o.class_name();
  return c == "SGD" ? "sgd" : c == "RMSprop" ? "rm_sprop" : c == "AdamW" ? "adam_w" : "adam";
}

std::vector<SlotRef> keras_slots(Model& model, bool build) {
  Optimizer& opt = model.optimizer();
  // The slots of the variables the optimizer was built for: after layers were frozen or
  // unfrozen, a save still writes the state it has (as Keras does).
  if (!opt.slots_built()) {
    if (!build) return {};
    opt.build_slots(model.variables());
  }
  const std::vector<const Variable*>& vars = opt.built_for();
  if (!opt.built_for_variables_in(model.weights()))
    throw Error(opt.class_name() +
                " optimizer: its state belongs to another model's "
                "variables; compile model '" +
                model.name() + "' with a new optimizer");
  std::vector<SlotRef> out;
  const std::string cls = opt.class_name();
  if (cls == "Adam" || cls == "AdamW") {  // Keras interleaves momentum and velocity per variable
    for (size_t i = 0; i < vars.size(); ++i) {
      auto s = opt.slots(i);
      out.push_back({s.at(0), i, "momentum"});
      out.push_back({s.at(1), i, "velocity"});
    }
    for (size_t i = 0; i < vars.size(); ++i)
      if (auto s = opt.slots(i); s.size() > 2) out.push_back({s[2], i, "velocity_hat"});
    return out;
  }
  // SGD and RMSprop: each kind of slot for all variables, then the next kind.
  std::vector<std::string> kinds =
      cls == "SGD" ? std::vector<std::string>{"momentum"}
                   : std::vector<std::string>{"velocity", "momentum", "average_gradient"};
  if (cls == "RMSprop") {
    auto& r = dynamic_cast<RMSprop&>(opt).rmsprop_options();
    kinds = {"velocity"};
    if (r.momentum > 0) kinds.push_back("momentum");
    if (r.centered) kinds.push_back("average_gradient");
  }
  const size_t per = vars.empty() ? 0 : opt.slots(0).size();
  for (size_t k = 0; k < per; ++k)
    for (size_t i = 0; i < vars.size(); ++i)
      out.push_back({opt.slots(i).at(k), i, k < kinds.size() ? kinds[k] : "slot"});
  return out;
}

void stage_layer_weights(const Layer& layer, const std::vector<Variable*>& vars,
                         const h5::Group& group, const std::vector<std::string>& names,
                         const LoadWeightsOptions& options, bool legacy, StagedWeights& staged,
                         std::vector<std::string>& skipped) {
  if (names.size() != vars.size()) {
    const std::string what = group.where() + ": layer '" + layer.name() + "' expects " +
                             std::to_string(vars.size()) + " weights, the file has " +
                             std::to_string(names.size());
    if (!options.skip_mismatch || (legacy && !options.by_name)) throw Error(what);
    skipped.push_back(layer.name());
    return;
  }
  std::vector<char> fits(vars.size(), 1);
  bool any_mismatch = false;
  for (size_t i = 0; i < vars.size(); ++i) {
    const Shape s = group.dataset_shape(names[i]);
    if (s == vars[i]->value.shape()) continue;
    if (!options.skip_mismatch)
      throw Error(group.where(names[i]) + ": expected shape " + shape_str(vars[i]->value.shape()) +
                  ", found " + shape_str(s) + " (layer '" + layer.name() + "')");
    fits[i] = 0;
    any_mismatch = true;
  }
  if (any_mismatch) skipped.push_back(layer.name());
  if (any_mismatch && !legacy) return;  // Keras 3 skips the whole layer
  for (size_t i = 0; i < vars.size(); ++i) {
    if (!fits[i]) continue;
    Tensor t;
    group.read_floats_into(names[i], vars[i]->value.shape(), t);
    staged.emplace_back(vars[i], std::move(t));
  }
}

void commit_weights(StagedWeights& staged) {
  for (auto& [var, value] : staged) var->value.copy_from(value);
  staged.clear();
}

std::string optimizer_mismatch(Model& model, size_t stored, size_t needed) {
  return "the file's optimizer state has " + std::to_string(stored) + " variables, " +
         model.optimizer().class_name() + " needs " + std::to_string(needed) +
         " for this model's trainable weights (other layers frozen or trainable, or another "
         "optimizer, when it was saved)";
}

bool restore_optimizer(Model& model, int64_t iteration, const std::vector<Tensor>& values,
                       std::optional<float> learning_rate) {
  auto slots = keras_slots(model, true);
  if (values.size() != slots.size()) return false;
  for (size_t i = 0; i < slots.size(); ++i)
    if (values[i].shape() != slots[i].tensor->shape()) return false;
  for (size_t i = 0; i < slots.size(); ++i) slots[i].tensor->copy_from(values[i]);
  Optimizer& opt = model.optimizer();
  opt.set_iterations(iteration);
  if (learning_rate && !opt.options().schedule) opt.set_learning_rate(*learning_rate);
  return true;
}

void write_reference(const h5::Group& root, const ReferenceSample& r) {
  h5::Group g = root.create_group("glia_reference");
  g.write_floats("input", r.input.shape(), r.input.data());
  g.write_floats("output", r.output.shape(), r.output.data());
}

std::optional<ReferenceSample> read_reference(const h5::Group& root, const Model& model) {
  if (!root.has_group("glia_reference")) return std::nullopt;
  h5::Group g = root.group("glia_reference");
  ReferenceSample r;
  const int64_t max =
      64 * std::max<int64_t>(shape_numel(model.input_shape()), shape_numel(model.output_shape()));
  r.input = g.read_floats("input", max);
  r.output = g.read_floats("output", max);
  Shape in = r.input.shape(), out = r.output.shape();
  if (in.empty() || out.empty() || in[0] != out[0] ||
      Shape(in.begin() + 1, in.end()) != model.input_shape() ||
      Shape(out.begin() + 1, out.end()) != model.output_shape())
    throw Error(g.where() + ": the reference sample's shapes " + shape_str(in) + " → " +
                shape_str(out) + " do not fit the model's " + shape_str(model.input_shape(), true) +
                " → " + shape_str(model.output_shape(), true));
  return r;
}

}  // namespace glia::formats
