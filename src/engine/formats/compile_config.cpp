// Compile configs: optimizer (with schedules and clipping), loss and metrics, as Keras 3's
// `compile_config` and tf.keras 2.x's `training_config`.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include "formats/config.hpp"
#include "formats/weights.hpp"
#include "glia/error.hpp"
#include "glia/metrics.hpp"

namespace glia::formats {

namespace {

/// Keras keeps hyperparameters as float32 variables, so its configs show the float32 value.
double f32(double v) {
  return static_cast<double>(static_cast<float>(v));
}

/// A value the engine keeps as float32 (label_smoothing), written as the shortest decimal that
/// reads back as that float: the 0.1 the user gave, not 0.10000000149011612.
double as_given(float v) {
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf - 1, v).ptr;
  *end = '\0';
  return std::strtod(buf, nullptr);
}

json object_in(ConfigStyle style, const char* module, const std::string& cls, json config) {
  json o;
  if (style == ConfigStyle::keras3) o["module"] = module;
  o["class_name"] = cls;
  o["config"] = std::move(config);
  if (style == ConfigStyle::keras3) o["registered_name"] = nullptr;
  return o;
}

json optional_number(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}

json schedule_json(const LearningRateSchedule& s, ConfigStyle style) {
  json c;
  if (auto* e = dynamic_cast<const ExponentialDecay*>(&s)) {
    c["initial_learning_rate"] = e->initial_learning_rate();
    c["decay_steps"] = e->decay_steps();
    c["decay_rate"] = e->decay_rate();
    c["staircase"] = e->staircase();
    c["name"] = "ExponentialDecay";
  } else if (auto* d = dynamic_cast<const CosineDecay*>(&s)) {
    c["initial_learning_rate"] = d->initial_learning_rate();
    c["decay_steps"] = d->decay_steps();
    c["alpha"] = d->alpha();
    c["name"] = "CosineDecay";
    // null unless the warmup is on: Keras warms up to any non-null target (0.0 included).
    c["warmup_target"] = d->warmup_target() ? json(*d->warmup_target()) : json(nullptr);
    c["warmup_steps"] = d->warmup_steps();
  } else {
    throw Error("cannot save learning-rate schedule " + s.name());
  }
  // Always with "module": Keras 3 cannot locate a module-less schedule nested in an optimizer
  // config (its own legacy .h5 training_config writes the module too; tf.keras 2.x ignores it).
  (void)style;
  return object_in(ConfigStyle::keras3, "keras.optimizers.schedules", s.name(), std::move(c));
}

json optimizer_json(const Optimizer& opt, ConfigStyle style) {
  const OptimizerOptions& o = opt.options();
  json c;
  const std::string cls = opt.class_name();
  c["name"] = keras_optimizer_name(opt);
  c["learning_rate"] = o.schedule ? schedule_json(*o.schedule, style) : json(f32(o.learning_rate));
  c["weight_decay"] = optional_number(o.weight_decay);
  c["clipnorm"] = optional_number(o.clipnorm);
  c["global_clipnorm"] = optional_number(o.global_clipnorm);
  c["clipvalue"] = optional_number(o.clipvalue);
  c["use_ema"] = false;
  c["ema_momentum"] = 0.99;
  c["ema_overwrite_frequency"] = nullptr;
  if (auto* s = dynamic_cast<const SGD*>(&opt)) {
    c["momentum"] = s->sgd_options().momentum;
    c["nesterov"] = s->sgd_options().nesterov;
  } else if (auto* r = dynamic_cast<const RMSprop*>(&opt)) {
    c["rho"] = r->rmsprop_options().rho;
    c["momentum"] = r->rmsprop_options().momentum;
    c["epsilon"] = r->rmsprop_options().epsilon;
    c["centered"] = r->rmsprop_options().centered;
  } else if (auto* a = dynamic_cast<const Adam*>(&opt)) {
    c["beta_1"] = a->adam_options().beta_1;
    c["beta_2"] = a->adam_options().beta_2;
    c["epsilon"] = a->adam_options().epsilon;
    c["amsgrad"] = a->adam_options().amsgrad;
  }
  return object_in(style, "keras.optimizers", cls, std::move(c));
}

const char* loss_class(LossKind k) {
  switch (k) {
    case LossKind::categorical_crossentropy:
      return "CategoricalCrossentropy";
    case LossKind::sparse_categorical_crossentropy:
      return "SparseCategoricalCrossentropy";
    case LossKind::binary_crossentropy:
      return "BinaryCrossentropy";
    case LossKind::mean_squared_error:
      return "MeanSquaredError";
    case LossKind::mean_absolute_error:
      return "MeanAbsoluteError";
  }
  return "";
}

json loss_json(const Loss& loss, ConfigStyle style) {
  if (!loss.params.from_logits && loss.params.label_smoothing == 0.0f) return loss.name();
  json c;
  c["name"] = loss.name();
  c["reduction"] = "sum_over_batch_size";
  c["from_logits"] = loss.params.from_logits;
  if (loss.kind == LossKind::categorical_crossentropy || loss.kind == LossKind::binary_crossentropy)
    c["label_smoothing"] = as_given(loss.params.label_smoothing);
  return object_in(style, "keras.losses", loss_class(loss.kind), std::move(c));
}

// ---- reading ----

std::optional<double> optional_of(const json& c, const char* key, const Where& where) {
  const json* v = find(c, key);
  if (!v || v->is_null()) return std::nullopt;
  return number_of(*v, where, key);
}

std::shared_ptr<LearningRateSchedule> schedule_from(const json& v, const Where& where) {
  if (!v.is_object()) where.fail("expected a number or a schedule, got " + v.dump());
  const std::string cls = string_of(v, where, "class_name");
  const json* c = find(v, "config");
  if (!c || !c->is_object()) where.fail("expected a schedule 'config' object");
  auto num = [&](const char* k, double d) {
    const json* p = find(*c, k);
    return p && !p->is_null() ? number_of(*p, where, k) : d;
  };
  const json* steps = find(*c, "decay_steps");
  if (!steps) where.fail(cls + " needs decay_steps");
  // Range-checked before the conversion: a double beyond int64 does not convert (UB).
  auto steps_of = [&](double d, const char* k) {
    if (!(d >= 0 && d <= 9e15))
      where.at(k).fail("expected a number of steps, got " + json(d).dump());
    return static_cast<int64_t>(d);
  };
  const int64_t decay_steps = steps_of(number_of(*steps, where, "decay_steps"), "decay_steps");
  if (decay_steps <= 0) where.at("decay_steps").fail("expected a positive number of steps");
  if (cls == "ExponentialDecay") {
    const json* st = find(*c, "staircase");
    return std::make_shared<ExponentialDecay>(num("initial_learning_rate", 0.0), decay_steps,
                                              num("decay_rate", 1.0),
                                              st && st->is_boolean() && st->get<bool>());
  }
  if (cls == "CosineDecay")
    return std::make_shared<CosineDecay>(num("initial_learning_rate", 0.0), decay_steps,
                                         num("alpha", 0.0),
                                         steps_of(num("warmup_steps", 0.0), "warmup_steps"),
                                         optional_of(*c, "warmup_target", where));
  where.fail("learning-rate schedule '" + cls +
             "' is not supported (expected ExponentialDecay or CosineDecay)");
}

std::shared_ptr<Optimizer> optimizer_from(const json& v, const Where& where) {
  if (v.is_string()) return make_optimizer(v.get<std::string>());
  if (!v.is_object()) where.fail("expected an optimizer object, got " + type_name(v));
  std::string cls = string_of(v, where, "class_name");
  const json* cp = find(v, "config");
  if (!cp || !cp->is_object()) where.fail("expected an optimizer 'config' object");
  const json& c = *cp;
  std::string lower = cls;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  static const std::set<std::string> common = {"name",
                                               "learning_rate",
                                               "lr",
                                               "weight_decay",
                                               "clipnorm",
                                               "global_clipnorm",
                                               "clipvalue",
                                               "use_ema",
                                               "ema_momentum",
                                               "ema_overwrite_frequency",
                                               "loss_scale_factor",
                                               "gradient_accumulation_steps",
                                               "jit_compile",
                                               "is_legacy_optimizer",
                                               "decay"};
  std::set<std::string> own;
  if (lower == "sgd")
    own = {"momentum", "nesterov"};
  else if (lower == "rmsprop")
    own = {"rho", "momentum", "epsilon", "centered"};
  else if (lower == "adam" || lower == "adamw")
    own = {"beta_1", "beta_2", "epsilon", "amsgrad"};
  else
    where.fail("optimizer '" + cls + "' is not supported (expected SGD, RMSprop, Adam or AdamW)");
  for (auto& [key, value] : c.items())
    if (!common.count(key) && !own.count(key) && !is_default(value))
      where.at(key).fail("optimizer option '" + key + "' is not supported");
  for (const char* k :
       {"use_ema", "loss_scale_factor", "gradient_accumulation_steps", "ema_overwrite_frequency"})
    if (const json* p = find(c, k); p && !is_default(*p))
      where.at(k).fail(std::string("optimizer option '") + k + "' = " + p->dump() +
                       " is not supported");
  if (const json* d = find(c, "decay"); d && !d->is_null() && number_of(*d, where, "decay") != 0)
    where.at("decay").fail("the legacy 'decay' option is not supported; use a schedule");
  OptimizerOptions o;
  o.learning_rate = lower == "sgd" ? 0.01 : 0.001;
  const json* lr = find(c, "learning_rate");
  if (!lr) lr = find(c, "lr");
  if (lr && lr->is_number()) {
    // Written back as Keras' float32 value (f32), so it must lie in float32's range.
    float_number_of(*lr, where, "learning_rate");
    o.learning_rate = number_of(*lr, where, "learning_rate");
  } else if (lr && !lr->is_null())
    o.schedule = schedule_from(*lr, where.at("learning_rate"));
  o.weight_decay = optional_of(c, "weight_decay", where);
  o.clipnorm = optional_of(c, "clipnorm", where);
  o.global_clipnorm = optional_of(c, "global_clipnorm", where);
  o.clipvalue = optional_of(c, "clipvalue", where);
  auto num = [&](const char* k, double d) { return optional_of(c, k, where).value_or(d); };
  auto flag = [&](const char* k) {
    const json* p = find(c, k);
    return p && p->is_boolean() && p->get<bool>();
  };
  try {
    if (lower == "sgd")
      return std::make_shared<SGD>(o, SGDOptions{num("momentum", 0.0), flag("nesterov")});
    if (lower == "rmsprop")
      return std::make_shared<RMSprop>(o, RMSpropOptions{num("rho", 0.9), num("momentum", 0.0),
                                                         num("epsilon", 1e-7), flag("centered")});
    AdamOptions a{num("beta_1", 0.9), num("beta_2", 0.999), num("epsilon", 1e-7), flag("amsgrad")};
    if (lower == "adamw") return std::make_shared<AdamW>(AdamW::with_decay(o), a);
    return std::make_shared<Adam>(o, a);
  } catch (const Error& e) {
    where.fail(e.what());
  }
}

/// The name of a Keras function object ({"class_name": "function", "config": NAME}), else "".
std::string function_name(const json& v) {
  if (!v.is_object()) return "";
  const json* cls = find(v, "class_name");
  const json* c = find(v, "config");
  if (!cls || *cls != "function" || !c || !c->is_string()) return "";
  return c->get<std::string>();
}

Loss loss_from(const json& v, const Where& where) {
  std::string name;
  const json* c = nullptr;
  if (v.is_string()) {
    name = v.get<std::string>();
  } else if (!function_name(v).empty()) {
    // A loss function (loss=keras.losses.categorical_crossentropy): Keras 3 writes its name.
    name = function_name(v);
  } else if (v.is_object() && find(v, "class_name")) {
    const std::string cls = string_of(v, where, "class_name");
    c = find(v, "config");
    for (LossKind k : {LossKind::categorical_crossentropy,
                       LossKind::sparse_categorical_crossentropy, LossKind::binary_crossentropy,
                       LossKind::mean_squared_error, LossKind::mean_absolute_error}) {
      Loss l;
      l.kind = k;
      if (cls == loss_class(k) || cls == l.name()) name = l.name();
    }
    if (name.empty()) name = cls;
  } else if (v.is_array() && v.size() == 1) {
    return loss_from(v[0], where);
  } else {
    where.fail("expected one loss (a name or a Keras loss object), got " + v.dump().substr(0, 80));
  }
  Loss loss;
  try {
    loss = Loss::parse(name);
  } catch (const Error&) {
    where.fail("loss '" + name +
               "' is not supported (expected categorical_crossentropy, "
               "sparse_categorical_crossentropy, binary_crossentropy, mean_squared_error or "
               "mean_absolute_error)");
  }
  if (c && c->is_object()) {
    for (auto& [key, value] : c->items()) {
      if (key == "name" || key == "fn") continue;
      if (key == "from_logits") {
        loss.params.from_logits = value.is_boolean() && value.get<bool>();
      } else if (key == "label_smoothing") {
        loss.params.label_smoothing = float_number_of(value, where, "label_smoothing");
      } else if (key == "reduction") {
        if (!(value.is_null() || value == "sum_over_batch_size" || value == "auto"))
          where.at("reduction").fail("only sum_over_batch_size is supported, got " + value.dump());
      } else if (key == "axis") {
        if (!(value.is_null() || value == -1))
          where.at("axis").fail("only axis -1 is supported, got " + value.dump());
      } else if (!is_default(value)) {
        where.at(key).fail("loss option '" + key + "' is not supported");
      }
    }
  }
  return loss;
}

/// A metric object's config: name and dtype (float32 only: Glia accumulates no other), plus the
/// arguments its class takes (metric_classes()); anything else not at its default is refused.
MetricSpec metric_object_from(const MetricClass& cls, const json& c, const Where& where) {
  if (!c.is_object()) where.fail("expected a metric 'config' object, got " + type_name(c));
  const json* name = find(c, "name");
  MetricSpec spec = MetricSpec::object(
      cls.kind, name && !name->is_null() ? string_of(c, where, "name") : std::string());
  for (auto& [key, value] : c.items()) {
    const Where w = where.at(key);
    if (key == "name") continue;
    const std::string& name_of_key = key;  // a structured binding: clang captures none
    const bool own = std::find_if(cls.arguments.begin(), cls.arguments.end(), [&](const char* a) {
                       return name_of_key == a;
                     }) != cls.arguments.end();
    if (key == "dtype") {
      if (!(value.is_null() || value == "float32"))
        w.fail(std::string(cls.class_name) + ": metric dtype " + value.dump() +
               " is not supported (only float32)");
    } else if (own && key == "k") {
      const double k = number_of(value, where, "k");
      if (!(k >= 1 && k <= 1e9 && k == std::floor(k)))
        w.fail(std::string(cls.class_name) + ": k must be a positive integer, got " + value.dump());
      spec.k = static_cast<int>(k);
    } else if (own && key == "threshold") {
      float_number_of(value, where, "threshold");  // compared as float32, as Keras does
      spec.threshold = number_of(value, where, "threshold");
    } else if (!is_default(value)) {
      w.fail(std::string(cls.class_name) + ": metric option '" + key + "' = " + value.dump() +
             " is not supported");
    }
  }
  return spec;
}

MetricSpec metric_from(const json& v, const Where& where) {
  try {
    if (v.is_string()) return MetricSpec(v.get<std::string>());
    if (const std::string fn = function_name(v); !fn.empty()) return MetricSpec::function(fn);
  } catch (const Error& e) {
    where.fail(e.what());
  }
  if (!v.is_object()) where.fail("expected a metric name or object, got " + v.dump().substr(0, 80));
  const std::string cls = string_of(v, where, "class_name");
  for (const MetricClass& c : metric_classes())
    if (cls == c.class_name) return metric_object_from(c, config_of(v, where), where);
  std::string supported;
  for (const MetricClass& c : metric_classes())
    supported += std::string(supported.empty() ? "" : ", ") + c.class_name;
  where.fail("metric class '" + cls + "' is not supported (supported: " + supported + ")");
}

void metrics_from(const json& v, const Where& where, std::vector<MetricSpec>& out) {
  if (v.is_null()) return;
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      const Where w = where.at("[" + std::to_string(i) + "]");
      if (v[i].is_array())  // tf.keras' per-output lists of one output
        metrics_from(v[i], w, out);
      else
        out.push_back(metric_from(v[i], w));
    }
    return;
  }
  if (v.is_object() && !find(v, "class_name"))
    where.fail("per-output metrics (a dict) are not supported");
  out.push_back(metric_from(v, where));
}

json metric_json(const MetricSpec& m, ConfigStyle style) {
  switch (m.form) {
    case MetricSpec::Form::name:
      return m.name;
    case MetricSpec::Form::function:
      // Keras 3 writes a function object; its legacy training_config the function's name.
      if (style == ConfigStyle::keras2) return m.name;
      return json{{"module", "builtins"},
                  {"class_name", "function"},
                  {"config", m.name},
                  {"registered_name", "function"}};
    case MetricSpec::Form::object:
      break;
  }
  const MetricClass* cls = metric_class(m.kind);
  json c;
  c["name"] = m.name;
  c["dtype"] = "float32";
  for (const char* a : cls->arguments) {
    if (std::string(a) == "k") c["k"] = m.k;
    if (std::string(a) == "threshold") c["threshold"] = m.threshold;
  }
  return object_in(style, "keras.metrics", cls->class_name, std::move(c));
}

}  // namespace

json compile_config(const Model& model, ConfigStyle style) {
  if (!model.compiled()) return nullptr;
  const CompileOptions& o = model.compile_options();
  json c;
  if (style == ConfigStyle::keras3) c["optimizer"] = optimizer_json(*o.optimizer, style);
  c["loss"] = loss_json(o.loss, style);
  c["loss_weights"] = nullptr;
  c["metrics"] = json::array();
  for (const MetricSpec& m : o.metrics) c["metrics"].push_back(metric_json(m, style));
  c["weighted_metrics"] = nullptr;
  if (style == ConfigStyle::keras3) {
    c["run_eagerly"] = false;
    c["steps_per_execution"] = 1;
    c["jit_compile"] = false;
  } else {
    c["optimizer_config"] = optimizer_json(*o.optimizer, style);
  }
  return c;
}

void apply_compile_config(Model& model, const json& config, const Where& where) {
  if (!config.is_object()) where.fail("expected a compile config object, got " + type_name(config));
  const json* opt = find(config, "optimizer");
  if (!opt || opt->is_null()) opt = find(config, "optimizer_config");
  CompileOptions o;
  o.optimizer = opt && !opt->is_null() ? optimizer_from(*opt, where.at("optimizer"))
                                       : make_optimizer("rmsprop");
  o.optimizer_defaulted = !opt || opt->is_null();
  const json* loss = find(config, "loss");
  if (!loss || loss->is_null()) where.fail("the compile config has no loss");
  o.loss = loss_from(*loss, where.at("loss"));
  if (const json* lw = find(config, "loss_weights"); lw && !lw->is_null())
    where.at("loss_weights").fail("loss_weights are not supported");
  if (const json* m = find(config, "metrics")) metrics_from(*m, where.at("metrics"), o.metrics);
  if (const json* m = find(config, "weighted_metrics"); m && !m->is_null() && !m->empty())
    where.at("weighted_metrics").fail("weighted_metrics are not supported");
  model.compile(std::move(o));
}

}  // namespace glia::formats
