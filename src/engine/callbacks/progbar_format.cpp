#include "engine/callbacks/progbar_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>

#include "glia/error.hpp"

namespace glia::progbar {
namespace {

constexpr int kBarWidth = 20;
constexpr std::string_view kBold = "\x1b[1m", kGreen = "\x1b[32m", kGrey = "\x1b[37m",
                           kReset = "\x1b[0m", kBlock = "\u2501";  // ━

__attribute__((format(printf, 1, 2))) std::string sfmt(const char* format, ...) {
  char buf[128];
  va_list args;
  va_start(args, format);
  int n = std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  if (n < static_cast<int>(sizeof buf)) return std::string(buf, n < 0 ? 0 : n);
  std::string out(n, '\0');
  va_start(args, format);
  std::vsnprintf(out.data(), out.size() + 1, format, args);
  va_end(args);
  return out;
}

void append(std::string& out, std::initializer_list<std::string_view> parts) {
  for (std::string_view part : parts) out.append(part);
}

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

struct Spec {
  char sign = '-';
  bool zero = false;
  int width = 0;
  int precision = -1;
  char type = 0;
};

Spec parse_spec(std::string_view spec) {
  Spec s;
  size_t i = 0;
  auto bad = [&] { return Error("unsupported format spec '" + std::string(spec) + "'"); };
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) s.sign = spec[i++];
  if (i < spec.size() && spec[i] == '0') s.zero = true, ++i;
  while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9')
    s.width = s.width * 10 + spec[i++] - '0';
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    if (i == spec.size() || spec[i] < '0' || spec[i] > '9') throw bad();
    s.precision = 0;
    while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
      s.precision = s.precision * 10 + spec[i++] - '0';
    }
  }
  if (i < spec.size()) s.type = spec[i++];
  if (i != spec.size() ||
      (s.type != 0 && std::string_view("dfFeEgG%").find(s.type) == std::string_view::npos)) {
    throw bad();
  }
  return s;
}

// The digits of |x| without sign or padding, as Python formats them for the given spec.
std::string format_body(double a, const Spec& s, bool integer) {
  if (integer && (s.type == 0 || s.type == 'd')) {
    if (s.precision >= 0) throw Error("precision is not allowed in an integer format spec");
    return sfmt("%lld", static_cast<long long>(a));
  }
  if (s.type == 'd') throw Error("format code 'd' needs an integer, not a float value");
  bool upper = s.type == 'F' || s.type == 'E' || s.type == 'G';
  if (!std::isfinite(a)) {
    std::string body = std::isnan(a) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
    return s.type == '%' ? body + "%" : body;
  }
  int p = s.precision < 0 ? 6 : s.precision;
  switch (s.type) {
    case 'f':
    case 'F':
      return sfmt("%.*f", p, a);
    case 'e':
      return sfmt("%.*e", p, a);
    case 'E':
      return sfmt("%.*E", p, a);
    case 'g':
      return sfmt("%.*g", p == 0 ? 1 : p, a);
    case 'G':
      return sfmt("%.*G", p == 0 ? 1 : p, a);
    case '%':
      return sfmt("%.*f%%", p, a * 100.0);
    default: {  // no type: repr, or 'g' that keeps a ".0" with a precision
      if (s.precision < 0) return python_repr(a);
      std::string body = sfmt("%.*g", p == 0 ? 1 : p, a);
      if (body.find_first_of(".e") == std::string::npos) body += ".0";
      return body;
    }
  }
}

}  // namespace

std::string python_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string_view s(buf, result.ptr - buf);  // [-]d[.ddd]e(+|-)dd
  std::string out;
  if (s.front() == '-') out = "-", s.remove_prefix(1);
  size_t e = s.find('e');
  std::string digits;
  for (char c : s.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exponent = std::atoi(std::string(s.substr(e + 1)).c_str());
  int point = exponent + 1;  // digits are 0.ddd x 10^point
  int n = static_cast<int>(digits.size());
  if (point > -4 && point <= 16) {
    if (point <= 0) {
      out += "0." + std::string(-point, '0') + digits;
    } else if (point >= n) {
      out += digits + std::string(point - n, '0') + ".0";
    } else {
      out += digits.substr(0, point) + "." + digits.substr(point);
    }
  } else {
    out += digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    out += sfmt("e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  }
  return out;
}

std::string python_format(double x, std::string_view spec, bool integer) {
  Spec s = parse_spec(spec);
  std::string body = format_body(std::fabs(x), s, integer);
  std::string sign = std::signbit(x) && !std::isnan(x) ? "-"
                     : s.sign == '+'                   ? "+"
                     : s.sign == ' '                   ? " "
                                                       : "";
  int pad = s.width - static_cast<int>(sign.size() + body.size());
  if (pad <= 0) return sign + body;
  return s.zero ? sign + std::string(pad, '0') + body : std::string(pad, ' ') + sign + body;
}

std::string format_value(double x, bool use_abs) {
  if (std::isnan(x)) return "nan";
  bool fixed = use_abs ? std::fabs(x) > 1e-3 : x > 1e-3;
  return fixed ? sfmt("%.4f", x) : sfmt("%.4e", x);
}

std::string format_time_per_step(double seconds, std::string_view unit) {
  std::string u(unit);
  if (seconds >= 1 || seconds == 0) return sfmt(" %.0fs/%s", seconds, u.c_str());
  if (seconds >= 1e-3) return sfmt(" %.0fms/%s", seconds * 1000.0, u.c_str());
  return sfmt(" %.0fus/%s", seconds * 1000000.0, u.c_str());
}

std::string format_eta(double seconds) {
  // Python's float a // b for positive values: (a - a % b) / b, rounded to the nearest integer.
  auto floor_div = [](double a, double b) { return std::round((a - std::fmod(a, b)) / b); };
  if (seconds > 3600) {
    return sfmt("%lld:%02lld:%02lld", static_cast<long long>(floor_div(seconds, 3600)),
                static_cast<long long>(floor_div(std::fmod(seconds, 3600), 60)),
                static_cast<long long>(std::fmod(seconds, 60)));
  }
  if (seconds > 60) {
    return sfmt("%lld:%02lld", static_cast<long long>(floor_div(seconds, 60)),
                static_cast<long long>(std::fmod(seconds, 60)));
  }
  return sfmt("%llds", static_cast<long long>(seconds));
}

std::string format_count(int64_t current, int64_t target) {
  int digits = 1;
  for (int64_t t = target; t >= 10; t /= 10) ++digits;
  return sfmt("%*lld/%lld", digits, static_cast<long long>(current),
              static_cast<long long>(target));
}

size_t display_width(std::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && (text[i] < 0x40 || text[i] > 0x7e)) ++i;  // up to the final byte
      continue;
    }
    if ((c & 0xC0) != 0x80) ++width;  // count UTF-8 lead bytes only
  }
  return width;
}

std::string bar_line(int64_t current, int64_t target, bool finalize, double elapsed,
                     double time_per_step, const Values& values) {
  std::string line;
  if (target > 0) {
    append(line, {kBold, format_count(current, target), kReset, " "});
    double progress = static_cast<double>(current) / static_cast<double>(target);
    int done = static_cast<int>(kBarWidth * progress);
    if (done > 0) append(line, {kGreen, repeat(kBlock, done), kReset});
    append(line, {kGrey, repeat(kBlock, kBarWidth - done), kReset});
  } else {
    line = sfmt("%7lld/Unknown", static_cast<long long>(current));
  }
  std::string when = target > 0 && !finalize
                         ? format_eta(time_per_step * static_cast<double>(target - current))
                         : sfmt("%.0fs", elapsed);
  append(line, {" ", kBold, when, kReset, format_time_per_step(time_per_step)});
  for (const auto& [key, value] : values)
    append(line, {" - ", key, ": ", format_value(value, true)});
  return line;
}

std::string redraw(const std::string& line, size_t prev_width, bool finalize) {
  std::string out(prev_width, '\b');
  out += '\r';
  out += line;
  size_t width = display_width(line);
  if (prev_width > width) out.append(prev_width - width, ' ');
  if (finalize) out += '\n';
  return out;
}

std::string epoch_line(int64_t target, double elapsed, double time_per_step, const Values& values) {
  std::string line = format_count(target, target) + sfmt(" - %.0fs -", elapsed);
  line += format_time_per_step(time_per_step);
  for (const auto& [key, value] : values) {
    append(line, {" - ", key, ": ", format_value(value, false)});
  }
  return line + "\n";
}

}  // namespace glia::progbar
