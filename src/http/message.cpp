// Request and response helpers of the HTTP layer.
#include <strings.h>

#include <iterator>

#include "glia/error_kinds.hpp"
#include "glia/http/message.hpp"

namespace glia::http {

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const noexcept {
  const size_t n = std::min(a.size(), b.size());
  const int c = ::strncasecmp(a.data(), b.data(), n);
  return c < 0 || (c == 0 && a.size() < b.size());
}

std::optional<std::string> Request::header(std::string_view name) const {
  const auto [first, last] = headers.equal_range(std::string(name));
  if (first == last) return std::nullopt;
  if (const auto n = std::distance(first, last); n > 1)
    throw Error("header '" + std::string(name) + "' is given " + std::to_string(n) +
                " times (expected once)");
  return first->second;
}

std::optional<std::string> Request::header_list(std::string_view name) const {
  const auto [first, last] = headers.equal_range(std::string(name));
  if (first == last) return std::nullopt;
  std::string joined;
  for (auto it = first; it != last; ++it) joined += (it == first ? "" : ", ") + it->second;
  return joined;
}

std::optional<std::string> Request::query_value(std::string_view name) const {
  const auto it = query.find(std::string(name));
  if (it == query.end()) return std::nullopt;
  return it->second;
}

const std::string& Request::param(const std::string& name) const {
  const auto it = params.find(name);
  if (it == params.end()) throw Error(ErrorKind::Internal, "route has no parameter '" + name + "'");
  return it->second;
}

nlohmann::json Request::json_body() const {
  if (body.empty()) throw Error("request body: expected a JSON document, got an empty body");
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error("request body: not valid JSON (" + std::string(e.what()) + ")");
  } catch (const nlohmann::json::exception& e) {
    // Valid syntax the parser cannot hold, such as a number beyond a double (1e400): still the
    // client's input, never an internal error.
    throw Error("request body: a value is out of range (" + std::string(e.what()) + ")");
  }
}

Response Request::error(int status, ErrorKind kind, const std::string& message) const {
  return error_body ? error_body(status, kind, message) : Response::error(status, kind, message);
}

Response Response::json(const nlohmann::json& value, int status) {
  Response r;
  r.status = status;
  r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::text(std::string text, std::string content_type, int status) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(text);
  return r;
}

Response Response::error(ErrorKind kind, const std::string& message) {
  return error(error_kind_info(kind).http_status, kind, message);
}

Response Response::error(int status, ErrorKind kind, const std::string& message) {
  Response r =
      json({{"error", {{"kind", std::string(error_kind_info(kind).name)}, {"message", message}}}},
           status);
  // A 401 says how to authenticate (RFC 9110 11.6.1: it must).
  if (status == 401) r.set_header("WWW-Authenticate", "Bearer realm=\"glia\"");
  return r;
}

void Response::set_header(const std::string& name, const std::string& value) {
  headers.erase(name);
  headers.emplace(name, value);
}

}  // namespace glia::http
