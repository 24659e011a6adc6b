// Metrics: stateful running means over batches, as Keras' Mean-based metrics.
#pragma once

#include <memory>
#include <string>

#include "glia/backend.hpp"
#include "glia/tensor.hpp"

namespace glia {

class Metric {
 public:
  virtual ~Metric() = default;
  /// Name shown in logs ("accuracy", "top_k_categorical_accuracy", ...).
  virtual std::string name() const = 0;
  /// Adds one batch (y_true, y_pred on the host).
  virtual void update(const Tensor& y_true, const Tensor& y_pred) = 0;
  double result() const { return count_ > 0 ? total_ / count_ : 0.0; }
  void reset() { total_ = count_ = 0.0; }
  /// The running sums behind result() (data-parallel training adds them up across ranks).
  double total() const { return total_; }
  double count() const { return count_; }
  /// Adds `value` weighted by `weight` (the running mean's building block).
  void add(double value, double weight) {
    total_ += value * weight;
    count_ += weight;
  }

 private:
  double total_ = 0.0, count_ = 0.0;
};

/// Resolves a Keras metric name. "accuracy"/"acc" is resolved like Keras from the loss and the
/// shapes: binary when the output has one column or the loss is binary cross-entropy, sparse
/// when the targets are class indices, otherwise categorical. Also: categorical_accuracy,
/// sparse_categorical_accuracy, binary_accuracy, top_k_categorical_accuracy (k=5),
/// sparse_top_k_categorical_accuracy, mse, mae. The returned metric keeps the requested name.
std::unique_ptr<Metric> make_metric(const std::string& name, LossKind loss, int64_t output_cols,
                                    bool sparse_targets);

}  // namespace glia
