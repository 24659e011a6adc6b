// Model configs: Sequential and Functional graphs to and from Keras JSON (both generations).
#include <map>

#include "formats/config.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia::formats {

namespace {

json batch_shape(const Shape& s) {
  json out = json::array({nullptr});
  for (int64_t d : s) out.push_back(d);
  return out;
}

json keras_tensor(const Node& node) {
  json config;
  config["shape"] = batch_shape(node.shape);
  config["dtype"] = compute_dtype_name(node.layer->dtype_policy());
  config["keras_history"] = json::array({node.layer->name(), 0, 0});
  return json{{"class_name", "__keras_tensor__"}, {"config", config}};
}

json inbound_nodes(const Node& node, ConfigStyle style) {
  if (node.inputs.empty()) return json::array();
  if (style == ConfigStyle::keras2) {
    json call = json::array();
    for (auto& in : node.inputs)
      call.push_back(json::array({in->layer->name(), 0, 0, json::object()}));
    return json::array({call});
  }
  json args;
  if (node.inputs.size() == 1 && node.layer->arity() == 1) {
    args = json::array({keras_tensor(*node.inputs[0])});
  } else {
    json list = json::array();
    for (auto& in : node.inputs) list.push_back(keras_tensor(*in));
    args = json::array({list});
  }
  return json::array({json{{"args", args}, {"kwargs", json::object()}}});
}

// ---- reading helpers ----

const json& layers_of(const json& config, const Where& where) {
  const json* layers = config.is_array() ? &config : find(config, "layers");
  if (!layers || !layers->is_array()) where.fail("expected a 'layers' list");
  return *layers;
}

/// The name of the layer an inbound reference points at, in either generation's shape.
std::string history_name(const json& ref, const Where& where) {
  if (ref.is_array() && !ref.empty() && ref[0].is_string()) return ref[0].get<std::string>();
  if (ref.is_object()) {
    const json* c = find(ref, "config");
    const json* h = c && c->is_object() ? find(*c, "keras_history") : nullptr;
    if (h && h->is_array() && !h->empty() && (*h)[0].is_string()) return (*h)[0].get<std::string>();
  }
  where.fail("expected a layer reference ([name, 0, 0] or a __keras_tensor__), got " +
             ref.dump().substr(0, 120));
}

/// Names of the layers feeding one functional layer (exactly one call: no shared layers).
std::vector<std::string> inbound_names(const json& entry, const Where& where) {
  const json* nodes = find(entry, "inbound_nodes");
  if (!nodes || !nodes->is_array()) where.fail("expected 'inbound_nodes'");
  if (nodes->empty()) return {};
  if (nodes->size() > 1)
    where.fail("the layer is called " + std::to_string(nodes->size()) +
               " times; shared layers are not supported");
  const json& call = (*nodes)[0];
  std::vector<std::string> names;
  if (call.is_object()) {  // Keras 3: {"args": [tensor | [tensors...]], "kwargs": {}}
    const json* args = find(call, "args");
    if (!args || !args->is_array() || args->empty()) where.fail("expected 'args' in inbound_nodes");
    const json& first = (*args)[0];
    if (first.is_array() && !first.empty() && !first[0].is_string()) {
      for (const json& t : first) names.push_back(history_name(t, where));
    } else {
      for (const json& t : *args) names.push_back(history_name(t, where));
    }
  } else if (call.is_array()) {  // Keras 2: [[name, 0, 0, {}], ...]
    for (const json& t : call) names.push_back(history_name(t, where));
  } else {
    where.fail("unrecognized inbound_nodes entry " + call.dump().substr(0, 120));
  }
  return names;
}

std::string single_endpoint(const json& config, const char* key, const Where& where) {
  const json* v = find(config, key);
  if (v && v->is_object())  // keras.Model({"img": x}, {"probs": y})
    where.at(key).fail(std::string("dict ") +
                       (std::string(key) == "input_layers" ? "inputs" : "outputs") +
                       " are not supported (one input and one output, as a tensor or a list)");
  if (!v || !v->is_array() || v->empty()) where.fail(std::string("expected '") + key + "'");
  if ((*v)[0].is_string()) return (*v)[0].get<std::string>();
  if (v->size() != 1)
    where.fail(std::string("models with ") + std::to_string(v->size()) + " " + key +
               " are not supported (one input and one output)");
  return history_name((*v)[0], where);
}

struct Budget {
  const LoadLimits& limits;
  const Where& where;
  int64_t used = 0;
  void add(const Layer& layer, const std::vector<Shape>& inputs) {
    for (auto& s : inputs) {
      double n = 1;
      for (int64_t d : s) n *= static_cast<double>(d);
      if (n > static_cast<double>(limits.max_parameters))
        where.fail("layer '" + layer.name() + "' input " + shape_str(s, true) +
                   " is larger than the limit of " + std::to_string(limits.max_parameters) +
                   " values per sample");
    }
    const int64_t p = planned_parameters(layer, inputs);
    if (p > limits.max_parameters - used)
      where.fail("the model needs more than " + std::to_string(limits.max_parameters) +
                 " parameters (at layer '" + layer.name() + "')");
    used += p;
  }
};

void check_concat_axis(const json& entry, const std::vector<Shape>& inputs, const Where& where) {
  const json* c = find(entry, "config");
  const json* axis = c && c->is_object() ? find(*c, "axis") : nullptr;
  if (!axis || !axis->is_number_integer()) return;
  const int64_t a = axis->get<int64_t>();
  if (a != -1 && (inputs.empty() || a != static_cast<int64_t>(inputs[0].size())))
    where.at("axis").fail("only the last axis is supported, got " + axis->dump());
}

std::shared_ptr<Model> sequential_from(const json& root, const json& config, const Where& where,
                                       const LoadLimits& limits) {
  const json& layers = layers_of(config, where);
  if (static_cast<int64_t>(layers.size()) > limits.max_layers)
    where.fail("more than " + std::to_string(limits.max_layers) + " layers");
  std::string name = "sequential";
  if (config.is_object())
    if (const json* n = find(config, "name"); n && n->is_string()) name = n->get<std::string>();
  auto model = std::make_shared<Sequential>(name);
  Budget budget{limits, where};
  size_t first = 0;
  if (!layers.empty() && layers[0].is_object() && find(layers[0], "class_name") &&
      layers[0]["class_name"] == "InputLayer") {
    model->add(layer_from_config(layers[0], where.at("layers[0]")));
    first = 1;
  } else {
    Shape shape;
    if (!layers.empty() && layers[0].is_object())
      if (const json* c = find(layers[0], "config"); c && c->is_object())
        shape = input_shape_from(*c, where.at("layers[0]"));
    if (shape.empty() && config.is_object())
      if (const json* b = find(config, "build_input_shape"); b && b->is_array())
        shape = input_shape_from(json{{"batch_shape", *b}}, where.at("build_input_shape"));
    if (shape.empty())
      if (const json* b = find(root, "build_config"); b && b->is_object())
        if (const json* s = find(*b, "input_shape"); s && s->is_array())
          shape = input_shape_from(json{{"batch_shape", *s}}, where.at("build_config"));
    if (shape.empty()) where.fail("the Sequential model declares no input shape");
    for (int64_t d : shape)
      if (d <= 0) where.fail("input dimensions must be positive, got " + shape_str(shape));
    model->add(std::make_shared<InputLayer>(shape));
  }
  for (size_t i = first; i < layers.size(); ++i) {
    Where w = where.at("layers[" + std::to_string(i) + "]");
    LayerPtr layer = layer_from_config(layers[i], w);
    if (layer->class_name() == "InputLayer") w.fail("an InputLayer can only come first");
    if (layer->arity() != 1)
      w.fail(layer->class_name() + " needs several inputs; use a Functional model");
    std::vector<Shape> in = {model->output_shape()};
    budget.add(*layer, in);
    check_concat_axis(layers[i], in, w);
    try {
      model->add(layer);  // builds it: a shape it cannot take is named with its place
    } catch (const Error& e) {
      w.fail(e.what());
    }
  }
  if (layers.size() <= first) where.fail("the Sequential model has no layers");
  return model;
}

std::shared_ptr<Model> functional_from(const json& config, const Where& where,
                                       const LoadLimits& limits) {
  const json& layers = layers_of(config, where);
  if (static_cast<int64_t>(layers.size()) > limits.max_layers)
    where.fail("more than " + std::to_string(limits.max_layers) + " layers");
  std::string name = "functional";
  if (const json* n = find(config, "name"); n && n->is_string()) name = n->get<std::string>();
  struct Pending {
    LayerPtr layer;
    std::vector<std::string> inputs;
    size_t index;
  };
  std::vector<Pending> pending;
  std::map<std::string, KerasTensor> ready;
  for (size_t i = 0; i < layers.size(); ++i) {
    Where w = where.at("layers[" + std::to_string(i) + "]");
    LayerPtr layer = layer_from_config(layers[i], w);
    if (const json* n = find(layers[i], "name"); n && n->is_string())
      layer->set_name(n->get<std::string>());
    if (ready.count(layer->name())) w.fail("duplicate layer name '" + layer->name() + "'");
    if (layer->class_name() == "InputLayer") {
      auto node = std::make_shared<Node>();
      node->layer = layer;
      Rng rng(0);
      node->shape = layer->ensure_built({}, rng);
      ready[layer->name()] = KerasTensor(node);
      continue;
    }
    for (auto& p : pending)
      if (p.layer->name() == layer->name()) w.fail("duplicate layer name '" + layer->name() + "'");
    pending.push_back({layer, inbound_names(layers[i], w), i});
  }
  Budget budget{limits, where};
  bool progress = true;
  while (!pending.empty() && progress) {
    progress = false;
    for (auto it = pending.begin(); it != pending.end();) {
      bool all = true;
      for (auto& n : it->inputs) all = all && ready.count(n);
      if (!all) {
        ++it;
        continue;
      }
      Where w = where.at("layers[" + std::to_string(it->index) + "] ('" + it->layer->name() + "')");
      std::vector<KerasTensor> in;
      std::vector<Shape> shapes;
      for (auto& n : it->inputs) {
        in.push_back(ready.at(n));
        shapes.push_back(ready.at(n).shape());
      }
      if (in.empty()) w.fail("the layer has no inputs");
      if (it->layer->arity() == 1 && in.size() != 1)
        w.fail(it->layer->class_name() + " takes one input, got " + std::to_string(in.size()));
      budget.add(*it->layer, shapes);
      check_concat_axis(layers[it->index], shapes, w);
      try {
        ready[it->layer->name()] = it->layer->arity() == 1 ? (*it->layer)(in[0]) : (*it->layer)(in);
      } catch (const Error& e) {
        w.fail(e.what());
      }
      it = pending.erase(it);
      progress = true;
    }
  }
  if (!pending.empty()) {
    std::string missing;
    for (auto& n : pending.front().inputs)
      if (!ready.count(n)) missing = n;
    where.at("layers[" + std::to_string(pending.front().index) + "]")
        .fail("input '" + missing + "' is not a layer of the model (or the graph has a cycle)");
  }
  const std::string in = single_endpoint(config, "input_layers", where);
  const std::string out = single_endpoint(config, "output_layers", where);
  if (!ready.count(in)) where.at("input_layers").fail("no layer named '" + in + "'");
  if (!ready.count(out)) where.at("output_layers").fail("no layer named '" + out + "'");
  try {
    return std::make_shared<Model>(ready.at(in), ready.at(out), name);
  } catch (const Error& e) {
    where.fail(e.what());
  }
}

}  // namespace

json model_config(const Model& model, ConfigStyle style) {
  const bool sequential = model.class_name() == "Sequential";
  json config;
  config["name"] = model.name();
  config["trainable"] = true;
  if (style == ConfigStyle::keras3 && sequential)
    config["dtype"] = json{{"module", "keras"},
                           {"class_name", "DTypePolicy"},
                           // Keras writes the global policy the model was made under; Glia, which
                           // keeps none, mixed_bfloat16 when a layer has it (Keras' mixed models
                           // keep their output layer float32). Keras does not read it back.
                           {"config", {{"name", policy_name(model.dtype_policy())}}},
                           {"registered_name", nullptr}};
  json layers = json::array();
  for (const auto& node : model.nodes()) {
    json entry = serialized_layer(*node->layer, style);
    if (!sequential) {
      entry["name"] = node->layer->name();
      entry["inbound_nodes"] = inbound_nodes(*node, style);
    }
    layers.push_back(std::move(entry));
  }
  config["layers"] = std::move(layers);
  const std::string in = model.nodes().front()->layer->name();
  const std::string out = model.nodes().back()->layer->name();
  if (sequential) {
    if (style == ConfigStyle::keras3)
      config["build_input_shape"] = batch_shape(model.input_shape());
  } else if (style == ConfigStyle::keras3) {
    config["input_layers"] = json::array({in, 0, 0});
    config["output_layers"] = json::array({out, 0, 0});
  } else {
    config["input_layers"] = json::array({json::array({in, 0, 0})});
    config["output_layers"] = json::array({json::array({out, 0, 0})});
  }
  json root;
  // Keras 3's model_from_json needs the top-level module even for tf.keras 2.x-shaped configs;
  // tf.keras 2.x ignores it.
  root["module"] = sequential ? "keras" : "keras.src.models.functional";
  root["class_name"] = sequential ? "Sequential" : "Functional";
  root["config"] = std::move(config);
  if (style == ConfigStyle::keras3) {
    root["registered_name"] = sequential ? json(nullptr) : json("Functional");
    root["build_config"] = json{{"input_shape", batch_shape(model.input_shape())}};
    if (model.compiled()) root["compile_config"] = compile_config(model, style);
  } else {
    root["keras_version"] = "2.15.0";
    root["backend"] = "tensorflow";
  }
  return root;
}

std::shared_ptr<Model> model_from_config(const json& root, const Where& where,
                                         std::optional<uint64_t> seed, const LoadLimits& limits) {
  std::optional<SkipInitialization> skip;
  if (!seed) skip.emplace();
  if (!root.is_object()) where.fail("expected a model object, got " + type_name(root));
  const std::string cls = string_of(root, where, "class_name");
  const json* config = find(root, "config");
  if (!config || !(config->is_object() || config->is_array()))
    where.fail("expected a 'config' object");
  std::shared_ptr<Model> model;
  if (cls == "Sequential")
    model = sequential_from(root, *config, where, limits);
  else if (cls == "Functional" || cls == "Model")
    model = config->is_object() ? functional_from(*config, where, limits)
                                : (where.fail("a Functional config must be an object"), nullptr);
  else
    where.fail("model class '" + cls +
               "' is not supported (expected Sequential or Functional; subclassed models have no "
               "config to rebuild)");
  // Keras' model.trainable = False freezes every layer (a Functional model's from_config does
  // it; a Sequential's layers carry it in their own configs).
  if (const json* t = config->is_object() ? find(*config, "trainable") : nullptr) {
    if (!t->is_boolean()) where.at("trainable").fail("expected true or false, got " + t->dump());
    if (!t->get<bool>()) model->set_trainable(false);
  }
  if (seed) model->initialize_weights(*seed);
  return model;
}

}  // namespace glia::formats
