// Times as the JSON views (and the CLI) print them: ISO 8601 in UTC.
#include <cmath>
#include <cstdio>
#include <ctime>

#include "glia/platform/json_views.hpp"

namespace glia::platform {

std::string iso_time(std::optional<double> t) {
  if (!t) return "";
  std::time_t s = static_cast<std::time_t>(*t);
  std::tm parts{};
  ::gmtime_r(&s, &parts);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buf;
}

std::string iso_time_ms(double t) {
  std::string s = iso_time(t);
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03d", static_cast<int>((t - std::floor(t)) * 1000) % 1000);
  return s.insert(s.size() - 1, ms);
}

}  // namespace glia::platform
