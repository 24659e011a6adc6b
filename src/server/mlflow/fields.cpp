// Reading an MLflow request's fields (a JSON body, or the query string of a GET) as proto3 JSON
// allows them: int64 as numbers or strings, doubles with "NaN" and infinities.
#include <cmath>
#include <limits>

#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

const json& Call::fields() {
  if (fields_) return *fields_;
  if (request.method == "GET" || request.method == "HEAD" || request.body.empty()) {
    json q = json::object();
    for (const auto& [k, v] : request.query) {
      if (!q.contains(k)) {
        q[k] = v;
      } else {
        if (!q[k].is_array()) q[k] = json::array({q[k]});
        q[k].push_back(v);
      }
    }
    fields_ = std::move(q);
  } else {
    json body = request.json_body();
    if (!body.is_object()) throw Error("request body: expected a JSON object");
    fields_ = std::move(body);
  }
  return *fields_;
}

namespace {

const json* field(const json& fields, const std::string& name) {
  const auto it = fields.find(name);
  if (it == fields.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

std::string required_string(const json& fields, const std::string& name) {
  const auto v = optional_string(fields, name);
  if (!v) throw Error("missing value for required parameter '" + name + "'");
  return *v;
}

std::optional<std::string> optional_string(const json& fields, const std::string& name) {
  const json* v = field(fields, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_array() && v->size() == 1) v = &(*v)[0];
  if (!v->is_string())
    throw Error("invalid value for parameter '" + name + "': expected a string, got " + v->dump());
  return v->get<std::string>();
}

std::optional<int64_t> optional_int(const json& fields, const std::string& name) {
  const json* v = field(fields, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_array() && v->size() == 1) v = &(*v)[0];
  if (v->is_number_unsigned()) {  // past int64: refused below, never wrapped to a negative
    if (v->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return static_cast<int64_t>(v->get<uint64_t>());
  } else if (v->is_number_integer()) {
    return v->get<int64_t>();
  }
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (std::nearbyint(d) == d && std::fabs(d) < 9.2e18) return static_cast<int64_t>(d);
  }
  if (v->is_string()) {
    const std::string s = v->get<std::string>();
    size_t used = 0;
    try {
      const long long n = std::stoll(s, &used);
      if (used == s.size()) return n;
    } catch (const std::exception&) {
    }
  }
  throw Error("invalid value for parameter '" + name + "': expected an integer, got " + v->dump());
}

double required_double(const json& fields, const std::string& name) {
  const json* v = field(fields, name);
  if (v == nullptr) throw Error("missing value for required parameter '" + name + "'");
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) {
    const std::string s = v->get<std::string>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    size_t used = 0;
    try {
      const double d = std::stod(s, &used);
      if (used == s.size()) return d;
    } catch (const std::exception&) {
    }
  }
  throw Error("invalid value for parameter '" + name + "': expected a number, got " + v->dump());
}

std::vector<std::string> string_list(const json& fields, const std::string& name) {
  const json* v = field(fields, name);
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (v->is_string()) return {v->get<std::string>()};
  if (!v->is_array())
    throw Error("invalid value for parameter '" + name + "': expected a list of strings");
  for (const json& e : *v) {
    if (!e.is_string())
      throw Error("invalid value for parameter '" + name + "': expected a list of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> key_values(const json& fields, const std::string& name) {
  const json* v = field(fields, name);
  std::map<std::string, std::string> out;
  if (v == nullptr) return out;
  if (!v->is_array())
    throw Error("invalid value for parameter '" + name + "': expected a list of {key, value}");
  for (const json& e : *v) {
    if (!e.is_object())
      throw Error("invalid value for parameter '" + name + "': expected a list of {key, value}");
    out[required_string(e, "key")] = optional_string(e, "value").value_or("");
  }
  return out;
}

json json_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

int64_t to_millis(double seconds) {
  return static_cast<int64_t>(std::llround(seconds * 1000.0));
}

}  // namespace glia::server::mlflow

namespace glia::server::mlflow {

std::string Page::next_token(size_t total) const {
  return offset + size < total ? std::to_string(offset + size) : std::string();
}

Page page_of(const json& fields, size_t fallback, size_t most) {
  Page p;
  const auto max = optional_int(fields, "max_results");
  if (max && (*max < 1 || static_cast<uint64_t>(*max) > most))
    throw Error("invalid value for parameter 'max_results': " + std::to_string(*max) +
                " (expected 1 to " + std::to_string(most) + ")");
  p.size = max ? static_cast<size_t>(*max) : fallback;
  const auto token = optional_string(fields, "page_token");
  if (token && !token->empty()) {
    size_t used = 0;
    long long n = -1;
    try {
      n = std::stoll(*token, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != token->size() || n < 0)
      throw Error("invalid page_token '" + *token + "' (pass back the next_page_token given)");
    p.offset = static_cast<size_t>(n);
  }
  return p;
}

View view_of(const json& fields, const std::string& name) {
  const auto it = fields.find(name);
  if (it == fields.end() || it->is_null()) return View::Active;
  const json& v = it->is_array() && it->size() == 1 ? (*it)[0] : *it;
  const std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s == "ACTIVE_ONLY" || s == "1") return View::Active;
  if (s == "DELETED_ONLY" || s == "2") return View::Deleted;
  if (s == "ALL" || s == "3") return View::All;
  throw Error("invalid value for parameter '" + name + "': '" + s +
              "' (expected ACTIVE_ONLY, DELETED_ONLY or ALL)");
}

}  // namespace glia::server::mlflow
