#include "glia/regularizers.hpp"

#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "glia/error.hpp"

namespace glia {

double Regularizer::penalty(Backend& backend, const Tensor& t) const {
  if (!active()) return 0.0;
  const float* w = t.data();
  const int64_t n = t.size();
  return (l1 != 0 ? l1 * backend.sum_abs(w, n) : 0.0) +
         (l2 != 0 ? l2 * backend.sum_squares(w, n) : 0.0);
}

void Regularizer::add_gradient(Backend& backend, const Tensor& t, Tensor& grad) const {
  if (active()) backend.l1l2_grad(t.data(), grad.data(), t.size(), l1, l2);
}

Constraint Constraint::max_norm(float max_value, std::vector<int> axis) {
  Constraint c;
  c.kind = Kind::max_norm;
  c.max_value = max_value;
  c.axis = std::move(axis);
  return c;
}

Constraint Constraint::non_neg() {
  Constraint c;
  c.kind = Kind::non_neg;
  return c;
}

Constraint Constraint::unit_norm(std::vector<int> axis) {
  Constraint c;
  c.kind = Kind::unit_norm;
  c.axis = std::move(axis);
  return c;
}

Constraint Constraint::min_max_norm(float min_value, float max_value, float rate,
                                    std::vector<int> axis) {
  Constraint c;
  c.kind = Kind::min_max_norm;
  c.min_value = min_value;
  c.max_value = max_value;
  c.rate = rate;
  c.axis = std::move(axis);
  return c;
}

const char* Constraint::class_name() const {
  switch (kind) {
    case Kind::max_norm:
      return "MaxNorm";
    case Kind::non_neg:
      return "NonNeg";
    case Kind::unit_norm:
      return "UnitNorm";
    case Kind::min_max_norm:
      return "MinMaxNorm";
    case Kind::none:
      break;
  }
  return "None";
}

namespace {

// The reduced axes as a set over [0, rank).
std::set<int> reduced_axes(const std::vector<int>& axis, int rank, const std::string& what) {
  std::set<int> out;
  for (int a : axis) {
    const int k = a < 0 ? a + rank : a;
    if (k < 0 || k >= rank)
      throw Error(what + ": constraint axis " + std::to_string(a) + " does not exist in a " +
                  std::to_string(rank) + "-D variable");
    out.insert(k);
  }
  return out;
}

}  // namespace

void Constraint::check_rank(int rank, const std::string& what) const {
  if (kind == Kind::none || kind == Kind::non_neg) return;
  if (rank < 1 || rank > 2)
    throw Error(what + ": constraints are supported on 1-D and 2-D variables, got " +
                std::to_string(rank) + "-D");
  if (axis.empty()) throw Error(what + ": the constraint's axis list is empty");
  reduced_axes(axis, rank, what);
}

void Constraint::apply(Backend& be, Tensor& w) const {
  if (kind == Kind::none) return;
  const int64_t n = w.size();
  if (kind == Kind::non_neg) {  // w * (w >= 0)
    be.bias_activation(w.data(), nullptr, w.data(), 1, n, ActivationSpec::parse("relu"));
    return;
  }
  constexpr float kEps = 1e-7f;  // Keras backend epsilon()
  auto factor = [&](double sum_sq) {
    const float norm = std::sqrt(static_cast<float>(sum_sq));
    float desired = norm;
    if (kind == Kind::max_norm) desired = std::min(std::max(norm, 0.0f), max_value);
    if (kind == Kind::unit_norm) desired = 1.0f;
    if (kind == Kind::min_max_norm)
      desired = rate * std::min(std::max(norm, min_value), max_value) + (1.0f - rate) * norm;
    return desired / (kEps + norm);
  };
  const int rank = static_cast<int>(w.rank());
  const std::set<int> axes = reduced_axes(axis, rank, w.rank() == 2 ? "kernel" : "variable");
  if (rank == 1 || axes.size() == 2) {  // one norm over the whole variable
    const float f = factor(be.sum_squares(w.data(), n));
    const float inf = std::numeric_limits<float>::infinity();
    be.scale_clip(w.data(), n, f, -inf, inf);
    return;
  }
  // One norm per column (axis 0) or per row (axis 1) of a rows x cols matrix.
  const int64_t rows = w.dim(0), cols = w.dim(1);
  const bool per_column = *axes.begin() == 0;
  const int64_t groups = per_column ? cols : rows;
  Tensor squares({rows, cols}), sums({groups}), factors({groups}), ones({per_column ? rows : cols});
  Tensor scale({rows, cols});
  ones.fill(1.0f);
  be.mul(w.data(), w.data(), squares.data(), n);
  if (per_column)
    be.column_sum(squares.data(), sums.data(), rows, cols, 0.0f);
  else
    be.gemm(false, false, rows, 1, cols, 1.0f, squares.data(), cols, ones.data(), 1, 0.0f,
            sums.data(), 1);
  be.synchronize();
  for (int64_t g = 0; g < groups; ++g) factors.data()[g] = factor(sums.data()[g]);
  // scale = factors broadcast over the other axis, as an outer product with ones.
  if (per_column)
    be.gemm(false, false, rows, cols, 1, 1.0f, ones.data(), 1, factors.data(), cols, 0.0f,
            scale.data(), cols);
  else
    be.gemm(false, false, rows, cols, 1, 1.0f, factors.data(), 1, ones.data(), cols, 0.0f,
            scale.data(), cols);
  be.mul(w.data(), scale.data(), w.data(), n);
  be.synchronize();  // the scratch tensors are freed on return
}

}  // namespace glia
