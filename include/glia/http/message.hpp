// The HTTP messages Glia's one HTTP stack hands to handlers and takes back: a request (path
// parameters, query, headers, a buffered or streamed body) and a response (a buffered body, or a
// body streamed with or without a known length). Platform-free: handlers live in src/server/.
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "glia/error.hpp"

namespace glia::http {

/// Header names compare case-insensitively (RFC 9110).
struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const noexcept;
};
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;

/// Receives a request body in chunks; returns false to stop reading.
using ChunkReceiver = std::function<bool(const char* data, size_t size)>;

struct Response;
/// How a route words a refusal the HTTP layer makes for it with a status of its own (413, 416, a
/// body on a GET): MLflow's routes answer MLflow's error body. Unset: Response::error.
using ErrorBody = std::function<Response(int status, ErrorKind kind, const std::string& message)>;

struct Request {
  std::string method;                         // "GET", "POST", ...
  std::string path;                           // percent-decoded, without the query
  std::map<std::string, std::string> params;  // the route's {name} captures
  std::multimap<std::string, std::string> query;
  Headers headers;
  std::string remote_addr;
  /// The body of a buffered route (RouteOptions::stream_body false), at most its max_body.
  std::string body;
  /// A streaming route's body: calls `receive` for each chunk as it arrives (nothing buffered);
  /// returns false when the client went away or sent more than the route's max_body (then the
  /// answer is 413 whatever the handler returns). Unset for buffered routes.
  std::function<bool(const ChunkReceiver& receive)> read_body;
  /// What the server attaches for its handlers (e.g. the authenticated user).
  std::any context;
  /// The matched route's wording of refusals (RouteOptions::error_body; set by the router).
  ErrorBody error_body;

  /// A single-valued header's value; glia::Error (InvalidArgument) when the request repeats it
  /// (which copy would count is not for the server to guess).
  std::optional<std::string> header(std::string_view name) const;
  /// A list-valued header (RFC 9110 5.3: If-None-Match, Transfer-Encoding): every copy's value
  /// joined by ", ", as if sent once.
  std::optional<std::string> header_list(std::string_view name) const;
  std::optional<std::string> query_value(std::string_view name) const;
  /// A path parameter (a route capture); throws glia::Error (Internal) for a name the route lacks.
  const std::string& param(const std::string& name) const;
  /// The body as JSON: glia::Error (InvalidArgument) "request body: not valid JSON ..." when not,
  /// or when it holds a value the parser cannot hold (a number beyond a double, 1e400). Every
  /// route reads its JSON body through this.
  nlohmann::json json_body() const;
  /// A refusal with a status of its own in the route's wording (error_body, else Response::error).
  Response error(int status, ErrorKind kind, const std::string& message) const;
};

/// Where a streamed response body goes.
class BodySink {
 public:
  virtual ~BodySink() = default;
  /// Sends bytes; false when the client has gone (stop producing).
  virtual bool write(const char* data, size_t size) = 0;
  bool write(std::string_view s) { return write(s.data(), s.size()); }
  /// True once the server is stopping: long streams (logs, events) should end now.
  virtual bool stopping() const = 0;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string content_type = "application/json";
  std::string body;
  /// A streamed body: called once, it writes the whole body to the sink and returns false to
  /// abort the connection (e.g. a read error midway). With content_length it must write exactly
  /// that many bytes; without, the body goes chunked (Transfer-Encoding: chunked).
  std::function<bool(BodySink&)> stream;
  std::optional<uint64_t> content_length;

  static Response json(const nlohmann::json& value, int status = 200);
  static Response text(std::string text, std::string content_type = "text/plain; charset=utf-8",
                       int status = 200);
  /// {"error": {"kind": NAME, "message": MESSAGE}} with the kind's status (docs/errors.md).
  static Response error(ErrorKind kind, const std::string& message);
  /// The same for an HTTP-level refusal that has a status of its own (405, 413, 416).
  static Response error(int status, ErrorKind kind, const std::string& message);
  void set_header(const std::string& name, const std::string& value);
};

}  // namespace glia::http
