// Loss functions with Keras names, defaults and the sum_over_batch_size reduction.
#pragma once

#include <string>

#include "glia/backend.hpp"
#include "glia/tensor.hpp"

namespace glia {

struct Loss {
  LossKind kind = LossKind::categorical_crossentropy;
  LossParams params;

  /// "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
  /// "mean_squared_error"/"mse", "mean_absolute_error"/"mae". Throws glia::Error otherwise.
  static Loss parse(const std::string& name);
  std::string name() const;
  /// Mean loss over the batch (rows of y_pred).
  double operator()(Backend& backend, const Tensor& y_true, const Tensor& y_pred) const;
};

}  // namespace glia
