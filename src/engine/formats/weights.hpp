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
/// with the slot kind's name ("momentum", "velocity", ...) and its variable (an index into the
/// optimizer's built_for(), which are the model's). For reading (`build`), the slots are built
/// for the model's trainable variables when the optimizer has none yet; for writing, an
/// optimizer that never stepped has no slots to write (Keras writes its iteration and learning
/// rate only). Throws when the optimizer was built for another model's variables.
struct SlotRef {
  Tensor* tensor;
  size_t variable;
  std::string kind;
};
std::vector<SlotRef> keras_slots(Model& model, bool build);
std::string keras_optimizer_name(const Optimizer& optimizer);

/// One layer's weights as a file holds them (dataset names in `group`), checked against the
/// layer's count and shapes: read into `staged` when they fit; when they do not, an error, or
/// with skip_mismatch the layer's name added to `skipped`. Keras' rules per layout: the Keras 3
/// one skips the whole layer on any mismatch; the legacy one (`legacy`) skips only the weights
/// whose shapes differ (loading the others), and a count mismatch is an error unless by_name.
/// Nothing reaches the model until commit_weights(): a load that fails half way leaves the
/// model as it was.
using StagedWeights = std::vector<std::pair<Variable*, Tensor>>;
void stage_layer_weights(const Layer& layer, const std::vector<Variable*>& vars,
                         const h5::Group& group, const std::vector<std::string>& names,
                         const LoadWeightsOptions& options, bool legacy, StagedWeights& staged,
                         std::vector<std::string>& skipped);
void commit_weights(StagedWeights& staged);

// Keras 3 layout (.keras archives and *.weights.h5). Each returns the layers left as they were
// (options.skip_mismatch; by_name is for the legacy layout only).
void write_keras3_weights(Model& model, const h5::Group& root, bool include_optimizer);
std::vector<std::string> read_keras3_weights(Model& model, const h5::Group& root,
                                             const LoadWeightsOptions& options = {});
/// Restores optimizer/vars when present and consistent; returns whether it did. When the file
/// holds a trained optimizer's state that does not fit this model's optimizer (other trainable
/// layers, another optimizer), sets *skipped to why it was left out (Keras warns the same way).
bool read_keras3_optimizer(Model& model, const h5::Group& root, std::string* skipped = nullptr);

// tf.keras 2.x layout (save_weights .h5, and a full model's model_weights group).
void write_legacy_weights(Model& model, const h5::Group& group);
std::vector<std::string> read_legacy_weights(Model& model, const h5::Group& group,
                                             const LoadWeightsOptions& options = {});
void write_legacy_optimizer(Model& model, const h5::Group& root);
/// As read_keras3_optimizer, for a tf.keras 2.x file's optimizer_weights.
bool read_legacy_optimizer(Model& model, const h5::Group& root, std::string* skipped = nullptr);
/// Why a stored optimizer state of `stored` variables is left out of `model`'s, which needs
/// `needed` (the iteration and learning rate among both).
std::string optimizer_mismatch(Model& model, size_t stored, size_t needed);

/// Puts the iteration, learning rate and slot values (Keras order) into the model's optimizer;
/// false (nothing changed) when their number does not fit the optimizer.
bool restore_optimizer(Model& model, int64_t iteration, const std::vector<Tensor>& values,
                       std::optional<float> learning_rate);

// Reference samples: group "glia_reference" with datasets "input" and "output".
void write_reference(const h5::Group& root, const ReferenceSample& reference);
std::optional<ReferenceSample> read_reference(const h5::Group& root, const Model& model);

}  // namespace glia::formats
