// A trial's sampled parameters in its command: parameter_text (how a value is written) and
// render_search_space (substituting ${{search_space.NAME}}).
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <system_error>

#include "glia/error.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "job_spec_detail.hpp"

namespace glia::platform {
namespace {

// Python's repr of a float: the shortest digits that read back exactly, in fixed notation for
// decimal exponents -4..15 ("0.0001", "2.0", "1000000000000000.0"), else in scientific notation
// with a signed exponent of at least two digits ("1e-05", "1.5e+16").
std::string python_float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  if (ec != std::errc()) throw Error(ErrorKind::Internal, "parameter_text: to_chars failed");
  const std::string sci(buf, end);  // "-1.2345e-05"
  const std::size_t e = sci.find('e');
  const bool negative = sci.front() == '-';
  std::string digits;
  for (std::size_t i = negative ? 1 : 0; i < e; ++i) {
    if (sci[i] != '.') digits += sci[i];
  }
  const int exponent = std::atoi(sci.c_str() + e + 1);
  std::string out = negative ? "-" : "";
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    } else {
      const auto point = static_cast<std::size_t>(exponent) + 1;
      if (digits.size() <= point) {
        out += digits + std::string(point - digits.size(), '0') + ".0";
      } else {
        out += digits.substr(0, point) + "." + digits.substr(point);
      }
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  const int magnitude = std::abs(exponent);
  out += std::string("e") + (exponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "") +
         std::to_string(magnitude);
  return out;
}

}  // namespace

std::string parameter_text(const nlohmann::json& value) {
  if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number_float()) return python_float_repr(value.get<double>());
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  throw Error("a sweep parameter's value must be a number, a string or a boolean, got " +
              value.dump());
}

std::string render_search_space(const std::string& command, const sweeps::Parameters& params) {
  using job_spec_detail::Placeholder;
  const auto placeholders = job_spec_detail::scan_placeholders("trial", command);
  std::string out;
  std::size_t pos = 0;
  for (const auto& p : placeholders) {
    if (p.space != Placeholder::Space::SearchSpace) continue;
    const auto it = params.find(p.name);
    if (it == params.end()) {
      throw Error(job_spec_detail::one_line("trial: the command uses " + p.text +
                                            " but the trial's parameters have no '" + p.name +
                                            "'"));
    }
    out.append(command, pos, p.begin - pos);
    out += parameter_text(it->second);
    pos = p.end;
  }
  out.append(command, pos, std::string::npos);
  return out;
}

}  // namespace glia::platform
