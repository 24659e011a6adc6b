// Number checks for command-line options, shared by `glia` and the example programs. CLI11's own
// PositiveNumber and NonNegativeNumber report a range up to DBL_MAX ("Value 0 not in range
// 0.000000 to 1797693...") and call a word "Value abc not in range"; these name what was expected
// and what was given: "--limit: expected a positive integer, got '0'".
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <type_traits>

namespace glia::cli {

namespace detail {

inline std::string in_quotes(const std::string& s) {
  return "'" + s + "'";
}

// `min`: 1 for positive, 0 for non-negative; T: the option's own type, so a value it cannot hold
// is said with its real bound ("at most 2147483647") rather than CLI11's "Could not convert".
template <class T>
CLI::Validator integer_at_least(T min) {
  const std::string what = min > 0 ? "a positive integer" : "an integer >= 0";
  return CLI::Validator(
      [min, what](std::string& input) -> std::string {
        T v{};
        const char* end = input.data() + input.size();
        auto [p, ec] = std::from_chars(input.data(), end, v);
        if (ec == std::errc::result_out_of_range && p == end && input.front() != '-')
          return "expected " + what + " (at most " + std::to_string(std::numeric_limits<T>::max()) +
                 "), got " + in_quotes(input);
        if (ec != std::errc() || p != end || v < min)
          return "expected " + what + ", got " + in_quotes(input);
        return {};
      },
      min > 0 ? "POSITIVE" : "NONNEGATIVE");
}

inline CLI::Validator number_above(bool allow_zero) {
  const std::string what = allow_zero ? "a number >= 0" : "a positive number";
  return CLI::Validator(
      [allow_zero, what](std::string& input) -> std::string {
        char* end = nullptr;
        const double v = input.empty() ? NAN : std::strtod(input.c_str(), &end);
        if (input.empty() || end != input.c_str() + input.size() || !std::isfinite(v) || v < 0.0 ||
            (!allow_zero && v == 0.0))
          return "expected " + what + ", got " + in_quotes(input);
        return {};
      },
      allow_zero ? "NONNEGATIVE" : "POSITIVE");
}

}  // namespace detail

/// An integer >= 1 that T holds ("--limit: expected a positive integer, got '0'"). T: the
/// option's type, e.g. positive_int<decltype(args.limit)>().
template <class T = int64_t>
const CLI::Validator& positive_int() {
  static const CLI::Validator v = detail::integer_at_least<std::remove_cvref_t<T>>(1);
  return v;
}
/// An integer >= 0 that T holds (for an unsigned T, "-1" is refused rather than wrapped).
template <class T = int64_t>
const CLI::Validator& non_negative_int() {
  static const CLI::Validator v = detail::integer_at_least<std::remove_cvref_t<T>>(0);
  return v;
}
/// A finite number > 0 (a learning rate).
inline const CLI::Validator& positive_number() {
  static const CLI::Validator v = detail::number_above(false);
  return v;
}
/// A finite number >= 0.
inline const CLI::Validator& non_negative_number() {
  static const CLI::Validator v = detail::number_above(true);
  return v;
}

}  // namespace glia::cli
