// The store's records as JSON (store_json.hpp): where a value sits (Path), the checks of an
// object's keys (also json_check_keys) and the readers and writers of strings, booleans, integers
// and doubles (NaN and ±infinity as strings) that every record's members use.
#include "glia/platform/store_json.hpp"

#include <cmath>
#include <limits>

#include "store_json_codec.hpp"

namespace glia::platform {
namespace store_json {

std::string Path::str() const {
  std::string out = parent ? parent->str() : std::string();
  if (index) {
    out += "[" + std::to_string(*index) + "]";
  } else if (key) {
    out += "['" + *key + "']";
  } else if (field) {
    if (parent) out += ".";
    out += field;
  }
  return out;
}

void fail(const Path& path, const std::string& what) {
  throw Error(path.str() + ": " + what);
}

void check_object(const json& j, const Path& path) {
  if (!j.is_object()) fail(path, std::string("expected a JSON object, got ") + j.type_name());
}

void check_keys(const json& j, const char* const* first, const char* const* last,
                const Path& path) {
  check_object(j, path);
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* const* k = first; k != last && !known; ++k) known = it.key() == *k;
    if (!known) fail(path, "unknown field '" + it.key() + "'");
  }
}

json write(const std::string& v) {
  return v;
}
json write(bool v) {
  return v;
}
json write(int v) {
  return v;
}
json write(int64_t v) {
  return v;
}

json write(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

void read(const json& j, std::string& v, const Path& path) {
  if (!j.is_string()) fail(path, std::string("expected a string, got ") + j.type_name());
  v = j.get_ref<const std::string&>();
}

void read(const json& j, bool& v, const Path& path) {
  if (!j.is_boolean()) fail(path, std::string("expected true or false, got ") + j.type_name());
  v = j.get<bool>();
}

namespace {

/// An integer in [lo, hi]: a JSON integer, never a fraction, a string or a boolean.
int64_t read_integer(const json& j, int64_t lo, int64_t hi, const Path& path) {
  if (j.is_number_float()) fail(path, "expected an integer, got " + j.dump());
  if (!j.is_number_integer()) fail(path, std::string("expected an integer, got ") + j.type_name());
  const bool in_range = j.is_number_unsigned() ? j.get<uint64_t>() <= static_cast<uint64_t>(hi)
                                               : j.get<int64_t>() >= lo && j.get<int64_t>() <= hi;
  if (!in_range) {
    fail(path, "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                   ", got " + j.dump());
  }
  return j.is_number_unsigned() ? static_cast<int64_t>(j.get<uint64_t>()) : j.get<int64_t>();
}

}  // namespace

void read(const json& j, int& v, const Path& path) {
  v = static_cast<int>(
      read_integer(j, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), path));
}

void read(const json& j, int64_t& v, const Path& path) {
  v = read_integer(j, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                   path);
}

void read(const json& j, double& v, const Path& path) {
  if (j.is_number()) {
    v = j.get<double>();
    return;
  }
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN") {
      v = std::numeric_limits<double>::quiet_NaN();
      return;
    }
    if (s == "Infinity" || s == "-Infinity") {
      v = s[0] == '-' ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
      return;
    }
    fail(path, "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\", got \"" + s + "\"");
  }
  fail(path, std::string("expected a number, got ") + j.type_name());
}

}  // namespace store_json

void json_check_keys(const nlohmann::json& j, std::initializer_list<const char*> known,
                     const std::string& what) {
  const store_json::Path root{nullptr, what.c_str(), nullptr, std::nullopt};
  store_json::check_keys(j, known.begin(), known.end(), root);
}

}  // namespace glia::platform
