// What glia train, glia evaluate and glia predict share: MNIST-layout data shaped for a model,
// prediction inputs from IDX/NPY/JSON files, and opening a model by path or registry reference.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "glia/data.hpp"
#include "glia/model.hpp"
#include "glia/saving.hpp"

namespace glia::cli {

/// train, evaluate and predict take models whose output is one vector of class scores per
/// sample: anything else (a (None, 28, 10) output) is refused.
void check_class_vector(const Model& model);

struct MnistData {
  std::shared_ptr<ImageClassDataset> train, test;
  /// The first `rows` test inputs, shaped for the model (a reference sample for saved files).
  Tensor test_x_head(int64_t rows) const;
};

/// Reads the four MNIST-layout files under `folder`: images scaled by 1/255 and shaped as the
/// model's input whatever its rank (784 values of a 28×28 image feed (784), (28, 28) or
/// (28, 28, 1)), labels one-hot over the model's outputs (class indices for the sparse loss).
/// Throws naming the file when an image does not hold as many values as the model's input.
MnistData load_mnist_for(const Model& model, LossKind loss, const std::string& folder);
/// The test split alone (t10k-*), the same way.
std::shared_ptr<ImageClassDataset> load_mnist_test_for(const Model& model, LossKind loss,
                                                       const std::string& folder);

/// Prediction inputs: IDX (raw or .gz; uint8 ×1/255), .npy, or JSON {"data": [[...], ...]},
/// reshaped to (rows, model input shape).
Tensor read_prediction_input(const std::string& path, const Model& model);

/// Loads PATH, or a registered model NAME[:V|@latest] from the workspace (-w or found). Weights
/// are required unless options.require_weights is false. Says which weights a config took
/// (note_weights).
LoadedModel open_model(const std::string& ref, const std::string& workspace_dir,
                       const LoadOptions& options);

/// The --model and --weights options of a command that uses a trained model (evaluate, predict).
void add_model_options(CLI::App* cmd, std::string& model, std::string& weights);

/// --metrics a,b: Keras metric names, as compile(metrics=[...]) takes them (unknown ones refused).
std::vector<MetricSpec> metrics_flag(const std::string& given);

/// The --dtype-policy option of train, evaluate and predict: float32 or mixed_bfloat16.
void add_dtype_policy_option(CLI::App* cmd, std::string& policy);
/// Gives the model the --dtype-policy given (none: the file's own policies stay), and says on
/// stderr when mixed_bfloat16 runs on a backend without bfloat16 hardware (emulated: slower).
void apply_dtype_policy(Model& model, const std::string& policy);

/// A model.json's weights are found by name beside it (or given): the file used is printed on
/// stderr ("glia: weights: PATH") so it is never silent. Nothing for a file with its own weights.
void note_weights(const LoadedModel& loaded);

}  // namespace glia::cli
