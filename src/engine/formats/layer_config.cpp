// Layer configs: what each engine layer writes, and the layers (with their activations,
// initializers and regularizers) built back from a Keras config.
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>

#include "formats/config.hpp"
#include "formats/kernel_bias_config.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia::formats {

namespace {

// A layer's dtype entry: Keras 3 writes a DTypePolicy object; the legacy formats the policy's
// name, which tf.keras 2 and Keras 3 both read (Keras 3 cannot read tf.keras' own Policy object,
// which Glia reads).
json dtype_of(ConfigStyle style, DTypePolicy policy) {
  const std::string name = policy_name(policy);
  if (style == ConfigStyle::keras2) return name;
  return keras3_object("keras", "DTypePolicy", json{{"name", name}});
}

std::string activation_name(const ActivationSpec& a, const Layer& layer) {
  if (!a.has_default_arguments())
    throw Error("cannot save layer '" + layer.name() + "': activation '" + a.name() +
                "' with non-default arguments has no Keras activation-string form");
  return a.name();
}

// ---- reading ----

// The layer's dtype policy: a name ("float32", "mixed_bfloat16"), or a Keras 3 DTypePolicy /
// tf.keras Policy object holding one; nullopt when absent (the global policy applies, as in
// Keras).
std::optional<DTypePolicy> dtype_policy_from(const json& config, const Where& where) {
  const json* d = find(config, "dtype");
  if (!d || d->is_null()) return std::nullopt;
  std::string name;
  if (d->is_string()) {
    name = d->get<std::string>();
  } else if (d->is_object()) {
    const json* c = find(*d, "config");
    if (c && c->is_object() && find(*c, "name") && (*c)["name"].is_string())
      name = (*c)["name"].get<std::string>();
  }
  if (name != "float32" && name != "mixed_bfloat16")
    where.at("dtype").fail("dtype " + d->dump() +
                           " is not supported (expected float32 or mixed_bfloat16)");
  return parse_dtype_policy(name);
}

float float_option(const json& config, const Where& where, const char* key, float fallback) {
  const json* p = find(config, key);
  if (!p) return fallback;
  return float_number_of(*p, where, key);
}

std::string activation_from(const json& config, const Where& where) {
  const json* a = find(config, "activation");
  if (!a || a->is_null()) return "linear";
  std::string name = a->is_string() ? a->get<std::string>() : class_of(*a, where.at("activation"));
  try {
    ActivationSpec::parse(name);
  } catch (const Error&) {
    std::string known;
    for (const std::string& n : ActivationSpec::names()) known += (known.empty() ? "" : ", ") + n;
    where.at("activation")
        .fail("activation '" + name + "' is not supported (expected one of " + known + ")");
  }
  return name;
}

std::string name_of(const json& config, const Where& where) {
  const json* n = find(config, "name");
  return n ? string_of(*n, where, "name") : std::string();
}

// The classes layer_from_config() makes, as its refusal names them.
std::string supported_layer_classes() {
  return "InputLayer, Dense, Activation, ELU, LeakyReLU, PReLU, ReLU, Softmax, Dropout, Flatten, "
         "Add, Concatenate, Conv2D, Conv1D, MaxPooling2D, AveragePooling2D, MaxPooling1D, "
         "AveragePooling1D, GlobalMaxPooling2D, GlobalAveragePooling2D, GlobalMaxPooling1D, "
         "GlobalAveragePooling1D, BatchNormalization, LayerNormalization, Reshape, Rescaling, "
         "ZeroPadding2D";
}

int64_t int_of(const json& v, const Where& where, const char* key) {
  if (!v.is_number_integer() &&
      !(v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()))
    where.at(key).fail("expected an integer, got " + v.dump());
  double d = v.get<double>();
  if (d < -9e15 || d > 9e15) where.at(key).fail("integer out of range: " + v.dump());
  return static_cast<int64_t>(d);
}

}  // namespace

// ---- writing ----

json layer_config(const Layer& layer, ConfigStyle style) {
  json c;
  const std::string cls = layer.class_name();
  if (auto* in = dynamic_cast<const InputLayer*>(&layer)) {
    json shape = json::array({nullptr});
    for (int64_t d : in->shape()) shape.push_back(d);
    c[style == ConfigStyle::keras3 ? "batch_shape" : "batch_input_shape"] = shape;
    c["dtype"] = "float32";
    c["sparse"] = false;
    c["ragged"] = false;
    c["name"] = layer.name();
    return c;
  }
  c["name"] = layer.name();
  c["trainable"] = layer.trainable();
  c["dtype"] = dtype_of(style, layer.dtype_policy());
  // ---- pool (issue 16) ----
  if (pool_layer_config(layer, c)) return c;
  if (auto* d = dynamic_cast<const Dense*>(&layer)) {
    const DenseOptions& o = d->options();
    c["units"] = d->units();
    c["activation"] = activation_name(d->activation(), layer);
    write_kernel_bias_options(o, style, false, c);
  } else if (auto* e = dynamic_cast<const ELU*>(&layer)) {
    c["alpha"] = as_given(e->alpha());
  } else if (auto* l = dynamic_cast<const LeakyReLU*>(&layer)) {
    c[style == ConfigStyle::keras3 ? "negative_slope" : "alpha"] = as_given(l->negative_slope());
  } else if (auto* r = dynamic_cast<const ReLU*>(&layer)) {
    const ActivationSpec a = r->activation();
    c["max_value"] =
        std::isinf(a.relu_max_value) ? json(nullptr) : json(as_given(a.relu_max_value));
    c["negative_slope"] = as_given(a.relu_negative_slope);
    c["threshold"] = as_given(a.relu_threshold);
  } else if (auto* sm = dynamic_cast<const Softmax*>(&layer)) {
    c["axis"] = sm->axis();
  } else if (auto* p = dynamic_cast<const PReLU*>(&layer)) {
    const PReLUOptions& o = p->options();
    c["alpha_initializer"] = initializer_json(o.alpha_initializer, style);
    c["alpha_regularizer"] = regularizer_json(o.alpha_regularizer, style);
    c["alpha_constraint"] = constraint_json(o.alpha_constraint, style);
    c["shared_axes"] = o.shared_axes.empty() ? json(nullptr) : json(o.shared_axes);
  } else if (auto* a = dynamic_cast<const Activation*>(&layer)) {
    c["activation"] = activation_name(a->activation(), layer);
  } else if (auto* dr = dynamic_cast<const Dropout*>(&layer)) {
    c["rate"] = as_given(dr->rate());
    c["noise_shape"] = nullptr;
    c["seed"] = dr->seed() ? json(*dr->seed()) : json(nullptr);
  } else if (cls == "Flatten") {
    c["data_format"] = "channels_last";
  } else if (cls == "Concatenate") {
    c["axis"] = -1;
  } else if (conv_layer_config(layer, style, c)) {  // ---- conv (issue 16) ----
  } else if (norm_layer_config(layer, style, c)) {  // ---- norm (issue 16) ----
  } else if (shape_layer_config(layer, c)) {        // ---- shape (issue 16) ----
  } else if (cls != "Add") {
    throw Error("cannot save layer '" + layer.name() + "': class " + cls +
                " has no Keras config writer");
  }
  return c;
}

json serialized_layer(const Layer& layer, ConfigStyle style) {
  json o = serialized("keras.layers", layer.class_name(), layer_config(layer, style), style);
  if (style == ConfigStyle::keras3 && layer.class_name() != "InputLayer" && layer.built()) {
    json shapes = json::array();
    for (const Shape& s : layer.input_shapes()) {
      json one = json::array({nullptr});
      for (int64_t d : s) one.push_back(d);
      shapes.push_back(one);
    }
    o["build_config"] = json{{"input_shape", shapes.size() == 1 ? shapes[0] : shapes}};
  }
  return o;
}

// ---- reading ----

Shape input_shape_from(const json& config, const Where& where) {
  for (const char* key : {"batch_shape", "batch_input_shape"})
    if (const json* s = find(config, key); s && !s->is_null()) {
      if (!s->is_array() || s->empty())
        where.at(key).fail("expected [null, d1, ...], got " + s->dump());
      Shape shape;
      for (size_t i = 1; i < s->size(); ++i) shape.push_back(int_of((*s)[i], where, key));
      return shape;
    }
  if (const json* s = find(config, "input_shape"); s && !s->is_null()) {
    if (!s->is_array()) where.at("input_shape").fail("expected [d1, ...], got " + s->dump());
    Shape shape;
    for (const json& d : *s) shape.push_back(int_of(d, where, "input_shape"));
    return shape;
  }
  return {};
}

namespace {

LayerPtr make_layer(const std::string& cls, const json& c, const Where& w);

}  // namespace

LayerPtr layer_from_config(const json& entry, const Where& where) {
  const std::string cls = class_of(entry, where);
  const json& c = config_of(entry, where);
  const std::optional<DTypePolicy> policy = dtype_policy_from(c, where);
  if (cls == "InputLayer" && policy && *policy != DTypePolicy::float32)
    where.at("dtype").fail("an InputLayer's dtype must be float32, got " + c["dtype"].dump());
  const json* trainable = find(c, "trainable");
  if (trainable && !trainable->is_boolean())
    where.at("trainable").fail("expected true or false, got " + trainable->dump());
  LayerPtr layer = make_layer(cls, c, where);
  if (policy) layer->set_dtype_policy(*policy);
  if (trainable) layer->set_trainable(trainable->get<bool>());
  return layer;
}

namespace {

LayerPtr make_layer(const std::string& cls, const json& c, const Where& w) {
  const std::string name = name_of(c, w);
  if (cls == "InputLayer") {
    check_keys(c, w, {"batch_shape", "batch_input_shape", "shape", "input_shape", "dtype", "name"});
    Shape shape = input_shape_from(c, w);
    if (const json* s = find(c, "shape"); shape.empty() && s && s->is_array())
      for (const json& d : *s) shape.push_back(int_of(d, w, "shape"));
    if (shape.empty()) w.fail("InputLayer needs batch_shape (or batch_input_shape)");
    for (int64_t d : shape)
      if (d <= 0) w.fail("InputLayer dimensions must be positive, got " + shape_str(shape));
    return std::make_shared<InputLayer>(shape, name);
  }
  auto keys = [&](std::initializer_list<const char*> extra) {
    check_keys(c, w,
               {"name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape"},
               extra);
  };
  if (cls == "Dense") {
    keys({"units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
          "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
          "bias_constraint"});
    const json* u = find(c, "units");
    if (!u) w.fail("Dense needs 'units'");
    const int64_t units = int_of(*u, w, "units");
    if (units <= 0 || units > (int64_t{1} << 31))
      w.at("units").fail("expected a positive number of units, got " + u->dump());
    DenseOptions o;
    o.name = name;
    o.activation = activation_from(c, w);
    read_kernel_bias_options(c, w, o);
    try {
      return std::make_shared<Dense>(units, o);
    } catch (const Error& e) {
      w.fail(e.what());
    }
  }
  if (cls == "ELU") {
    keys({"alpha"});
    return std::make_shared<ELU>(float_option(c, w, "alpha", 1.0f), name);
  }
  if (cls == "LeakyReLU") {
    keys({"negative_slope", "alpha"});  // alpha: tf.keras 2's name (Keras 3 reads it too)
    const json* slope = find(c, "negative_slope");
    const float v = float_option(c, w, slope ? "negative_slope" : "alpha", 0.3f);
    if (!(v >= 0.0f)) w.fail("LeakyReLU needs negative_slope >= 0, got " + std::to_string(v));
    return std::make_shared<LeakyReLU>(v, name);
  }
  if (cls == "ReLU") {
    keys({"max_value", "negative_slope", "threshold"});
    float max_value = std::numeric_limits<float>::infinity();
    if (const json* m = find(c, "max_value"); m && !m->is_null())
      max_value = float_number_of(*m, w, "max_value");
    const float slope = float_option(c, w, "negative_slope", 0.0f);
    const float threshold = float_option(c, w, "threshold", 0.0f);
    if (!(max_value >= 0.0f)) w.at("max_value").fail("expected max_value >= 0 or null");
    if (!(slope >= 0.0f)) w.at("negative_slope").fail("expected negative_slope >= 0");
    return std::make_shared<ReLU>(max_value, slope, threshold, name);
  }
  if (cls == "Softmax") {
    keys({"axis"});
    int axis = -1;
    if (const json* a = find(c, "axis"); a && !a->is_null()) {
      const std::vector<int> axes = axis_list(*a, w, "axis");
      if (axes.size() != 1) w.at("axis").fail("only one (the last) axis is supported");
      axis = axes[0];
      if (axis != -1 && axis <= 0) w.at("axis").fail("only the last axis (-1) is supported");
    }
    return std::make_shared<Softmax>(axis, name);
  }
  if (cls == "PReLU") {
    keys({"alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"});
    PReLUOptions o;
    o.name = name;
    if (const json* k = find(c, "alpha_initializer"))
      o.alpha_initializer = initializer_from(*k, w.at("alpha_initializer"));
    if (const json* k = find(c, "alpha_regularizer"))
      o.alpha_regularizer = regularizer_from(*k, w.at("alpha_regularizer"));
    if (const json* k = find(c, "alpha_constraint"))
      o.alpha_constraint = constraint_from(*k, w.at("alpha_constraint"));
    if (const json* a = find(c, "shared_axes"); a && !a->is_null()) {
      o.shared_axes = axis_list(*a, w, "shared_axes");
      for (int ax : o.shared_axes)
        if (ax < 1) w.at("shared_axes").fail("expected axes >= 1, got " + a->dump());
    }
    return std::make_shared<PReLU>(o);
  }
  if (cls == "Activation") {
    keys({"activation"});
    return std::make_shared<Activation>(activation_from(c, w), name);
  }
  if (cls == "Dropout") {
    // noise_shape (a mask broadcast over some axes) is not implemented: only null is accepted.
    keys({"rate", "seed"});
    const json* r = find(c, "rate");
    if (!r) w.fail("Dropout needs 'rate'");
    const double rate = number_of(*r, w, "rate");
    if (!(rate >= 0.0 && rate < 1.0)) w.at("rate").fail("expected 0 <= rate < 1, got " + r->dump());
    std::optional<uint64_t> seed;
    if (const json* s = find(c, "seed"); s && !s->is_null())
      seed = static_cast<uint64_t>(int_of(*s, w, "seed"));
    return std::make_shared<Dropout>(static_cast<float>(rate), seed, name);
  }
  if (cls == "Flatten") {
    keys({"data_format"});
    check_channels_last(c, w);
    return std::make_shared<Flatten>(name);
  }
  if (cls == "Add") {
    keys({});
    return std::make_shared<Add>(name);
  }
  if (cls == "Concatenate") {
    keys({"axis"});
    if (const json* a = find(c, "axis")) {
      int64_t axis = int_of(*a, w, "axis");
      if (axis != -1 && axis <= 0)
        w.at("axis").fail("only the last axis (-1) is supported, got " + a->dump());
    }
    return std::make_shared<Concatenate>(name);
  }
  if (LayerPtr l = conv_layer_from_config(cls, c, w, name)) return l;  // ---- conv (issue 16) ----
  if (LayerPtr l = norm_layer_from_config(cls, c, w, name)) return l;  // ---- norm (issue 16) ----
  // ---- shape (issue 16) ----
  if (LayerPtr shaped = shape_layer_from_config(cls, c, name, w)) return shaped;
  // ---- pool (issue 16) ----
  if (LayerPtr pool = pool_layer_from_config(cls, c, w)) return pool;
  w.fail("layer class '" + cls +
         "' is not supported by Glia (supported: " + supported_layer_classes() + ")");
}

}  // namespace

int64_t planned_parameters(const Layer& layer, const std::vector<Shape>& inputs) {
  if (auto n = norm_planned_parameters(layer, inputs)) return *n;  // norm (issue 16)
  if (auto* d = dynamic_cast<const Dense*>(&layer)) {
    if (inputs.empty() || inputs[0].empty()) return 0;
    const double in = static_cast<double>(inputs[0].back());
    const double n = in * static_cast<double>(d->units()) +
                     (d->options().use_bias ? static_cast<double>(d->units()) : 0.0);
    return n > 9e18 ? INT64_MAX : static_cast<int64_t>(n);
  }
  if (auto* p = dynamic_cast<const PReLU*>(&layer)) {
    if (inputs.empty() || inputs[0].empty()) return 0;
    double n = 1;
    for (size_t d = 0; d < inputs[0].size(); ++d) {
      bool shared = false;
      for (int a : p->options().shared_axes) shared |= a == static_cast<int>(d) + 1;
      if (!shared) n *= static_cast<double>(inputs[0][d]);
    }
    return n > 9e18 ? INT64_MAX : static_cast<int64_t>(n);
  }
  if (auto n = conv_planned_parameters(layer, inputs)) return *n;  // ---- conv (issue 16) ----
  return 0;
}

}  // namespace glia::formats
