// What Keras attaches to a variable or a layer's output besides its value: weight penalties
// (keras.regularizers L1, L2, L1L2) and constraints (keras.constraints MaxNorm, NonNeg,
// UnitNorm, MinMaxNorm), with Keras' formulas.
#pragma once

#include <vector>

#include "glia/backend.hpp"
#include "glia/tensor.hpp"

namespace glia {

/// penalty(w) = l1 Σ|w| + l2 Σw² (keras.regularizers.L1L2; L1 and L2 set one of them).
struct Regularizer {
  float l1 = 0.0f, l2 = 0.0f;
  bool active() const { return l1 != 0.0f || l2 != 0.0f; }
  /// The penalty of t (0 when inactive).
  double penalty(Backend& backend, const Tensor& t) const;
  /// grad += d penalty / dt = l1 sign(t) + 2 l2 t.
  void add_gradient(Backend& backend, const Tensor& t, Tensor& grad) const;
};

/// A constraint applied to a variable after each optimizer update, as Keras' optimizers do.
/// Norms are taken over `axis` of the variable (Keras' default 0: for a Dense kernel
/// (inputs, units), one norm per unit), with Keras' epsilon 1e-7:
///   MaxNorm:    w * clip(n, 0, max_value) / (eps + n)
///   NonNeg:     w * (w >= 0)
///   UnitNorm:   w / (eps + n)
///   MinMaxNorm: w * (rate * clip(n, min_value, max_value) + (1 - rate) * n) / (eps + n)
struct Constraint {
  enum class Kind { none, max_norm, non_neg, unit_norm, min_max_norm };
  Kind kind = Kind::none;
  float min_value = 0.0f, max_value = 2.0f, rate = 1.0f;
  /// Axes of the variable the norm is taken over (negative counts from the end), as given.
  std::vector<int> axis = {0};

  static Constraint max_norm(float max_value = 2.0f, std::vector<int> axis = {0});
  static Constraint non_neg();
  static Constraint unit_norm(std::vector<int> axis = {0});
  static Constraint min_max_norm(float min_value = 0.0f, float max_value = 1.0f, float rate = 1.0f,
                                 std::vector<int> axis = {0});

  bool active() const { return kind != Kind::none; }
  /// Keras' class name ("MaxNorm", ...).
  const char* class_name() const;
  /// Throws glia::Error when an axis does not exist in a variable of this rank (1 or 2).
  void check_rank(int rank, const std::string& what) const;
  /// Applies the constraint to the variable in place, with backend kernels (the per-norm
  /// factors, one per column or row, are computed on the host after a synchronize()).
  void apply(Backend& backend, Tensor& value) const;
};

}  // namespace glia
