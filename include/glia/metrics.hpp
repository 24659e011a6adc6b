// Metrics: stateful running means over batches, as Keras' Mean-based metrics.
#pragma once

#include <memory>
#include <string>
#include <vector>

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

/// What a metric computes. `accuracy_by_shape` is the string "accuracy"/"acc", which Keras
/// resolves from the shapes; `accuracy` is Keras' Accuracy class (y_true == y_pred).
enum class MetricKind {
  accuracy_by_shape,
  accuracy,
  binary_accuracy,
  categorical_accuracy,
  sparse_categorical_accuracy,
  top_k_categorical_accuracy,
  sparse_top_k_categorical_accuracy,
  mean_squared_error,
  mean_absolute_error,
};

/// A Keras metric class Glia computes: its class name, its default name (also the name of its
/// function, and its snake-case key in keras.metrics) and the config arguments it takes beyond
/// `name` and `dtype`.
struct MetricClass {
  MetricKind kind;
  const char* class_name;
  const char* default_name;
  std::vector<const char*> arguments;
};
/// Every metric class Glia computes (the one list: readers, writers and tests derive from it).
const std::vector<MetricClass>& metric_classes();
const MetricClass* metric_class(MetricKind kind);

/// A compiled metric as Keras keeps it: a name string, a metric object (class + config) or a
/// metric function, with the arguments Glia honours. `name` is its key in logs and history.
struct MetricSpec {
  enum class Form { name, object, function };
  /// A string identifier as Keras' compile() takes it: "accuracy"/"acc" (any case), a class
  /// name or its snake-case name ("TopKCategoricalAccuracy", "top_k_categorical_accuracy"),
  /// "mse"/"MSE", "mae"/"MAE". Throws glia::Error for anything else.
  MetricSpec(std::string identifier);  // NOLINT: implicit, metrics = {"accuracy"}
  MetricSpec(const char* identifier) : MetricSpec(std::string(identifier)) {}  // NOLINT
  /// A metric object of this class with its default arguments, named `name` (empty: the
  /// class's default name).
  static MetricSpec object(MetricKind kind, std::string name = "");
  /// A metric function (Keras writes {"class_name": "function", "config": NAME}); throws for
  /// names that are not a metric function Glia computes.
  static MetricSpec function(const std::string& name);

  std::string name;
  MetricKind kind = MetricKind::accuracy_by_shape;
  Form form = Form::name;
  int k = 5;               // top_k_categorical_accuracy, sparse_top_k_categorical_accuracy
  double threshold = 0.5;  // binary_accuracy (compared as float32, as Keras does)

  bool operator==(const MetricSpec&) const = default;

 private:
  MetricSpec() = default;
};

/// The metric for per-sample target and output shapes. "accuracy" is resolved exactly as Keras
/// 3's compile_utils.get_metric does: binary when the output's last dimension is 1, else sparse
/// categorical when the targets have a lower rank or a last dimension of 1, else categorical.
/// The returned metric keeps the spec's name. Throws when the metric does not fit the targets.
std::unique_ptr<Metric> make_metric(const MetricSpec& spec, const Shape& y_true,
                                    const Shape& y_pred);

}  // namespace glia
