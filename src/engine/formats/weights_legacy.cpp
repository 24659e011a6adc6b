// tf.keras 2.x's weight layout: root attrs layer_names (+ backend, keras_version), one group
// per layer with attr weight_names, datasets at <layer>/<layer>/kernel:0; optimizer_weights.
#include <map>
#include <set>

#include "formats/weights.hpp"
#include "glia/error.hpp"

namespace glia::formats {

namespace {

constexpr int64_t kMaxNames = int64_t{64} << 20;

std::vector<std::string> layer_names(const h5::Group& g) {
  if (g.has_attr("layer_names")) return g.attr_list("layer_names", kMaxNames);
  // Keras splits lists over 64 KiB into layer_names0, layer_names1, ...
  std::vector<std::string> all;
  for (int i = 0; g.has_attr("layer_names" + std::to_string(i)); ++i)
    for (auto& n : g.attr_list("layer_names" + std::to_string(i), kMaxNames)) all.push_back(n);
  if (all.empty())
    throw Error(g.where() + ": no 'layer_names' attribute (not a Keras weights file)");
  return all;
}

}  // namespace

void write_legacy_weights(Model& model, const h5::Group& group) {
  std::vector<std::string> names;
  auto layers = keras_layers(model);
  for (auto& l : layers) names.push_back(l->name());
  group.set_attr_list("layer_names", names);
  group.set_attr("backend", "tensorflow");
  group.set_attr("keras_version", "2.15.0");
  for (auto& layer : layers) {
    h5::Group g = group.create_group(layer->name());
    std::vector<std::string> weight_names;
    auto vars = layer->weights();
    for (Variable* v : vars)
      weight_names.push_back(layer->name() + "/" + variable_short_name(*v) + ":0");
    g.set_attr_list("weight_names", weight_names);
    for (size_t i = 0; i < vars.size(); ++i)
      g.write_floats(weight_names[i], vars[i]->value.shape(), vars[i]->value.data());
  }
}

std::vector<std::string> read_legacy_weights(Model& model, const h5::Group& group,
                                             const LoadWeightsOptions& options) {
  struct Stored {
    std::string name;
    std::vector<std::string> weights;
  };
  std::vector<Stored> all;  // every layer the file lists
  for (const std::string& name : layer_names(group)) {
    if (!group.has_group(name))
      throw Error(group.where(name) + ": listed in layer_names but missing");
    all.push_back({name, group.group(name).attr_list("weight_names", kMaxNames)});
  }
  StagedWeights staged;
  std::vector<std::string> skipped;
  if (options.by_name) {
    // Keras' load_weights(by_name=True): each of our layers takes its namesake's weights (the
    // counts must agree, weightless layers included); layers the file does not name are left.
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < all.size(); ++i) index[all[i].name] = i;
    for (auto& l : keras_layers(model)) {
      auto it = index.find(l->name());
      if (it == index.end()) {
        if (!l->weights().empty()) skipped.push_back(l->name());
        continue;
      }
      const Stored& s = all[it->second];
      if (s.weights.empty() && l->weights().empty()) continue;
      stage_layer_weights(*l, l->weights(), group.group(s.name), s.weights, options, true, staged,
                          skipped);
    }
    commit_weights(staged);
    return skipped;
  }
  // In order: the layers with weights on either side.
  std::vector<Stored> stored;
  for (Stored& s : all)
    if (!s.weights.empty()) stored.push_back(std::move(s));
  std::vector<LayerPtr> ours;
  for (auto& l : keras_layers(model))
    if (!l->weights().empty()) ours.push_back(l);
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < stored.size(); ++i) index[stored[i].name] = i;
  if (stored.size() != ours.size())
    throw Error(group.where() + ": the file has weights for " + std::to_string(stored.size()) +
                " layers, the model has " + std::to_string(ours.size()) + " layers with weights");
  // Like Keras, layers pair up in order; when every stored name is one of ours, by name.
  bool by_name = true;
  for (auto& l : ours) by_name = by_name && index.count(l->name());
  for (size_t k = 0; k < ours.size(); ++k) {
    const Stored& s = stored[by_name ? index.at(ours[k]->name()) : k];
    stage_layer_weights(*ours[k], ours[k]->weights(), group.group(s.name), s.weights, options, true,
                        staged, skipped);
  }
  commit_weights(staged);
  return skipped;
}

void write_legacy_optimizer(Model& model, const h5::Group& root) {
  Optimizer& opt = model.optimizer();
  const std::string name = keras_optimizer_name(opt);
  h5::Group g = root.create_group("optimizer_weights");
  std::vector<std::string> names = {name + "/iteration"};
  g.write_int64(names.back(), opt.iterations());
  if (!opt.options().schedule) {
    names.push_back(name + "/learning_rate");
    const float lr = static_cast<float>(opt.learning_rate());
    g.write_floats(names.back(), {}, &lr);
  }
  const std::vector<SlotRef> slots = keras_slots(model, false);
  const std::vector<const Variable*>& vars = opt.built_for();
  for (const SlotRef& s : slots) {
    std::string var = model.name() + "_" + vars[s.variable]->name + "_" + s.kind;
    for (char& c : var)
      if (c == '/') c = '_';
    names.push_back(name + "/" + var);
    g.write_floats(names.back(), s.tensor->shape(), s.tensor->data());
  }
  g.set_attr_list("weight_names", names);
}

bool read_legacy_optimizer(Model& model, const h5::Group& root, std::string* skipped) {
  if (!model.compiled() || !root.has_group("optimizer_weights")) return false;
  h5::Group g = root.group("optimizer_weights");
  auto names = g.attr_list("weight_names", kMaxNames);
  const size_t slots = keras_slots(model, true).size();
  const bool has_lr = !model.optimizer().options().schedule;
  const size_t head = has_lr ? 2 : 1;
  if (names.size() != slots + head) {  // another optimizer layout: start fresh
    if (skipped && names.size() > head)
      *skipped = optimizer_mismatch(model, names.size(), slots + head);
    return false;
  }
  const int64_t iteration = g.read_integer_scalar(names[0]);
  std::optional<float> lr;
  if (has_lr) {
    Tensor t;
    g.read_floats_into(names[1], {}, t);
    lr = t[0];
  }
  auto refs = keras_slots(model, true);
  std::vector<Tensor> values(refs.size());
  for (size_t i = 0; i < refs.size(); ++i)
    g.read_floats_into(names[i + head], refs[i].tensor->shape(), values[i]);
  return restore_optimizer(model, iteration, values, lr);
}

}  // namespace glia::formats
