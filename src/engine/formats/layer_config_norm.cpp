// Layer configs of the normalization layers (issue 16): BatchNormalization and
// LayerNormalization, written in the Keras 3 or tf.keras 2 shape and read from either.
#include "formats/config.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia::formats {

namespace {

void write_common(const NormOptions& o, json& c) {
  c["axis"] = o.axis;
  c["epsilon"] = as_given(o.epsilon);
  c["center"] = o.center;
  c["scale"] = o.scale;
}

void write_variables(const NormOptions& o, ConfigStyle style, json& c) {
  c["beta_regularizer"] = regularizer_json(o.beta_regularizer, style);
  c["gamma_regularizer"] = regularizer_json(o.gamma_regularizer, style);
  c["beta_constraint"] = constraint_json(o.beta_constraint, style);
  c["gamma_constraint"] = constraint_json(o.gamma_constraint, style);
}

bool bool_of(const json& c, const Where& w, const char* key, bool fallback) {
  const json* b = find(c, key);
  if (!b) return fallback;
  if (!b->is_boolean()) w.at(key).fail("expected true or false, got " + b->dump());
  return b->get<bool>();
}

// What both layers read: axis (-1, [-1], or the last axis as a positive index, checked when the
// layer is built), epsilon, center, scale and gamma/beta's options.
NormOptions read_common(const json& c, const Where& w, const std::string& name) {
  NormOptions o;
  o.name = name;
  if (const json* a = find(c, "axis"); a && !a->is_null()) {
    const std::vector<int> axes = axis_list(*a, w, "axis");
    if (axes.size() != 1 || axes[0] == 0 || axes[0] < -1)
      w.at("axis").fail("only the last axis (-1) is supported, got " + a->dump());
    o.axis = axes[0];
  }
  if (const json* e = find(c, "epsilon")) {
    o.epsilon = float_number_of(*e, w, "epsilon");
    if (!(o.epsilon > 0.0f)) w.at("epsilon").fail("expected a positive epsilon, got " + e->dump());
  }
  o.center = bool_of(c, w, "center", true);
  o.scale = bool_of(c, w, "scale", true);
  if (const json* k = find(c, "beta_initializer"))
    o.beta_initializer = initializer_from(*k, w.at("beta_initializer"));
  if (const json* k = find(c, "gamma_initializer"))
    o.gamma_initializer = initializer_from(*k, w.at("gamma_initializer"));
  if (const json* k = find(c, "beta_regularizer"))
    o.beta_regularizer = regularizer_from(*k, w.at("beta_regularizer"));
  if (const json* k = find(c, "gamma_regularizer"))
    o.gamma_regularizer = regularizer_from(*k, w.at("gamma_regularizer"));
  if (const json* k = find(c, "beta_constraint"))
    o.beta_constraint = constraint_from(*k, w.at("beta_constraint"));
  if (const json* k = find(c, "gamma_constraint"))
    o.gamma_constraint = constraint_from(*k, w.at("gamma_constraint"));
  return o;
}

template <class L, class O>
LayerPtr make(const O& o, const Where& w) {
  try {
    return std::make_shared<L>(o);
  } catch (const Error& e) {
    w.fail(e.what());
  }
}

}  // namespace

bool norm_layer_config(const Layer& layer, ConfigStyle style, json& c) {
  if (auto* bn = dynamic_cast<const BatchNormalization*>(&layer)) {
    const BatchNormOptions& o = bn->options();
    write_common(o, c);
    c["momentum"] = o.momentum;
    c["beta_initializer"] = initializer_json(o.beta_initializer, style);
    c["gamma_initializer"] = initializer_json(o.gamma_initializer, style);
    c["moving_mean_initializer"] = initializer_json(o.moving_mean_initializer, style);
    c["moving_variance_initializer"] = initializer_json(o.moving_variance_initializer, style);
    write_variables(o, style, c);
    // Keras 3 has always had `synchronized`; its renorm keys (3.9+) are left out so that older
    // Keras 3 versions read the file too (their defaults are Glia's behaviour).
    if (style == ConfigStyle::keras3) c["synchronized"] = false;
    return true;
  }
  if (auto* ln = dynamic_cast<const LayerNormalization*>(&layer)) {
    const NormOptions& o = ln->options();
    write_common(o, c);
    if (style == ConfigStyle::keras3) c["rms_scaling"] = false;
    c["beta_initializer"] = initializer_json(o.beta_initializer, style);
    c["gamma_initializer"] = initializer_json(o.gamma_initializer, style);
    write_variables(o, style, c);
    return true;
  }
  return false;
}

LayerPtr norm_layer_from_config(const std::string& cls, const json& c, const Where& w,
                                const std::string& name) {
  std::initializer_list<const char*> base = {
      "name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape"};
  if (cls == "BatchNormalization") {
    // renorm_clipping / renorm_momentum only matter with renorm, refused below unless false;
    // tf.keras' `fused` picks an implementation of the same formulas.
    check_keys(c, w, base,
               {"axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
                "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
                "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
                "synchronized", "renorm", "renorm_clipping", "renorm_momentum", "fused"});
    if (bool_of(c, w, "renorm", false)) w.at("renorm").fail("renorm=true is not supported");
    if (bool_of(c, w, "synchronized", false))
      w.at("synchronized")
          .fail(
              "synchronized=true is not supported (each data-parallel rank keeps its own "
              "batch statistics)");
    BatchNormOptions o;
    static_cast<NormOptions&>(o) = read_common(c, w, name);
    if (const json* m = find(c, "momentum")) {
      o.momentum = number_of(*m, w, "momentum");
      if (!(o.momentum >= 0.0 && o.momentum <= 1.0))
        w.at("momentum").fail("expected 0 <= momentum <= 1, got " + m->dump());
    }
    if (const json* k = find(c, "moving_mean_initializer"))
      o.moving_mean_initializer = initializer_from(*k, w.at("moving_mean_initializer"));
    if (const json* k = find(c, "moving_variance_initializer"))
      o.moving_variance_initializer = initializer_from(*k, w.at("moving_variance_initializer"));
    return make<BatchNormalization>(o, w);
  }
  if (cls == "LayerNormalization") {
    check_keys(c, w, base,
               {"axis", "epsilon", "center", "scale", "rms_scaling", "beta_initializer",
                "gamma_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint",
                "gamma_constraint"});
    if (bool_of(c, w, "rms_scaling", false))
      w.at("rms_scaling").fail("rms_scaling=true is not supported");
    return make<LayerNormalization>(read_common(c, w, name), w);
  }
  return nullptr;
}

std::optional<int64_t> norm_planned_parameters(const Layer& layer,
                                               const std::vector<Shape>& inputs) {
  const NormOptions* o = nullptr;
  double per_channel = 0;
  if (auto* bn = dynamic_cast<const BatchNormalization*>(&layer)) {
    o = &bn->options();
    per_channel = 2;  // moving_mean, moving_variance
  } else if (auto* ln = dynamic_cast<const LayerNormalization*>(&layer)) {
    o = &ln->options();
  } else {
    return std::nullopt;
  }
  if (inputs.empty() || inputs[0].empty()) return 0;
  per_channel += (o->scale ? 1 : 0) + (o->center ? 1 : 0);
  const double n = per_channel * static_cast<double>(inputs[0].back());
  return n > 9e18 ? INT64_MAX : static_cast<int64_t>(n);
}

}  // namespace glia::formats
