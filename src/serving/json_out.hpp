// Numbers into JSON text fast (private to glia_serving): float32 in its shortest round-trip form
// (std::to_chars), a value JSON cannot hold (NaN, infinity) as null.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace glia::serving::detail {

inline void append_float(std::string& out, float v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

inline void append_int(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

/// `[a, b, ...]` of `n` floats (no spaces).
inline void append_floats(std::string& out, const float* v, int64_t n) {
  out += '[';
  for (int64_t i = 0; i < n; ++i) {
    if (i) out += ',';
    append_float(out, v[i]);
  }
  out += ']';
}

/// The index of the largest of `n` values (the first on ties; NaN never wins).
inline int64_t argmax(const float* v, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (v[i] > v[best] || (std::isnan(v[best]) && !std::isnan(v[i]))) best = i;
  return best;
}

/// A JSON string literal of `s` (quotes and escapes).
std::string json_string(const std::string& s);

}  // namespace glia::serving::detail
