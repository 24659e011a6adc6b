// escape_bytes: valid UTF-8 kept, everything else (and what breaks a line) as escapes.
#include "glia/escape.hpp"

#include <cstdint>
#include <cstdio>

namespace glia {

namespace {

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates,
// at most U+10FFFF), or 0. `cp` receives its code point.
size_t utf8_length(std::string_view s, size_t i, uint32_t& cp) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  size_t n;
  uint32_t min;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// Code points that are valid but would break the line or reorder the text on a terminal.
bool unsafe(uint32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
         cp == 0x200F || cp == 0x061C;
}

void hex(std::string& out, unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", b);
  out += buf;
}

}  // namespace

std::string escape_bytes(std::string_view bytes, size_t max_bytes) {
  std::string out;
  out.reserve(bytes.size() < 256 ? bytes.size() + 8 : 256);
  size_t i = 0;
  while (i < bytes.size()) {
    uint32_t cp = 0;
    size_t n = utf8_length(bytes, i, cp);
    const size_t step = n == 0 ? 1 : n;
    if (i + step > max_bytes) {
      out += "...";
      return out;
    }
    if (n == 0 || unsafe(cp)) {
      if (cp == '\n' && n == 1)
        out += "\\n";
      else if (cp == '\r' && n == 1)
        out += "\\r";
      else if (cp == '\t' && n == 1)
        out += "\\t";
      else
        for (size_t k = 0; k < step; ++k) hex(out, static_cast<unsigned char>(bytes[i + k]));
    } else {
      out.append(bytes.substr(i, n));
    }
    i += step;
  }
  return out;
}

std::string quote_bytes(std::string_view bytes, size_t max_bytes) {
  return "'" + escape_bytes(bytes, max_bytes) + "'";
}

}  // namespace glia
