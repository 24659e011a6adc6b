#include "sweeps/expression_value.hpp"

#include <cmath>
#include <limits>

#include "glia/error.hpp"

namespace glia::platform::sweeps::detail {

namespace {

// x, checked: the parse-time bounds keep every draw finite, so a non-finite one is a bug.
double finite(double x, const Expression& e) {
  if (!std::isfinite(x)) {
    throw Error(ErrorKind::Internal,
                "sweep expression " + to_string(e.kind) + ": a draw is not a finite number");
  }
  return x;
}

// round(x / q) * q; a whole-number q gives an integer.
nlohmann::json quantize(double x, double q) {
  double r = std::round(x / q) * q;
  if (r == 0.0) r = 0.0;  // never -0.0, which JSON would print as "-0.0"
  if (q == std::floor(q) && std::fabs(r) < 9.0e18) return static_cast<int64_t>(r);
  return r;
}

int64_t index_from_unit(double u, int64_t n) {
  auto i = static_cast<int64_t>(std::floor(u * static_cast<double>(n)));
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return i;
}

}  // namespace

bool is_normal_family(ExpressionKind kind) {
  return kind == ExpressionKind::Normal || kind == ExpressionKind::Qnormal ||
         kind == ExpressionKind::Lognormal || kind == ExpressionKind::Qlognormal;
}

nlohmann::json value_from_uniform(const Expression& e, double u) {
  const double x = finite(e.min_value + u * (e.max_value - e.min_value), e);
  switch (e.kind) {
    case ExpressionKind::Choice:
      return e.values.at(
          static_cast<std::size_t>(index_from_unit(u, static_cast<int64_t>(e.values.size()))));
    case ExpressionKind::Randint:
      return index_from_unit(u, e.upper);
    case ExpressionKind::Uniform:
      return x;
    case ExpressionKind::Quniform:
      return quantize(x, e.q);
    case ExpressionKind::Loguniform:
      return finite(std::exp(x), e);
    case ExpressionKind::Qloguniform:
      return quantize(finite(std::exp(x), e), e.q);
    case ExpressionKind::Normal:
    case ExpressionKind::Qnormal:
    case ExpressionKind::Lognormal:
    case ExpressionKind::Qlognormal:
      return value_from_normal(e, inverse_normal_cdf(u));
  }
  throw Error(ErrorKind::Internal, "sweep expression: unknown kind");
}

nlohmann::json value_from_normal(const Expression& e, double z) {
  const double x = finite(e.mu + e.sigma * z, e);
  switch (e.kind) {
    case ExpressionKind::Normal:
      return x;
    case ExpressionKind::Qnormal:
      return quantize(x, e.q);
    case ExpressionKind::Lognormal:
      return finite(std::exp(x), e);
    case ExpressionKind::Qlognormal:
      return quantize(finite(std::exp(x), e), e.q);
    default:
      throw Error(ErrorKind::Internal,
                  "sweep expression: " + to_string(e.kind) + " is not drawn from a normal");
  }
}

double inverse_normal_cdf(double p) {
  // Coefficients of Peter J. Acklam's rational approximation.
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  if (!(p > 0.0 && p < 1.0)) {
    throw Error(ErrorKind::Internal, "inverse normal CDF: p must be in (0, 1)");
  }
  const double p_low = 0.02425;
  if (p < p_low) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - p_low) {
    const double q = std::sqrt(-2 * std::log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

double unit_from_bits(uint64_t bits) {
  // The top 52 bits, centred in their cell: (k + 0.5) / 2^52 is exact and lies strictly inside
  // (0, 1); with 53 bits the last cell's centre, 1 - 2^-54, would round to 1.
  return (static_cast<double>(bits >> 12) + 0.5) * 0x1.0p-52;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace glia::platform::sweeps::detail
