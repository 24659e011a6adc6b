#include "glia/losses.hpp"

#include "glia/error.hpp"

namespace glia {

Loss Loss::parse(const std::string& name) {
  Loss l;
  if (name == "categorical_crossentropy")
    l.kind = LossKind::categorical_crossentropy;
  else if (name == "sparse_categorical_crossentropy")
    l.kind = LossKind::sparse_categorical_crossentropy;
  else if (name == "binary_crossentropy")
    l.kind = LossKind::binary_crossentropy;
  else if (name == "mean_squared_error" || name == "mse")
    l.kind = LossKind::mean_squared_error;
  else if (name == "mean_absolute_error" || name == "mae")
    l.kind = LossKind::mean_absolute_error;
  else
    throw Error("unknown loss '" + name +
                "' (expected categorical_crossentropy, sparse_categorical_crossentropy, "
                "binary_crossentropy, mean_squared_error or mean_absolute_error)");
  return l;
}

std::string Loss::name() const {
  switch (kind) {
    case LossKind::categorical_crossentropy:
      return "categorical_crossentropy";
    case LossKind::sparse_categorical_crossentropy:
      return "sparse_categorical_crossentropy";
    case LossKind::binary_crossentropy:
      return "binary_crossentropy";
    case LossKind::mean_squared_error:
      return "mean_squared_error";
    case LossKind::mean_absolute_error:
      return "mean_absolute_error";
  }
  return "";
}

double Loss::operator()(Backend& backend, const Tensor& y_true, const Tensor& y_pred) const {
  const int64_t rows = y_pred.rows();
  if (rows == 0) return 0.0;
  const int64_t need = kind == LossKind::sparse_categorical_crossentropy ? rows : y_pred.size();
  if (y_true.size() != need)
    throw Error(name() + ": y_true has " + std::to_string(y_true.size()) + " values, expected " +
                std::to_string(need) + " for predictions " + shape_str(y_pred.shape()));
  return backend.loss_sum(kind, y_true.data(), y_pred.data(), rows, y_pred.cols(), params) /
         static_cast<double>(rows);
}

}  // namespace glia
