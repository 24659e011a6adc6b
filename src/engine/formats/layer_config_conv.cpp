// Conv2D and Conv1D configs both ways (Keras 3's and tf.keras 2's BaseConv keys are the same),
// and their planned parameter counts.
#include <cmath>

#include "formats/config.hpp"
#include "formats/kernel_bias_config.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia::formats {

namespace {

int64_t positive_int(const json& v, const Where& where, const char* key) {
  const bool integral = v.is_number_integer() ||
                        (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  if (!integral || v.get<double>() <= 0 || v.get<double>() > 1e9)
    where.at(key).fail("expected a positive integer, got " + v.dump());
  return static_cast<int64_t>(v.get<double>());
}

// Keras' conv_utils.standardize_tuple: an int or a list of `rank` ints.
std::vector<int64_t> int_tuple(const json& config, const Where& where, const char* key,
                               size_t rank) {
  const json* v = find(config, key);
  if (!v || v->is_null()) return {};
  if (!v->is_array()) return std::vector<int64_t>(rank, positive_int(*v, where, key));
  if (v->size() != rank)
    where.at(key).fail("expected " + std::to_string(rank) + " integer" + (rank > 1 ? "s" : "") +
                       ", got " + v->dump());
  std::vector<int64_t> out;
  for (const json& d : *v) out.push_back(positive_int(d, where, key));
  return out;
}

json activation_json(const ActivationSpec& a, const Layer& layer) {
  if (!a.has_default_arguments())
    throw Error("cannot save layer '" + layer.name() + "': activation '" + a.name() +
                "' with non-default arguments has no Keras activation-string form");
  return a.name();
}

std::string activation_name(const json& config, const Where& where) {
  const json* a = find(config, "activation");
  if (!a || a->is_null()) return "linear";
  return a->is_string() ? a->get<std::string>() : class_of(*a, where.at("activation"));
}

}  // namespace

bool conv_layer_config(const Layer& layer, ConfigStyle style, json& c) {
  auto* conv = dynamic_cast<const Conv*>(&layer);
  if (!conv) return false;
  const ConvOptions& o = conv->options();
  c["filters"] = conv->filters();
  c["kernel_size"] = conv->kernel_size();
  c["strides"] = o.strides;
  c["padding"] = o.padding;
  c["data_format"] = "channels_last";
  c["dilation_rate"] = o.dilation_rate;
  c["groups"] = 1;
  c["activation"] = activation_json(conv->activation(), layer);
  write_kernel_bias_options(o, style, true, c);
  return true;
}

LayerPtr conv_layer_from_config(const std::string& cls, const json& c, const Where& w,
                                const std::string& name) {
  if (cls != "Conv2D" && cls != "Conv1D") return nullptr;
  const size_t rank = cls == "Conv2D" ? 2 : 1;
  check_keys(
      c, w, {"name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape"},
      {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups",
       "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
       "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"});
  const json* f = find(c, "filters");
  if (!f) w.fail(cls + " needs 'filters'");
  const int64_t filters = positive_int(*f, w, "filters");
  const std::vector<int64_t> kernel_size = int_tuple(c, w, "kernel_size", rank);
  if (kernel_size.empty()) w.fail(cls + " needs 'kernel_size'");
  check_channels_last(c, w);
  if (const json* g = find(c, "groups"); g && !g->is_null() && positive_int(*g, w, "groups") != 1)
    w.at("groups").fail("groups > 1 (grouped convolutions) is not supported, got " + g->dump());
  ConvOptions o;
  o.name = name;
  o.strides = int_tuple(c, w, "strides", rank);
  o.dilation_rate = int_tuple(c, w, "dilation_rate", rank);
  if (const json* p = find(c, "padding")) o.padding = string_of(*p, w, "padding");
  o.activation = activation_name(c, w);
  read_kernel_bias_options(c, w, o);
  try {
    if (rank == 2) return std::make_shared<Conv2D>(filters, kernel_size, o);
    return std::make_shared<Conv1D>(filters, kernel_size, o);
  } catch (const Error& e) {
    w.fail(e.what());
  }
}

std::optional<int64_t> conv_planned_parameters(const Layer& layer,
                                               const std::vector<Shape>& inputs) {
  auto* conv = dynamic_cast<const Conv*>(&layer);
  if (!conv) return std::nullopt;
  if (inputs.empty() || inputs[0].empty()) return 0;
  double n = static_cast<double>(inputs[0].back()) * static_cast<double>(conv->filters());
  for (int64_t k : conv->kernel_size()) n *= static_cast<double>(k);
  if (conv->options().use_bias) n += static_cast<double>(conv->filters());
  return n > 9e18 ? INT64_MAX : static_cast<int64_t>(n);
}

}  // namespace glia::formats
