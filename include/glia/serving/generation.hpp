// One generation of what an endpoint serves: the model loaded once per instance behind a
// Batcher (native scoring), or a RawScorer (Python). A reload loads the next one beside the
// served one; requests hold the generation they started with, so the old one is dropped only
// once its last request is answered.
#pragma once

#include <memory>
#include <vector>

#include "glia/model.hpp"
#include "glia/serving/batcher.hpp"
#include "glia/serving/raw_scorer.hpp"
#include "glia/serving/serve_options.hpp"
#include "glia/serving/signature.hpp"

namespace glia::serving {

struct Generation {
  ServeOptions options;  // as loaded (the model, instances, threads)
  Signature signature;   // native: the model's; python: its name and version only
  std::vector<std::shared_ptr<Model>> models;  // one per instance
  std::unique_ptr<Batcher> batcher;            // native
  std::shared_ptr<RawScorer> script;           // python
};

/// Loads `options`' model `instances` times (each instance computing with
/// threads_per_instance threads) behind a batcher, or starts its script through `loader`.
/// `on_batch` gets each batch's rows and model seconds (metrics). glia::Error naming the model
/// folder (or the script) when it cannot be loaded; a model taking or giving nothing is refused.
std::shared_ptr<Generation> load_generation(const ServeOptions& options, const ScriptLoader& loader,
                                            std::function<void(int64_t, double)> on_batch = {});

/// The batching limits of `options`.
BatchLimits batch_limits(const ServeOptions& options);

}  // namespace glia::serving
