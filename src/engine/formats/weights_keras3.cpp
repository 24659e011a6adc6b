// Keras 3's weight layout: layers/<snake_case class>[_n]/vars/<i>, optimizer/vars/<i>, vars.
#include <map>

#include "formats/config.hpp"
#include "formats/weights.hpp"
#include "glia/error.hpp"

namespace glia::formats {

namespace {

/// Keras names container items by class, not by layer name: dense, dense_1, dropout, ...
std::vector<std::pair<LayerPtr, std::string>> containers(const Model& model) {
  std::map<std::string, int> used;
  std::vector<std::pair<LayerPtr, std::string>> out;
  for (auto& layer : keras_layers(model)) {
    const std::string base = snake_case(layer->class_name());
    const int n = used[base]++;
    out.emplace_back(layer, n == 0 ? base : base + "_" + std::to_string(n));
  }
  return out;
}

}  // namespace

void write_keras3_weights(Model& model, const h5::Group& root, bool include_optimizer) {
  h5::Group layers = root.create_group("layers");
  for (auto& [layer, container] : containers(model)) {
    h5::Group vars = layers.create_group(container + "/vars");
    vars.set_attr("name", layer->name());
    auto v = layer->weights();
    for (size_t i = 0; i < v.size(); ++i)
      vars.write_floats(std::to_string(i), v[i]->value.shape(), v[i]->value.data());
  }
  if (include_optimizer && model.compiled()) {
    Optimizer& opt = model.optimizer();
    h5::Group vars = root.create_group("optimizer/vars");
    vars.set_attr("name", keras_optimizer_name(opt));
    int i = 0;
    vars.write_int64(std::to_string(i++), opt.iterations());
    if (!opt.options().schedule) {
      const float lr = static_cast<float>(opt.learning_rate());
      vars.write_floats(std::to_string(i++), {}, &lr);
    }
    for (const SlotRef& s : keras_slots(model, false))
      vars.write_floats(std::to_string(i++), s.tensor->shape(), s.tensor->data());
  }
  root.create_group("vars").set_attr("name", model.name());
}

std::vector<std::string> read_keras3_weights(Model& model, const h5::Group& root,
                                             const LoadWeightsOptions& options) {
  if (options.by_name)
    throw Error(root.where() +
                ": by_name applies only to the tf.keras 2.x layout (layer_names), as in Keras; "
                "this file has Keras 3's (layers/<name>/vars)");
  if (!root.has_group("layers")) throw Error(root.where("layers") + ": missing (no layer weights)");
  h5::Group layers = root.group("layers");
  // Files from Keras 3.6+ name each container's layer; older ones rely on the container order.
  std::map<std::string, std::string> by_layer_name;
  for (const std::string& child : layers.children()) {
    if (!layers.has_group(child + "/vars")) continue;
    h5::Group vars = layers.group(child + "/vars");
    if (vars.has_attr("name")) by_layer_name[vars.attr("name", 4096)] = child;
  }
  StagedWeights staged;
  std::vector<std::string> skipped;
  // By name when the file names every one of our layers with weights (so no container serves
  // two layers); else by container, in Keras' order, as Keras itself always loads.
  const auto pairs = containers(model);
  bool use_names = !by_layer_name.empty();
  for (const auto& [layer, container] : pairs)
    use_names = use_names && (layer->weights().empty() || by_layer_name.count(layer->name()));
  for (auto& [layer, container] : pairs) {
    auto v = layer->weights();
    const std::string path = use_names && by_layer_name.count(layer->name())
                                 ? by_layer_name.at(layer->name())
                                 : container;
    if (!layers.has_group(path + "/vars")) {
      if (v.empty()) continue;
      if (options.skip_mismatch) {
        skipped.push_back(layer->name());
        continue;
      }
      throw Error(layers.where(path + "/vars") + ": missing; layer '" + layer->name() + "' needs " +
                  std::to_string(v.size()) + " weights");
    }
    h5::Group vars = layers.group(path + "/vars");
    size_t count = 0;
    for (const std::string& c : vars.children()) count += vars.has_dataset(c) ? 1 : 0;
    std::vector<std::string> names;
    for (size_t i = 0; i < count; ++i) names.push_back(std::to_string(i));
    stage_layer_weights(*layer, v, vars, names, options, false, staged, skipped);
  }
  commit_weights(staged);
  return skipped;
}

bool read_keras3_optimizer(Model& model, const h5::Group& root, std::string* skipped) {
  if (!model.compiled() || !root.has_group("optimizer/vars")) return false;
  h5::Group vars = root.group("optimizer/vars");
  size_t count = 0;
  for (const std::string& c : vars.children()) count += vars.has_dataset(c) ? 1 : 0;
  if (count == 0) return false;
  const size_t slots = keras_slots(model, true).size();
  const bool has_lr = !model.optimizer().options().schedule;
  const size_t head = has_lr ? 2 : 1;
  // A compiled but never trained model stores only the iteration and learning rate; an
  // optimizer built for other trainable variables (layers frozen or unfrozen after it trained)
  // has another count. Either way the optimizer starts fresh, as Keras' loader does.
  if (count != slots + head) {
    if (skipped && count > head) *skipped = optimizer_mismatch(model, count, slots + head);
    return false;
  }
  const int64_t iteration = vars.read_integer_scalar("0");
  if (iteration < 0) throw Error(vars.where("0") + ": negative iteration count");
  std::optional<float> lr;
  if (has_lr) {
    Tensor t;
    vars.read_floats_into("1", {}, t);
    lr = t[0];
  }
  auto refs = keras_slots(model, true);
  std::vector<Tensor> values(refs.size());
  for (size_t i = 0; i < refs.size(); ++i)
    vars.read_floats_into(std::to_string(i + head), refs[i].tensor->shape(), values[i]);
  return restore_optimizer(model, iteration, values, lr);
}

}  // namespace glia::formats
