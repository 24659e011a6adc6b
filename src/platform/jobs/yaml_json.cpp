// A job file's YAML node as JSON, its plain scalars typed as YAML 1.2's core schema types them
// (a sweep's search space and settings are JSON: sweep_space.hpp, sweep_spec.hpp).
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "job_spec_detail.hpp"
#include "job_spec_yaml.hpp"

namespace glia::platform::job_spec_detail {
namespace {

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

bool is_null_text(std::string_view t) {
  return t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL";
}

bool all_of(std::string_view t, std::string_view chars) {
  return !t.empty() && t.find_first_not_of(chars) == std::string_view::npos;
}

// An integer of the core schema: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+. nullopt: not one;
// "too large" is reported by the caller through `overflow`.
std::optional<nlohmann::json> integer(std::string_view t, bool& overflow) {
  int base = 10;
  bool negative = false;
  std::string_view digits = t;
  if (t.starts_with("0o")) {
    base = 8;
    digits = t.substr(2);
    if (!all_of(digits, "01234567")) return std::nullopt;
  } else if (t.starts_with("0x")) {
    base = 16;
    digits = t.substr(2);
    if (!all_of(digits, "0123456789abcdefABCDEF")) return std::nullopt;
  } else {
    if (t.starts_with('-') || t.starts_with('+')) {
      negative = t.front() == '-';
      digits = t.substr(1);
    }
    if (!all_of(digits, "0123456789")) return std::nullopt;
  }
  uint64_t magnitude = 0;
  const auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    overflow = true;
    return std::nullopt;
  }
  if (!negative) {
    if (magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return nlohmann::json(static_cast<int64_t>(magnitude));
    }
    return nlohmann::json(magnitude);
  }
  if (magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
    overflow = true;
    return std::nullopt;
  }
  return nlohmann::json(magnitude == 0 ? int64_t{0} : static_cast<int64_t>(0 - magnitude));
}

// A float of the core schema: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, or
// [-+]?\.inf / \.nan (returned as non-finite, refused by the caller).
std::optional<double> floating(std::string_view t) {
  std::string_view s = t;
  bool negative = false;
  if (s.starts_with('-') || s.starts_with('+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (t == ".nan" || t == ".NaN" || t == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  // The mantissa: digits with at most one '.', at least one digit.
  std::size_t i = 0;
  std::size_t digits = 0;
  bool dot = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else if (s[i] == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size()) {
    if (s[i] != 'e' && s[i] != 'E') return std::nullopt;
    std::size_t j = i + 1;
    if (j < s.size() && (s[j] == '-' || s[j] == '+')) ++j;
    if (!all_of(s.substr(j), "0123456789")) return std::nullopt;
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (end != s.data() + s.size() || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range) {
    // Too large: infinite (refused by the caller); too small: 0.
    const bool large =
        s.find_first_of("eE") != std::string_view::npos && s[s.find_first_of("eE") + 1] != '-';
    value = large ? std::numeric_limits<double>::infinity() : 0.0;
  }
  return negative ? -value : value;
}

nlohmann::json plain_scalar(const YamlReader& yaml, const std::string& text, const std::string& key,
                            std::string_view only = {}) {
  const auto wants = [&](std::string_view type) { return only.empty() || only == type; };
  if (wants("null") && is_null_text(text)) return nullptr;
  if (wants("bool")) {
    if (const auto b = parse_bool(text)) return *b;
  }
  if (wants("int")) {
    bool overflow = false;
    if (auto i = integer(text, overflow)) return *i;
    if (overflow) yaml.error(key + ": the integer " + in_quotes(text) + " does not fit 64 bits");
  }
  if (wants("float")) {
    if (const auto f = floating(text)) {
      if (!std::isfinite(*f))
        yaml.error(key + ": expected a finite number, got " + in_quotes(text));
      return *f;
    }
  }
  if (!only.empty()) {
    yaml.error(key + ": " + in_quotes(text) + " is not a valid !!" + std::string(only));
  }
  return text;
}

}  // namespace

nlohmann::json to_json(const YamlReader& yaml, const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || node.IsNull()) {
    // "!!str" on an empty scalar would be "", but yaml-cpp reads it as null: say null.
    return nullptr;
  }
  if (node.IsMap()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [name, value] : yaml.entries(node, key)) {
      out[name] = to_json(yaml, value, key + "." + name);
    }
    return out;
  }
  if (node.IsSequence()) {
    nlohmann::json out = nlohmann::json::array();
    std::size_t i = 0;
    for (const auto& item : node) {
      out.push_back(to_json(yaml, item, key + "[" + std::to_string(i++) + "]"));
    }
    return out;
  }
  const std::string& tag = node.Tag();
  const std::string& text = node.Scalar();
  if (tag == "!" || tag == std::string(kTagPrefix) + "str") return text;  // quoted, or !!str
  if (tag == "?" || tag.empty()) return plain_scalar(yaml, text, key);
  if (tag.starts_with(kTagPrefix)) {
    const std::string type = tag.substr(kTagPrefix.size());
    if (type == "null" || type == "bool" || type == "int" || type == "float") {
      return plain_scalar(yaml, text, key, type);
    }
  }
  yaml.error(key + ": unsupported YAML tag " + in_quotes(tag));
}

}  // namespace glia::platform::job_spec_detail
