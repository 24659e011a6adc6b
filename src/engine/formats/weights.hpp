// Weight layouts inside HDF5 (internal): Keras 3's `layers/<name>/vars/<i>` (+ `optimizer/vars`)
// and tf.keras 2.x's `layer_names` / `weight_names` (+ `optimizer_weights`), plus the reference
// sample Glia stores beside them.
#pragma once

#include <optional>
#include <vector>

#include "formats/h5.hpp"
#include "glia/saving.hpp"

namespace glia::formats {

/// Keras' `model.layers` for the model Keras rebuilds from Glia's config: Sequential without
/// its InputLayer; Functional with it, ordered by depth from the output then by first visit.
std::vector<LayerPtr> keras_layers(const Model& model);
/// The short variable name Keras uses ("kernel", "bias").
std::string variable_short_name(const Variable& v);

/// The optimizer's state in Keras' variable order (after iteration and learning rate), each
/// with the slot kind's name ("momentum", "velocity", ...). Builds the slots when needed.
struct SlotRef {
  Tensor* tensor;
  size_t variable;
  std::string kind;
};
std::vector<SlotRef> keras_slots(Model& model);
std::string keras_optimizer_name(const Optimizer& optimizer);

// Keras 3 layout (.keras archives and *.weights.h5).
void write_keras3_weights(Model& model, const h5::Group& root, bool include_optimizer);
void read_keras3_weights(Model& model, const h5::Group& root);
/// Restores optimizer/vars when present and consistent; returns whether it did.
bool read_keras3_optimizer(Model& model, const h5::Group& root);

// tf.keras 2.x layout (save_weights .h5, and a full model's model_weights group).
void write_legacy_weights(Model& model, const h5::Group& group);
void read_legacy_weights(Model& model, const h5::Group& group);
void write_legacy_optimizer(Model& model, const h5::Group& root);
bool read_legacy_optimizer(Model& model, const h5::Group& root);

/// Puts the iteration, learning rate and slot values (Keras order) into the model's optimizer;
/// false (nothing changed) when their number does not fit the optimizer.
bool restore_optimizer(Model& model, int64_t iteration, const std::vector<Tensor>& values,
                       std::optional<float> learning_rate);

// Reference samples: group "glia_reference" with datasets "input" and "output".
void write_reference(const h5::Group& root, const ReferenceSample& reference);
std::optional<ReferenceSample> read_reference(const h5::Group& root, const Model& model);

}  // namespace glia::formats
