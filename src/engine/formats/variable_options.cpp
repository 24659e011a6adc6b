// The options attached to a layer's variables in Keras configs: initializers, regularizers and
// constraints, written in either Keras generation's style and read back (refusing what the
// engine lacks by name).
#include <string>
#include <vector>

#include "formats/config.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia::formats {

namespace {

const std::pair<const char*, const char*> kInitializers[] = {{"glorot_uniform", "GlorotUniform"},
                                                             {"glorot_normal", "GlorotNormal"},
                                                             {"he_uniform", "HeUniform"},
                                                             {"he_normal", "HeNormal"},
                                                             {"lecun_normal", "LecunNormal"},
                                                             {"lecun_uniform", "LecunUniform"},
                                                             {"zeros", "Zeros"},
                                                             {"ones", "Ones"},
                                                             {"random_normal", "RandomNormal"},
                                                             {"random_uniform", "RandomUniform"},
                                                             {"constant", "Constant"}};

}  // namespace

json initializer_json(const InitializerSpec& spec, ConfigStyle style) {
  json config = json::object();
  std::string cls;
  for (auto& [name, c] : kInitializers)
    if (spec.name == name) cls = c;
  if (spec.name == "random_normal") {
    config["mean"] = spec.mean;
    config["stddev"] = spec.stddev;
  } else if (spec.name == "random_uniform") {
    config["minval"] = spec.minval;
    config["maxval"] = spec.maxval;
  } else if (spec.name == "constant") {
    config["value"] = spec.value;
  }
  if (spec.name != "zeros" && spec.name != "ones" && spec.name != "constant")
    config["seed"] = spec.seed ? json(*spec.seed) : json(nullptr);
  return serialized("keras.initializers", cls, std::move(config), style);
}

json regularizer_json(const Regularizer& r, ConfigStyle style) {
  if (!r.active()) return nullptr;
  const double l1 = as_given(r.l1), l2 = as_given(r.l2);
  if (r.l1 == 0.0f) return serialized("keras.regularizers", "L2", json{{"l2", l2}}, style);
  if (r.l2 == 0.0f) return serialized("keras.regularizers", "L1", json{{"l1", l1}}, style);
  return serialized("keras.regularizers", "L1L2", json{{"l1", l1}, {"l2", l2}}, style);
}

json constraint_json(const Constraint& c, ConfigStyle style) {
  if (!c.active()) return nullptr;
  json config = json::object();
  // Keras writes the axis as it was given: an int, or a list for several axes.
  const json axis = c.axis.size() == 1 ? json(c.axis[0]) : json(c.axis);
  switch (c.kind) {
    case Constraint::Kind::max_norm:
      config = {{"max_value", as_given(c.max_value)}, {"axis", axis}};
      break;
    case Constraint::Kind::unit_norm:
      config = {{"axis", axis}};
      break;
    case Constraint::Kind::min_max_norm:
      config = {{"min_value", as_given(c.min_value)},
                {"max_value", as_given(c.max_value)},
                {"rate", as_given(c.rate)},
                {"axis", axis}};
      break;
    default:
      break;
  }
  return serialized("keras.constraints", c.class_name(), std::move(config), style);
}

/// The activation's Keras name; its arguments must be the defaults (only layers carry them).
InitializerSpec initializer_from(const json& v, const Where& where) {
  if (v.is_null()) where.fail("an initializer is required, got null");
  std::string name, shown;  // shown: as the file spells it
  const json* config = nullptr;
  if (v.is_string()) {
    name = shown = v.get<std::string>();
  } else {
    std::string cls = shown = class_of(v, where);
    config = &config_of(v, where);
    for (auto& [n, c] : kInitializers)
      if (cls == c) name = n;
    if (name.empty()) name = snake_case(cls);
  }
  InitializerSpec spec;
  try {
    spec = InitializerSpec::parse(name);
  } catch (const Error&) {
    where.fail("initializer '" + shown +
               "' is not supported (expected GlorotUniform, GlorotNormal, HeUniform, HeNormal, "
               "LecunNormal, LecunUniform, Zeros, Ones, RandomNormal, RandomUniform or Constant)");
  }
  if (config) {
    check_keys(*config, where, {"seed", "mean", "stddev", "minval", "maxval", "value"});
    if (auto* p = find(*config, "value")) spec.value = number_of(*p, where, "value");
    if (auto* p = find(*config, "mean")) spec.mean = number_of(*p, where, "mean");
    if (auto* p = find(*config, "stddev")) spec.stddev = number_of(*p, where, "stddev");
    if (auto* p = find(*config, "minval")) spec.minval = number_of(*p, where, "minval");
    if (auto* p = find(*config, "maxval")) spec.maxval = number_of(*p, where, "maxval");
    if (auto* p = find(*config, "seed"); p && !p->is_null()) {
      if (!p->is_number_integer() || p->get<int64_t>() < 0)
        where.at("seed").fail("expected a non-negative integer seed, got " + p->dump());
      spec.seed = p->get<uint64_t>();
    }
  }
  return spec;
}

Regularizer regularizer_from(const json& v, const Where& where) {
  Regularizer r;
  if (v.is_null()) return r;
  std::string cls = v.is_string() ? v.get<std::string>() : class_of(v, where);
  if (cls != "L1" && cls != "L2" && cls != "L1L2" && cls != "l1" && cls != "l2" && cls != "l1_l2")
    where.fail("regularizer '" + cls + "' is not supported (expected L1, L2 or L1L2)");
  if (v.is_string()) {  // Keras' string defaults: l1 = l2 = 0.01
    if (cls != "l2") r.l1 = 0.01f;
    if (cls != "l1") r.l2 = 0.01f;
    return r;
  }
  const json& c = config_of(v, where);
  check_keys(c, where, {"l1", "l2"});
  if (auto* p = find(c, "l1")) r.l1 = float_number_of(*p, where, "l1");
  if (auto* p = find(c, "l2")) r.l2 = float_number_of(*p, where, "l2");
  return r;
}

std::vector<int> axis_list(const json& v, const Where& where, const char* key) {
  std::vector<int> axes;
  if (v.is_array()) {
    if (v.empty()) where.at(key).fail("expected an axis or a non-empty list of axes, got []");
    for (const json& a : v) {
      if (!a.is_number_integer()) where.at(key).fail("expected integer axes, got " + v.dump());
      axes.push_back(a.get<int>());
    }
  } else if (v.is_number_integer()) {
    axes.push_back(v.get<int>());
  } else {
    where.at(key).fail("expected an axis or a list of axes, got " + v.dump());
  }
  return axes;
}

Constraint constraint_from(const json& v, const Where& where) {
  if (v.is_null()) return {};
  const std::string shown = v.is_string() ? v.get<std::string>() : class_of(v, where);
  std::string cls = shown;
  if (cls == "max_norm") cls = "MaxNorm";
  if (cls == "non_neg") cls = "NonNeg";
  if (cls == "unit_norm") cls = "UnitNorm";
  if (cls == "min_max_norm") cls = "MinMaxNorm";
  Constraint c;
  if (cls == "MaxNorm")
    c = Constraint::max_norm();
  else if (cls == "NonNeg")
    c = Constraint::non_neg();
  else if (cls == "UnitNorm")
    c = Constraint::unit_norm();
  else if (cls == "MinMaxNorm")
    c = Constraint::min_max_norm();
  else
    where.fail("constraint '" + shown +
               "' is not supported (expected MaxNorm, NonNeg, UnitNorm or MinMaxNorm)");
  if (v.is_string()) return c;
  const json& config = config_of(v, where);
  if (c.kind == Constraint::Kind::non_neg) {
    check_keys(config, where, {});
    return c;
  }
  if (c.kind == Constraint::Kind::unit_norm)
    check_keys(config, where, {"axis"});
  else if (c.kind == Constraint::Kind::max_norm)
    check_keys(config, where, {"max_value", "axis"});
  else
    check_keys(config, where, {"min_value", "max_value", "rate", "axis"});
  auto number = [&](const char* key, float& out) {
    if (const json* p = find(config, key)) out = float_number_of(*p, where, key);
  };
  number("min_value", c.min_value);
  number("max_value", c.max_value);
  number("rate", c.rate);
  if (const json* a = find(config, "axis"); a && !a->is_null())
    c.axis = axis_list(*a, where, "axis");
  if (c.max_value < 0 || c.min_value < 0 || c.min_value > c.max_value)
    where.fail("constraint " + cls + " needs 0 <= min_value <= max_value, got " + config.dump());
  return c;
}

/// A float option of an activation layer (absent: the default).
}  // namespace glia::formats
