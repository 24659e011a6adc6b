// Keras 3's EarlyStopping (keras/src/callbacks/early_stopping.py): stop when the monitored value
// has not improved by min_delta for `patience` epochs; optionally restore the best weights.
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>

#include "glia/callbacks.hpp"
#include "glia/error.hpp"
#include "glia/model.hpp"

namespace glia {
namespace {

// mode "max", or "auto" on a name containing "acc" or "auc" (accuracy, val_auc ...).
bool maximizes(std::string mode, const std::string& monitor) {
  if (mode != "auto" && mode != "min" && mode != "max") {
    std::fprintf(stderr, "EarlyStopping mode '%s' is unknown, fallback to auto mode.\n",
                 mode.c_str());
    mode = "auto";
  }
  if (mode != "auto") return mode == "max";
  return monitor.find("acc") != std::string::npos || monitor.find("auc") != std::string::npos;
}

Model& need_model(Model* model) {
  if (model == nullptr) throw Error("EarlyStopping: no model set (call set_model)");
  return *model;
}

}  // namespace

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : o_(std::move(options)) {
  o_.min_delta = std::fabs(o_.min_delta);
  maximize_ = maximizes(o_.mode, o_.monitor);
  best_ = maximize_ ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
}

bool EarlyStopping::improved(double current, double reference) const {
  return maximize_ ? current - o_.min_delta > reference : current + o_.min_delta < reference;
}

void EarlyStopping::on_train_begin(const Logs&) {
  wait_ = 0;
  stopped_epoch_ = 0;
  best_epoch_ = 0;
  best_ = maximize_ ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(int epoch, const Logs& logs) {
  auto it = logs.find(o_.monitor);
  if (it == logs.end()) {
    std::string available;
    for (const auto& entry : logs) available += (available.empty() ? "" : ",") + entry.first;
    std::fprintf(stderr,
                 "Warning: early stopping conditioned on metric `%s` which is not available. "
                 "Available metrics are: %s\n",
                 o_.monitor.c_str(), available.c_str());
    return;
  }
  if (epoch < o_.start_from_epoch) return;
  double current = it->second;
  if (o_.restore_best_weights && best_weights_.empty()) {
    // Until something improves, the first monitored epoch counts as the best.
    best_weights_ = need_model(model_).get_weights();
    best_epoch_ = epoch;
  }
  ++wait_;
  if (improved(current, best_)) {
    best_ = current;
    best_epoch_ = epoch;
    if (o_.restore_best_weights) best_weights_ = need_model(model_).get_weights();
    // The wait restarts only when the value also beats the baseline.
    if (!o_.baseline || improved(current, *o_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= o_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    need_model(model_).stop_training = true;
  }
}

void EarlyStopping::on_train_end(const Logs&) {
  const bool speak = o_.verbose > 0 && params_.rank == 0;  // data-parallel: rank 0 prints
  if (stopped_epoch_ > 0 && speak) {
    std::printf("Epoch %d: early stopping\n", stopped_epoch_ + 1);
  }
  if (o_.restore_best_weights && !best_weights_.empty()) {
    if (speak) {
      std::printf("Restoring model weights from the end of the best epoch: %d.\n", best_epoch_ + 1);
    }
    need_model(model_).set_weights(best_weights_);
  }
  std::fflush(stdout);
}

}  // namespace glia
