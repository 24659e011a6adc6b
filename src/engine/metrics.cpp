#include "glia/metrics.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "glia/error.hpp"

namespace glia {

namespace {

int64_t argmax(const float* p, int64_t n) {
  return std::max_element(p, p + n) - p;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string supported_names() {
  std::string s = "accuracy";
  for (const MetricClass& c : metric_classes())
    if (c.kind != MetricKind::accuracy) s += std::string(", ") + c.default_name;
  return s + ", mse or mae";
}

bool is_sparse(MetricKind k) {
  return k == MetricKind::sparse_categorical_accuracy ||
         k == MetricKind::sparse_top_k_categorical_accuracy;
}

/// Compared element by element with targets of the output's shape.
bool is_elementwise(MetricKind k) {
  return k == MetricKind::accuracy || k == MetricKind::binary_accuracy ||
         k == MetricKind::mean_squared_error || k == MetricKind::mean_absolute_error;
}

class BuiltinMetric : public Metric {
 public:
  BuiltinMetric(const MetricSpec& spec, MetricKind kind) : spec_(spec), kind_(kind) {}
  std::string name() const override { return spec_.name; }

  void update(const Tensor& y_true, const Tensor& y_pred) override {
    const int64_t rows = y_pred.rows(), cols = y_pred.cols();
    if (rows == 0) return;
    const float *t = y_true.data(), *p = y_pred.data();
    const float threshold = static_cast<float>(spec_.threshold);
    double sum = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const float *pr = p + r * cols, *tr = t + r * cols;
      switch (kind_) {
        case MetricKind::accuracy_by_shape:  // resolved by make_metric
        case MetricKind::categorical_accuracy:
          sum += argmax(tr, cols) == argmax(pr, cols);
          break;
        case MetricKind::sparse_categorical_accuracy:
          sum += static_cast<int64_t>(t[r]) == argmax(pr, cols);
          break;
        case MetricKind::accuracy:
        case MetricKind::binary_accuracy: {
          // Keras: equal(y_true, y_pred), the prediction first cast to 0/1 by the threshold.
          double hits = 0;
          for (int64_t c = 0; c < cols; ++c) {
            const float v = kind_ == MetricKind::accuracy ? pr[c] : (pr[c] > threshold ? 1.f : 0.f);
            hits += tr[c] == v;
          }
          sum += hits / static_cast<double>(cols);
          break;
        }
        case MetricKind::top_k_categorical_accuracy:
        case MetricKind::sparse_top_k_categorical_accuracy: {
          const int64_t label = kind_ == MetricKind::sparse_top_k_categorical_accuracy
                                    ? static_cast<int64_t>(t[r])
                                    : argmax(tr, cols);
          // In the top k when fewer than k classes score strictly higher.
          int64_t higher = 0;
          for (int64_t c = 0; c < cols; ++c) higher += pr[c] > pr[label];
          sum += higher < spec_.k;
          break;
        }
        case MetricKind::mean_squared_error:
        case MetricKind::mean_absolute_error: {
          double s = 0;
          for (int64_t c = 0; c < cols; ++c) {
            double d = pr[c] - tr[c];
            s += kind_ == MetricKind::mean_squared_error ? d * d : std::fabs(d);
          }
          sum += s / static_cast<double>(cols);
          break;
        }
      }
    }
    add(sum / static_cast<double>(rows), static_cast<double>(rows));
  }

 private:
  MetricSpec spec_;
  MetricKind kind_;
};

}  // namespace

const std::vector<MetricClass>& metric_classes() {
  static const std::vector<MetricClass> classes = {
      {MetricKind::accuracy, "Accuracy", "accuracy", {}},
      {MetricKind::binary_accuracy, "BinaryAccuracy", "binary_accuracy", {"threshold"}},
      {MetricKind::categorical_accuracy, "CategoricalAccuracy", "categorical_accuracy", {}},
      {MetricKind::sparse_categorical_accuracy,
       "SparseCategoricalAccuracy",
       "sparse_categorical_accuracy",
       {}},
      {MetricKind::top_k_categorical_accuracy,
       "TopKCategoricalAccuracy",
       "top_k_categorical_accuracy",
       {"k"}},
      {MetricKind::sparse_top_k_categorical_accuracy,
       "SparseTopKCategoricalAccuracy",
       "sparse_top_k_categorical_accuracy",
       {"k"}},
      {MetricKind::mean_squared_error, "MeanSquaredError", "mean_squared_error", {}},
      {MetricKind::mean_absolute_error, "MeanAbsoluteError", "mean_absolute_error", {}},
  };
  return classes;
}

const MetricClass* metric_class(MetricKind kind) {
  for (const MetricClass& c : metric_classes())
    if (c.kind == kind) return &c;
  return nullptr;
}

MetricSpec::MetricSpec(std::string identifier) : name(std::move(identifier)) {
  // keras.src.trainers.compile_utils.get_metric, then keras.metrics.get's ALL_OBJECTS_DICT.
  const std::string low = lower(name);
  if (low == "accuracy" || low == "acc") return;
  if (name == "mse" || name == "MSE") {
    kind = MetricKind::mean_squared_error;
    return;
  }
  if (name == "mae" || name == "MAE") {
    kind = MetricKind::mean_absolute_error;
    return;
  }
  for (const MetricClass& c : metric_classes())
    if (name == c.class_name || name == c.default_name) {
      kind = c.kind;
      return;
    }
  throw Error("unknown metric '" + name + "' (expected " + supported_names() + ")");
}

MetricSpec MetricSpec::object(MetricKind kind, std::string name) {
  const MetricClass* c = metric_class(kind);
  if (!c) throw Error("metric: no metric class for \"accuracy\" resolved by shape");
  MetricSpec s;
  s.kind = kind;
  s.form = Form::object;
  s.name = name.empty() ? c->default_name : std::move(name);
  return s;
}

MetricSpec MetricSpec::function(const std::string& name) {
  // keras.metrics' functions are named as their classes' snake-case names; Accuracy's is not
  // public (keras.metrics has no `accuracy` function).
  for (const MetricClass& c : metric_classes())
    if (c.kind != MetricKind::accuracy && name == c.default_name) {
      MetricSpec s;
      s.kind = c.kind;
      s.form = Form::function;
      s.name = name;
      return s;
    }
  throw Error("metric function '" + name + "' is not supported (expected " + supported_names() +
              ")");
}

std::unique_ptr<Metric> make_metric(const MetricSpec& spec, const Shape& y_true,
                                    const Shape& y_pred) {
  // keras.src.trainers.compile_utils.is_binary_or_sparse_categorical, on per-sample shapes.
  const int64_t out_last = y_pred.empty() ? 1 : y_pred.back();
  const bool binary = out_last == 1;
  const bool sparse =
      y_true.size() < y_pred.size() || (!y_true.empty() && y_true.back() == 1 && out_last > 1);
  MetricKind kind = spec.kind;
  if (kind == MetricKind::accuracy_by_shape)
    kind = binary   ? MetricKind::binary_accuracy
           : sparse ? MetricKind::sparse_categorical_accuracy
                    : MetricKind::categorical_accuracy;
  if (is_sparse(kind) && !sparse)
    throw Error("metric '" + spec.name + "' needs class-index targets (one integer per sample)");
  if (!is_sparse(kind) && sparse)
    throw Error(
        "metric '" + spec.name + "' needs targets shaped as the output " + shape_str(y_pred) +
        (kind == MetricKind::categorical_accuracy || kind == MetricKind::top_k_categorical_accuracy
             ? "; use sparse_" + std::string(metric_class(kind)->default_name)
             : std::string()));
  if (is_elementwise(kind) && y_true != y_pred)
    throw Error("metric '" + spec.name + "' needs targets shaped as the output " +
                shape_str(y_pred) + ", got " + shape_str(y_true));
  return std::make_unique<BuiltinMetric>(spec, kind);
}

}  // namespace glia
