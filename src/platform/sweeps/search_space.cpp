// Parsing and checking a sweep's search space (Azure ML CLI v2's expressions).
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

#include "glia/error.hpp"
#include "glia/platform/sweep_space.hpp"

namespace glia::platform::sweeps {

namespace {

constexpr std::array<std::pair<ExpressionKind, const char*>, 10> kKindNames = {{
    {ExpressionKind::Choice, "choice"},
    {ExpressionKind::Randint, "randint"},
    {ExpressionKind::Uniform, "uniform"},
    {ExpressionKind::Quniform, "quniform"},
    {ExpressionKind::Loguniform, "loguniform"},
    {ExpressionKind::Qloguniform, "qloguniform"},
    {ExpressionKind::Normal, "normal"},
    {ExpressionKind::Qnormal, "qnormal"},
    {ExpressionKind::Lognormal, "lognormal"},
    {ExpressionKind::Qlognormal, "qlognormal"},
}};

// exp(x) fits a double for x <= 709 (log of the largest double is 709.78).
constexpr double kMaxExponent = 709;
// Box-Muller and the inverse normal CDF reach |z| < 9 with 53-bit uniforms.
constexpr double kTailSigmas = 10;

bool is_log_normal(ExpressionKind kind) {
  return kind == ExpressionKind::Lognormal || kind == ExpressionKind::Qlognormal;
}

// The keys each kind takes besides `type`.
std::vector<std::string> keys_of(ExpressionKind kind) {
  switch (kind) {
    case ExpressionKind::Choice:
      return {"values"};
    case ExpressionKind::Randint:
      return {"upper"};
    case ExpressionKind::Uniform:
    case ExpressionKind::Loguniform:
      return {"min_value", "max_value"};
    case ExpressionKind::Quniform:
    case ExpressionKind::Qloguniform:
      return {"min_value", "max_value", "q"};
    case ExpressionKind::Normal:
    case ExpressionKind::Lognormal:
      return {"mu", "sigma"};
    case ExpressionKind::Qnormal:
    case ExpressionKind::Qlognormal:
      return {"mu", "sigma", "q"};
  }
  return {};
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

double number(const nlohmann::json& j, const std::string& key, const std::string& where) {
  const auto& v = j.at(key);
  if (!v.is_number()) {
    throw Error(where + "." + key + ": expected a number, got " + v.dump());
  }
  const double x = v.get<double>();
  if (!std::isfinite(x)) throw Error(where + "." + key + ": expected a finite number");
  return x;
}

}  // namespace

std::string to_string(ExpressionKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  throw Error(ErrorKind::Internal, "sweep expression: unknown kind");
}

ExpressionKind parse_kind(const std::string& name, const std::string& where) {
  std::vector<std::string> names;
  for (const auto& [k, n] : kKindNames) {
    if (name == n) return k;
    names.emplace_back(n);
  }
  throw Error(where + ".type: unknown expression '" + name + "' (expected one of: " + join(names) +
              ")");
}

Expression parse_expression(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) {
    throw Error(where + ": expected a mapping such as {type: choice, values: [...]}, got " +
                j.dump());
  }
  if (!j.contains("type")) throw Error(where + ": missing key 'type'");
  if (!j.at("type").is_string()) {
    throw Error(where + ".type: expected a string, got " + j.at("type").dump());
  }
  Expression e;
  e.kind = parse_kind(j.at("type").get<std::string>(), where);
  const auto keys = keys_of(e.kind);
  const std::string kind_name = to_string(e.kind);
  for (const auto& [key, value] : j.items()) {
    if (key == "type") continue;
    bool known = false;
    for (const auto& k : keys) known = known || k == key;
    if (!known) {
      throw Error(where + "." + key + ": unknown key for " + kind_name + " (expected: type, " +
                  join(keys) + ")");
    }
  }
  for (const auto& k : keys) {
    if (!j.contains(k)) throw Error(where + ": missing key '" + k + "' for " + kind_name);
  }
  switch (e.kind) {
    case ExpressionKind::Choice: {
      const auto& values = j.at("values");
      if (!values.is_array()) {
        throw Error(where + ".values: expected a list of values, got " + values.dump());
      }
      if (values.empty()) throw Error(where + ".values: expected at least one value");
      for (std::size_t i = 0; i < values.size(); ++i) {
        const auto& v = values[i];
        if (!(v.is_number() || v.is_string() || v.is_boolean())) {
          throw Error(where + ".values[" + std::to_string(i) +
                      "]: expected a number, string or boolean, got " + v.dump());
        }
        if (const auto same = std::find(e.values.begin(), e.values.end(), v);
            same != e.values.end()) {  // 2 and 2.0 too: a grid would run it twice
          throw Error(where + ".values[" + std::to_string(i) + "]: " + v.dump() +
                      " is already values[" + std::to_string(same - e.values.begin()) +
                      "] (each value once)");
        }
        e.values.push_back(v);
      }
      break;
    }
    case ExpressionKind::Randint: {
      const auto& v = j.at("upper");
      if (!v.is_number_integer()) {
        throw Error(where + ".upper: expected an integer, got " + v.dump());
      }
      if (v.is_number_unsigned() &&
          v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        throw Error(where + ".upper: too large: " + v.dump());
      }
      e.upper = v.get<int64_t>();
      if (e.upper < 1) {
        throw Error(where + ".upper: expected an integer >= 1, got " + std::to_string(e.upper));
      }
      break;
    }
    case ExpressionKind::Uniform:
    case ExpressionKind::Quniform:
    case ExpressionKind::Loguniform:
    case ExpressionKind::Qloguniform:
      e.min_value = number(j, "min_value", where);
      e.max_value = number(j, "max_value", where);
      if (e.min_value >= e.max_value) {
        throw Error(where + ".max_value: expected more than min_value (" +
                    j.at("min_value").dump() + "), got " + j.at("max_value").dump());
      }
      if (!std::isfinite(e.max_value - e.min_value)) {
        throw Error(where + ".max_value: the range from min_value is too wide for a double");
      }
      if ((e.kind == ExpressionKind::Loguniform || e.kind == ExpressionKind::Qloguniform) &&
          e.max_value > kMaxExponent) {
        throw Error(where + ".max_value: an exponent, expected at most " +
                    std::to_string(static_cast<int>(kMaxExponent)) + " (exp(max_value) " +
                    "must fit a double), got " + j.at("max_value").dump());
      }
      break;
    case ExpressionKind::Normal:
    case ExpressionKind::Qnormal:
    case ExpressionKind::Lognormal:
    case ExpressionKind::Qlognormal:
      e.mu = number(j, "mu", where);
      e.sigma = number(j, "sigma", where);
      if (e.sigma <= 0) {
        throw Error(where + ".sigma: expected a number > 0, got " + j.at("sigma").dump());
      }
      // Draws reach about mu +- 9 sigma; they (and exp of them) must fit a double.
      if (!std::isfinite(std::fabs(e.mu) + kTailSigmas * e.sigma) ||
          (is_log_normal(e.kind) && e.mu + kTailSigmas * e.sigma > kMaxExponent)) {
        throw Error(where + ".sigma: mu + " + std::to_string(static_cast<int>(kTailSigmas)) +
                    " sigma is too large for a double" +
                    (is_log_normal(e.kind) ? " once exponentiated" : ""));
      }
      break;
  }
  if (j.contains("q")) {
    e.q = number(j, "q", where);
    if (e.q <= 0) throw Error(where + ".q: expected a number > 0, got " + j.at("q").dump());
  }
  return e;
}

SearchSpace parse_search_space(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) {
    throw Error(where + ": expected a mapping of parameter names to expressions, got " + j.dump());
  }
  if (j.empty()) throw Error(where + ": expected at least one parameter");
  SearchSpace space;
  for (const auto& [name, value] : j.items()) {
    if (name.empty()) throw Error(where + ": a parameter name is empty");
    space.emplace(name, parse_expression(value, where + "." + name));
  }
  return space;
}

void check_space_for(const SearchSpace& space, const std::string& algorithm,
                     const std::string& where) {
  if (algorithm != "random" && algorithm != "grid" && algorithm != "bayesian") {
    throw Error(where + ".sampling_algorithm: unknown algorithm '" + algorithm +
                "' (expected one of: random, grid, bayesian)");
  }
  if (space.empty()) throw Error(where + ".search_space: expected at least one parameter");
  for (const auto& [name, e] : space) {
    const bool ok = algorithm == "random" || e.kind == ExpressionKind::Choice ||
                    (algorithm == "bayesian" &&
                     (e.kind == ExpressionKind::Uniform || e.kind == ExpressionKind::Quniform));
    if (!ok) {
      throw Error(where + ".search_space." + name + ": " + algorithm + " sampling does not take " +
                  to_string(e.kind) + " (expected " +
                  (algorithm == "grid" ? "choice" : "choice, uniform or quniform") + ")");
    }
  }
}

}  // namespace glia::platform::sweeps
