// Keras model configs as JSON (internal to the engine's formats area): layers, Sequential and
// Functional graphs, and compile configs, in both the Keras 3 and the tf.keras 2.x shapes.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "glia/initializers.hpp"
#include "glia/regularizers.hpp"
#include "glia/saving.hpp"

namespace glia::formats {

using json = nlohmann::ordered_json;

/// Where a value sits, for one-line errors: "model.json: layers[2] ('dense_1')".
struct Where {
  std::string text;
  Where at(const std::string& part) const { return {text + ": " + part}; }
  [[noreturn]] void fail(const std::string& what) const;
};

// ---- layers (layer_config.cpp) ----
/// The layer's `config` object in the given style.
json layer_config(const Layer& layer, ConfigStyle style);
/// {"module"?, "class_name", "config", "registered_name"?} for the given style.
json serialized_layer(const Layer& layer, ConfigStyle style);
/// Makes a layer from {"class_name", "config"}; refuses classes and options the engine lacks.
LayerPtr layer_from_config(const json& entry, const Where& where);
/// The per-sample input shape an InputLayer (or a first layer's batch_input_shape) declares.
Shape input_shape_from(const json& config, const Where& where);
/// Parameters the layer will create for these per-sample input shapes (before building).
int64_t planned_parameters(const Layer& layer, const std::vector<Shape>& inputs);

// ---- models (model_config.cpp) ----
/// {"class_name": "Sequential"|"Functional", "config": {...}} (+ module keys for keras3).
json model_config(const Model& model, ConfigStyle style);
/// `seed` draws the initial weights; std::nullopt leaves them zero because the caller loads
/// every weight next (no time spent drawing numbers that are overwritten).
std::shared_ptr<Model> model_from_config(const json& root, const Where& where,
                                         std::optional<uint64_t> seed, const LoadLimits& limits);

// ---- compile configs (compile_config.cpp) ----
/// Keras 3 `compile_config` (keras3) or tf.keras `training_config` (keras2); null when the
/// model is not compiled.
json compile_config(const Model& model, ConfigStyle style);
/// Compiles `model` from either shape. Throws naming the unsupported optimizer/loss/option.
void apply_compile_config(Model& model, const json& config, const Where& where);

/// Parses JSON text with a size bound; errors name `where` and the position.
json parse_json(std::string_view text, const Where& where, int64_t max_bytes);

/// Helpers shared by the config readers.
const json* find(const json& object, const char* key);
std::string string_of(const json& v, const Where& where, const char* key);
double number_of(const json& v, const Where& where, const char* key);
/// number_of for a value kept as a float: one beyond float32's range is refused.
float float_number_of(const json& v, const Where& where, const char* key);
std::string type_name(const json& v);
/// Keras' defaults for options Glia may ignore: null and false.
bool is_default(const json& v);
/// Refuses keys outside `known` and `more` whose value is not a default (the engine would
/// silently ignore them).
void check_keys(const json& config, const Where& where, std::initializer_list<const char*> known,
                std::initializer_list<const char*> more = {});
/// {"module", "class_name", "config", "registered_name": null} (Keras 3's serialized object).
json keras3_object(const char* module, const std::string& class_name, json config);
/// A serialized Keras object in the given style (keras2 has no module keys).
json serialized(const char* module, const std::string& class_name, json config, ConfigStyle style);
/// A float32 option written as the shortest decimal that reads back as it (0.1, not 0.1000000015).
double as_given(float v);
/// An entry's "class_name" / "config" object, refusing anything else.
std::string class_of(const json& entry, const Where& where);
const json& config_of(const json& entry, const Where& where);

/// Initializers, regularizers and constraints (variable_options.cpp), both ways.
json initializer_json(const InitializerSpec& spec, ConfigStyle style);
json regularizer_json(const Regularizer& r, ConfigStyle style);
json constraint_json(const Constraint& c, ConfigStyle style);
InitializerSpec initializer_from(const json& v, const Where& where);
Regularizer regularizer_from(const json& v, const Where& where);
Constraint constraint_from(const json& v, const Where& where);
/// An int or a list of ints (Keras' axis arguments) under `key`.
std::vector<int> axis_list(const json& v, const Where& where, const char* key);

// ---- pool (issue 16) (layer_config_pool.cpp) ----
/// Writes a pooling layer's own config keys into `config`; false for other layers.
bool pool_layer_config(const Layer& layer, json& config);
/// The pooling layer of class `cls` from its config; null for other classes.
LayerPtr pool_layer_from_config(const std::string& cls, const json& config, const Where& where);

/// Refuses a `data_format` other than channels_last (null: Keras' default, channels_last).
void check_channels_last(const json& config, const Where& where);

/// Keras' naming.to_snake_case for class names: "GlorotUniform" → "glorot_uniform".
std::string snake_case(const std::string& class_name);

// ---- conv (issue 16): layer_config_conv.cpp ----
/// Writes a Conv2D/Conv1D's keys into `c` and returns true; false for other layers.
bool conv_layer_config(const Layer& layer, ConfigStyle style, json& c);
/// A Conv2D/Conv1D from its config; null for other classes.
LayerPtr conv_layer_from_config(const std::string& cls, const json& c, const Where& w,
                                const std::string& name);
/// A Conv2D/Conv1D's parameters for these inputs; nullopt for other layers.
std::optional<int64_t> conv_planned_parameters(const Layer& layer,
                                               const std::vector<Shape>& inputs);

// ---- norm (issue 16) ----
/// BatchNormalization / LayerNormalization (layer_config_norm.cpp): fills `config` and returns
/// true for them, false for other layers.
bool norm_layer_config(const Layer& layer, ConfigStyle style, json& config);
/// The layer for these classes (null for other classes); refuses unsupported options.
LayerPtr norm_layer_from_config(const std::string& cls, const json& config, const Where& where,
                                const std::string& name);
/// Their planned parameters (moving statistics included); nullopt for other layers.
std::optional<int64_t> norm_planned_parameters(const Layer& layer,
                                               const std::vector<Shape>& inputs);

// ---- shape (issue 16): layer_config_shape.cpp ----
/// Writes the config keys of a Reshape, Rescaling or ZeroPadding2D into `c`; false for others.
bool shape_layer_config(const Layer& layer, json& c);
/// Those layers from their config (keys checked); null for other classes.
LayerPtr shape_layer_from_config(const std::string& cls, const json& c, const std::string& name,
                                 const Where& w);

}  // namespace glia::formats
