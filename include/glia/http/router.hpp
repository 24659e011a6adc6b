// Routes: a method and a path pattern ("/api/v1/runs/{id}/files/{path...}") to a handler, with
// per-route body limits. dispatch() turns every glia::Error into its status (docs/errors.md) and
// anything else into a 500 that tells nothing of the inside; unit tests call it directly.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "glia/http/message.hpp"

namespace glia::http {

using Handler = std::function<Response(Request&)>;

struct RouteOptions {
  /// The largest body accepted (buffered or streamed); more is answered 413.
  uint64_t max_body = 8u << 20;
  /// Hand the handler Request::read_body instead of a buffered Request::body.
  bool stream_body = false;
  /// How the HTTP layer words its refusals on this route (413, 416, a GET's body); see ErrorBody.
  ErrorBody error_body;
};

class Router {
 public:
  /// Adds a route. Pattern segments are literals, "{name}" (one segment) or, last only,
  /// "{name...}" (the rest of the path, slashes included, never empty). GET routes answer HEAD.
  /// Throws glia::Error (Internal) for a malformed pattern or a duplicate route.
  void add(const std::string& method, const std::string& pattern, Handler handler,
           RouteOptions options = {});

  struct Match {
    const Handler* handler = nullptr;  // null: no route for the method (see status)
    RouteOptions options;
    std::map<std::string, std::string> params;
    int status = 0;       // 404 (no such path) or 405 (path known, method not) when no handler
    std::string allowed;  // for 405: the Allow header
    std::string pattern;  // the route's pattern (for logs and metrics)
  };
  Match match(const std::string& method, const std::string& path) const;

  /// Matches and runs the handler; errors become responses (never throws).
  Response dispatch(Request& request) const;
  /// Runs a matched handler with the error mapping of dispatch.
  static Response run(const Handler& handler, Request& request);

  /// Every route as (method, pattern), in the order added (for the OpenAPI guard tests).
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Segment {
    std::string text;  // literal text, or the parameter name
    enum Kind { Literal, Param, Rest } kind = Literal;
  };
  struct Route {
    std::string method, pattern;
    std::vector<Segment> segments;
    Handler handler;
    RouteOptions options;
  };
  static bool matches(const Route& route, const std::vector<std::string_view>& parts,
                      std::string_view path, std::map<std::string, std::string>* params);
  std::vector<Route> routes_;
};

}  // namespace glia::http
