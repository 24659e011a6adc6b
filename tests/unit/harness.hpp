// Shared helpers for the numeric tests: seeded random data, tolerance comparisons that report the
// worst element instead of flooding the log, and central finite differences.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <vector>
#include "glia/error.hpp"

#include "glia/initializers.hpp"
#include "glia/tensor.hpp"

namespace glia::test {

/// The message of the glia::Error that f throws, or "(no glia::Error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no glia::Error)";
}

/// Uniform floats in [lo, hi) from a seeded Rng.
inline std::vector<float> random_floats(Rng& rng, int64_t n, double lo = -1.0, double hi = 1.0) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = static_cast<float>(lo + (hi - lo) * rng.uniform());
  return v;
}

inline Tensor random_tensor(Rng& rng, const Shape& shape, double lo = -1.0, double hi = 1.0) {
  return Tensor::from(shape, random_floats(rng, shape_numel(shape), lo, hi));
}

/// One-hot rows (rows × cols) with a random class per row.
inline Tensor one_hot(Rng& rng, int64_t rows, int64_t cols) {
  Tensor t({rows, cols});
  for (int64_t r = 0; r < rows; ++r) t[r * cols + static_cast<int64_t>(rng.below(cols))] = 1.0f;
  return t;
}

/// |got - want| <= atol + rtol * |want| element-wise; on failure names the count of bad elements
/// and the worst one.
inline testing::AssertionResult all_close(const float* got, const float* want, int64_t n,
                                          double rtol, double atol) {
  int64_t bad = 0, worst = -1;
  double worst_excess = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double g = got[i], w = want[i];
    const double err = std::fabs(g - w), tol = atol + rtol * std::fabs(w);
    const bool same_nan = std::isnan(g) && std::isnan(w);
    const bool same_inf = std::isinf(g) && g == w;
    if (same_nan || same_inf) continue;
    if (!(err <= tol)) {
      ++bad;
      const double excess = std::isnan(err) ? INFINITY : err - tol;
      if (worst < 0 || excess > worst_excess) worst = i, worst_excess = excess;
    }
  }
  if (bad == 0) return testing::AssertionSuccess();
  std::ostringstream os;
  os.precision(9);
  os << bad << " of " << n << " elements differ (rtol " << rtol << ", atol " << atol
     << "); worst at [" << worst << "]: got " << got[worst] << ", want " << want[worst];
  return testing::AssertionFailure() << os.str();
}

inline testing::AssertionResult all_close(const std::vector<float>& got,
                                          const std::vector<float>& want, double rtol,
                                          double atol) {
  if (got.size() != want.size())
    return testing::AssertionFailure() << "size " << got.size() << " != " << want.size();
  return all_close(got.data(), want.data(), static_cast<int64_t>(got.size()), rtol, atol);
}

/// |got - want| <= tol * bound[i] + atol: for sums, where the error scales with the sum of the
/// magnitudes of the terms rather than with the result.
inline testing::AssertionResult all_close_bound(const float* got, const float* want,
                                                const std::vector<double>& bound, double tol,
                                                double atol) {
  const auto n = static_cast<int64_t>(bound.size());
  int64_t bad = 0, worst = -1;
  double worst_ratio = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double allowed = tol * bound[i] + atol;
    if (!(err <= allowed)) {
      ++bad;
      const double ratio = std::isnan(err) ? INFINITY : err / allowed;
      if (worst < 0 || ratio > worst_ratio) worst = i, worst_ratio = ratio;
    }
  }
  if (bad == 0) return testing::AssertionSuccess();
  std::ostringstream os;
  os.precision(9);
  os << bad << " of " << n << " elements differ (tol " << tol << " x bound + " << atol
     << "); worst at [" << worst << "]: got " << got[worst] << ", want " << want[worst]
     << ", bound " << bound[worst];
  return testing::AssertionFailure() << os.str();
}

/// Bit-for-bit equality.
inline testing::AssertionResult bit_equal(const float* got, const float* want, int64_t n) {
  if (n == 0 || std::memcmp(got, want, static_cast<size_t>(n) * sizeof(float)) == 0)
    return testing::AssertionSuccess();
  for (int64_t i = 0; i < n; ++i)
    if (std::memcmp(got + i, want + i, sizeof(float)) != 0)
      return testing::AssertionFailure()
             << "first difference at [" << i << "]: " << got[i] << " vs " << want[i];
  return testing::AssertionFailure();
}

/// Central difference of f with respect to *x: (f(x+eps) - f(x-eps)) / (2 eps), restoring *x.
/// The step actually taken in float is used, not the nominal eps.
inline double central_difference(const std::function<double()>& f, float* x, double eps = 1e-3) {
  const float saved = *x;
  const auto up = static_cast<float>(saved + eps), down = static_cast<float>(saved - eps);
  *x = up;
  const double f_up = f();
  *x = down;
  const double f_down = f();
  *x = saved;
  return (f_up - f_down) / (static_cast<double>(up) - static_cast<double>(down));
}

/// Numeric gradient of f with respect to every element of x.
inline std::vector<float> numeric_gradient(const std::function<double()>& f, float* x, int64_t n,
                                           double eps = 1e-3) {
  std::vector<float> g(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) g[i] = static_cast<float>(central_difference(f, x + i, eps));
  return g;
}

/// Gradient-check tolerance: |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|).
inline testing::AssertionResult grad_close(const float* analytic, const std::vector<float>& numeric,
                                           double rtol = 1e-2, double atol = 1e-3) {
  const auto n = static_cast<int64_t>(numeric.size());
  int64_t bad = 0, worst = -1;
  double worst_err = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double a = analytic[i], m = numeric[i];
    const double err = std::fabs(a - m), tol = atol + rtol * std::max(std::fabs(a), std::fabs(m));
    if (!(err <= tol)) {
      ++bad;
      if (worst < 0 || !(err <= worst_err)) worst = i, worst_err = err;
    }
  }
  if (bad == 0) return testing::AssertionSuccess();
  std::ostringstream os;
  os.precision(7);
  os << bad << " of " << n << " gradient entries disagree; worst at [" << worst << "]: analytic "
     << analytic[worst] << ", numeric " << numeric[worst];
  return testing::AssertionFailure() << os.str();
}

/// Σ w_i * x_i in double: turns a tensor output into a scalar objective with dL/dx = w.
inline double weighted_sum(const float* x, const float* w, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * w[i];
  return s;
}

}  // namespace glia::test
