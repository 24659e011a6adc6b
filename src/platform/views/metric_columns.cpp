// `glia run metrics -o json --columns`: a run's metrics as columns, written straight to text
// (100,000 values in a few ms; nlohmann's tree would cost an object per value).
#include <algorithm>
#include <charconv>
#include <cmath>

#include "glia/platform/json_views.hpp"

namespace glia::platform {

namespace {

void put_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void put_int(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void put_name(std::string& out, const std::string& name) {
  out += nlohmann::json(name).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

template <typename Put>
void put_column(std::string& out, const char* key, const std::vector<MetricPoint>& points,
                Put put) {
  out += '"';
  out += key;
  out += "\":[";
  for (size_t i = 0; i < points.size(); ++i) {
    if (i) out += ',';
    put(out, points[i]);
  }
  out += ']';
}

}  // namespace

std::string metric_columns_json(
    const std::vector<std::pair<std::string, std::vector<MetricPoint>>>& series,
    const std::map<std::string, nlohmann::json>& tables) {
  std::string out = "{";
  size_t total = 0;
  for (const auto& [name, points] : series) total += points.size();
  out.reserve(total * 48 + 64);
  bool first = true;
  for (const auto& [name, points] : series) {
    if (tables.count(name)) continue;
    if (!first) out += ',';
    first = false;
    put_name(out, name);
    out += ":{";
    put_column(out, "step", points,
               [](std::string& o, const MetricPoint& p) { put_int(o, p.step); });
    out += ',';
    put_column(out, "value", points,
               [](std::string& o, const MetricPoint& p) { put_double(o, p.value); });
    out += ',';
    put_column(out, "wall_time", points,
               [](std::string& o, const MetricPoint& p) { put_double(o, p.wall_time); });
    out += '}';
  }
  for (const auto& [name, rows] : tables) {
    std::vector<std::string> columns;
    for (const auto& row : rows)
      for (const auto& [k, v] : row.items())
        if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
    nlohmann::json cols = nlohmann::json::object();
    for (const auto& c : columns) {
      auto& col = cols[c] = nlohmann::json::array();
      for (const auto& row : rows) {
        const auto it = row.find(c);
        col.push_back(it == row.end() ? nlohmann::json(nullptr) : *it);
      }
    }
    if (!first) out += ',';
    first = false;
    put_name(out, name);
    out += ':';
    out += cols.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  out += '}';
  return out;
}

}  // namespace glia::platform
