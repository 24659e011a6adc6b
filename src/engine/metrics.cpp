#include "glia/metrics.hpp"

#include <algorithm>
#include <cmath>

#include "glia/error.hpp"

namespace glia {

namespace {

int64_t argmax(const float* p, int64_t n) {
  return std::max_element(p, p + n) - p;
}

enum class Kind { categorical, sparse, binary, top_k, sparse_top_k, mse, mae };

class BuiltinMetric : public Metric {
 public:
  BuiltinMetric(std::string name, Kind kind, int k = 5)
      : name_(std::move(name)), kind_(kind), k_(k) {}
  std::string name() const override { return name_; }

  void update(const Tensor& y_true, const Tensor& y_pred) override {
    const int64_t rows = y_pred.rows(), cols = y_pred.cols();
    if (rows == 0) return;
    const float *t = y_true.data(), *p = y_pred.data();
    double sum = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const float* pr = p + r * cols;
      switch (kind_) {
        case Kind::categorical:
          sum += argmax(t + r * cols, cols) == argmax(pr, cols);
          break;
        case Kind::sparse:
          sum += static_cast<int64_t>(t[r]) == argmax(pr, cols);
          break;
        case Kind::binary: {
          double hits = 0;
          for (int64_t c = 0; c < cols; ++c) hits += (pr[c] > 0.5f) == (t[r * cols + c] > 0.5f);
          sum += hits / static_cast<double>(cols);
          break;
        }
        case Kind::top_k:
        case Kind::sparse_top_k: {
          const int64_t label =
              kind_ == Kind::sparse_top_k ? static_cast<int64_t>(t[r]) : argmax(t + r * cols, cols);
          // In the top k when fewer than k classes score strictly higher.
          int64_t higher = 0;
          for (int64_t c = 0; c < cols; ++c) higher += pr[c] > pr[label];
          sum += higher < k_;
          break;
        }
        case Kind::mse:
        case Kind::mae: {
          double s = 0;
          for (int64_t c = 0; c < cols; ++c) {
            double d = pr[c] - t[r * cols + c];
            s += kind_ == Kind::mse ? d * d : std::fabs(d);
          }
          sum += s / static_cast<double>(cols);
          break;
        }
      }
    }
    add(sum / static_cast<double>(rows), static_cast<double>(rows));
  }

 private:
  std::string name_;
  Kind kind_;
  int k_;
};

}  // namespace

std::unique_ptr<Metric> make_metric(const std::string& name, LossKind loss, int64_t output_cols,
                                    bool sparse_targets) {
  Kind kind;
  if (name == "accuracy" || name == "acc") {
    if (output_cols == 1 || loss == LossKind::binary_crossentropy)
      kind = Kind::binary;
    else if (sparse_targets)
      kind = Kind::sparse;
    else
      kind = Kind::categorical;
  } else if (name == "categorical_accuracy")
    kind = Kind::categorical;
  else if (name == "sparse_categorical_accuracy")
    kind = Kind::sparse;
  else if (name == "binary_accuracy")
    kind = Kind::binary;
  else if (name == "top_k_categorical_accuracy")
    kind = Kind::top_k;
  else if (name == "sparse_top_k_categorical_accuracy")
    kind = Kind::sparse_top_k;
  else if (name == "mse" || name == "mean_squared_error")
    kind = Kind::mse;
  else if (name == "mae" || name == "mean_absolute_error")
    kind = Kind::mae;
  else
    throw Error("unknown metric '" + name +
                "' (expected accuracy, categorical_accuracy, sparse_categorical_accuracy, "
                "binary_accuracy, top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, "
                "mse or mae)");
  if ((kind == Kind::sparse || kind == Kind::sparse_top_k) && !sparse_targets)
    throw Error("metric '" + name + "' needs class-index targets (one integer per sample)");
  if ((kind == Kind::categorical || kind == Kind::top_k) && sparse_targets)
    throw Error("metric '" + name + "' needs one-hot targets; use sparse_" + name);
  return std::make_unique<BuiltinMetric>(name, kind);
}

}  // namespace glia
