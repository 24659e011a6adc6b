// Keras-compatible model files: the Keras 3 `.keras` archive, the legacy pair written by tf.keras
// 2.x (`model.json` from to_json + a save_weights `.h5`), and the legacy full-model `.h5`.
// Files Glia writes open in real Keras, and files Keras writes open here; anything the engine
// does not implement is refused with a one-line glia::Error naming the class and where it
// appears. Each file Glia writes may carry a reference input and the model's output for it, so
// a load can verify itself.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glia/model.hpp"
#include "glia/tensor.hpp"

namespace glia {

/// The file kinds, chosen from the path when saving: `.keras` → archive, `.h5`/`.hdf5` → full
/// model, `.json` → the pair (PATH.json + the weights next to it as STEM.h5).
enum class ModelFormat { keras_archive, full_h5, json_pair };
std::string format_name(ModelFormat format);  // "keras", "h5", "json+h5"

/// Which Keras generation's JSON to write. Glia reads both.
enum class ConfigStyle {
  keras3,  // {"module", "class_name", "config", "registered_name"} objects (.keras config.json)
  keras2,  // tf.keras 2.x to_json(): no "module", batch_input_shape on the first layer
};

/// A stored input and the model's output for it.
struct ReferenceSample {
  Tensor input;   // (rows, input shape...)
  Tensor output;  // (rows, output shape...)
};

struct SaveOptions {
  bool include_optimizer = true;
  /// When set, the first rows (at most 8) are run through the model and stored with the output.
  std::optional<Tensor> reference_input;
};

/// Bounds that keep a hostile file from allocating without limit.
struct LoadLimits {
  int64_t max_parameters = int64_t{1} << 31;  // weights over all layers (float32 elements)
  int64_t max_layers = 100000;
  int64_t max_config_bytes = int64_t{64} << 20;
};

struct LoadOptions {
  /// A model needs trained weights: a model.json whose weights are not found is refused with a
  /// glia::Error (ErrorKind::NotFound) naming the files looked for. Only training from a bare
  /// architecture opts out (the model then holds the initializers' weights, has_weights false).
  bool require_weights = true;
  /// The weights for a model.json config (Keras' model_from_json + load_weights(FILE)): either
  /// save_weights layout, or a full-model .h5's model_weights. Used instead of looking beside
  /// the config; refused for a file that holds its own weights (.keras, .h5).
  std::string weights;
  /// Restores the compile config (optimizer, loss, metrics) and the optimizer state when present.
  bool compile = true;
  /// Runs the stored reference input and compares; throws glia::Error naming the file and the
  /// largest difference when it exceeds `verify_tolerance` (or when the file has no reference).
  bool verify = false;
  double verify_tolerance = 1e-5;
  LoadLimits limits;
};

struct LoadedModel {
  std::shared_ptr<Model> model;
  ModelFormat format = ModelFormat::keras_archive;
  bool has_weights = false;          // false only for a config-only model.json (fresh weights)
  std::string weights_path;          // the file the weights came from (the model file itself,
                                     // or the weights found for a model.json)
  bool has_optimizer_state = false;  // slots and iteration count were restored
  /// Non-empty when the file held a trained optimizer's state that this model's optimizer cannot
  /// take (other trainable layers or another optimizer when it was saved): why. The optimizer
  /// then starts fresh, as in Keras, which warns.
  std::string optimizer_state_skipped;
  bool compiled = false;  // a compile config was found and applied
  std::optional<ReferenceSample> reference;
  bool verified = false;  // the reference was checked and matched
};

// ---- configs (Keras' to_json / model_from_json) ----

/// The model's architecture (and compile config, when compiled and style is keras3) as JSON.
std::string model_to_json(const Model& model, ConfigStyle style = ConfigStyle::keras2);
/// Builds a model from a Keras 2 or Keras 3 config (Sequential or Functional). Weights come from
/// the initializers with `seed`. `where` names the source in error messages ("model.json").
std::shared_ptr<Model> model_from_json(std::string_view json, const std::string& where = "config",
                                       uint64_t seed = 0, const LoadLimits& limits = {});

// ---- weights only ----

/// `*.weights.h5` → Keras 3 layout (layers/<name>/vars/0); any other `.h5` → the tf.keras 2.x
/// save_weights layout (layer_names, weight_names, dense/dense/kernel:0).
void save_weights(Model& model, const std::string& path, const SaveOptions& options = {});
/// Keras' load_weights options.
struct LoadWeightsOptions {
  /// A layer whose weights in the file differ in count or shape is left as it is (and named in
  /// load_weights' result) instead of failing the load.
  bool skip_mismatch = false;
  /// The tf.keras 2.x layout only (Keras refuses it for the Keras 3 one): each layer takes the
  /// weights of the file's layer of the same name; layers the file does not name are left as
  /// they are. Otherwise layers pair up in order (by name when every one is named in the file).
  bool by_name = false;
};
/// Reads either layout (also a full-model .h5's model_weights group) into a built model; shapes
/// must match exactly unless options.skip_mismatch. Returns the layers with weights left as
/// they were (skip_mismatch, by_name). All or nothing: a load that fails changes no weight.
std::vector<std::string> load_weights(Model& model, const std::string& path,
                                      const LoadWeightsOptions& options = {});

// ---- whole models ----

/// Where the weights of the config `json_path` are looked for when none are given, in order:
/// STEM.weights.h5 (Keras 3's save_weights), model.weights.h5, STEM.h5 (tf.keras 2.x and Glia),
/// model.h5, all beside it; the first that exists is used. model.weights.h5 and model.h5 are
/// candidates only when STEM is `model` or no model.json / model.keras sits beside it (which
/// then owns them): another config never takes a different model's weights.
std::vector<std::string> weights_candidates(const std::string& json_path);

/// The model file a folder holds: model.keras, else model.json, else model.h5 when those are
/// all it holds (Glia writes them together); else its one model file (.keras, a .json config
/// with its weights, or an .h5). Throws naming the candidates when there are several, or none.
std::string model_file_in(const std::string& folder);

/// The files save_model(path) writes: the path itself, and for a `.json` config its weights
/// (the `.h5` of the same name). Throws (InvalidArgument) for an extension it does not write.
std::vector<std::string> files_saved_for(const std::string& path);
/// Checks, before any long work, that save_model can write every path: known extensions, no file
/// written twice (two paths naming one file, or a `.json`'s weights naming another path's `.h5`),
/// and for each file a destination that is not a folder, under folders that exist or can be
/// made (no component of them is a file) and can be written. Throws one line naming the path
/// (InvalidArgument; Permission for a folder that cannot be written).
void check_save_paths(const std::vector<std::string>& paths);

/// Writes atomically (temp file + rename), in the format the extension selects.
void save_model(Model& model, const std::string& path, const SaveOptions& options = {});
/// Errors from both loaders are escaped (glia::escape_bytes): they quote names and bytes from
/// the file. Loads a `.keras` archive, a full-model `.h5`, a `model.json` with its weights
/// (options.weights, else the first of weights_candidates()), a save_weights `.h5` with its config
/// beside it (STEM.json for STEM.h5 and STEM.weights.h5), or a folder (model_file_in). A config
/// with no weights is refused unless options.require_weights is false.
LoadedModel load_model(const std::string& path, const LoadOptions& options = {});
/// The same from bytes already in memory (`name` is used in messages); a json_pair is a config
/// alone, so it is refused unless options.require_weights is false.
LoadedModel load_model_from_memory(std::string_view bytes, ModelFormat format,
                                   const LoadOptions& options = {},
                                   const std::string& name = "<memory>");

/// Runs the reference input through the model and returns the largest absolute difference.
double reference_difference(Model& model, const ReferenceSample& reference);

}  // namespace glia
