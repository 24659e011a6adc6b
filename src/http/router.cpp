// Path-pattern routing and the mapping of errors to responses.
#include "glia/http/router.hpp"

#include <cstdio>
#include <set>

#include "glia/error_kinds.hpp"
#include "glia/escape.hpp"

namespace glia::http {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const size_t j = path.find('/', i);
    const size_t end = j == std::string_view::npos ? path.size() : j;
    parts.push_back(path.substr(i, end - i));
    i = end;
  }
  return parts;
}

}  // namespace

void Router::add(const std::string& method, const std::string& pattern, Handler handler,
                 RouteOptions options) {
  if (pattern.empty() || pattern[0] != '/')
    throw Error(ErrorKind::Internal, "route pattern '" + pattern + "' does not start with '/'");
  Route route{method, pattern, {}, std::move(handler), options};
  const auto parts = split_path(pattern);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    if (p.size() >= 2 && p.front() == '{' && p.back() == '}') {
      p = p.substr(1, p.size() - 2);
      if (p.size() > 3 && p.substr(p.size() - 3) == "...") {
        if (i + 1 != parts.size())
          throw Error(ErrorKind::Internal, "route '" + pattern + "': {x...} must come last");
        route.segments.push_back({std::string(p.substr(0, p.size() - 3)), Segment::Rest});
      } else {
        route.segments.push_back({std::string(p), Segment::Param});
      }
    } else {
      if (p.find_first_of("{}") != std::string_view::npos)
        throw Error(ErrorKind::Internal, "route '" + pattern + "': malformed segment");
      route.segments.push_back({std::string(p), Segment::Literal});
    }
  }
  for (const Route& r : routes_)
    if (r.method == method && r.pattern == pattern)
      throw Error(ErrorKind::Internal, "route " + method + " " + pattern + " added twice");
  routes_.push_back(std::move(route));
}

bool Router::matches(const Route& route, const std::vector<std::string_view>& parts,
                     std::string_view path, std::map<std::string, std::string>* params) {
  size_t i = 0;
  for (const Segment& s : route.segments) {
    if (s.kind == Segment::Rest) {
      if (i >= parts.size()) return false;
      // The rest of the path as sent, from this segment on (empty segments kept as they are,
      // so the handler's path check sees what the client wrote).
      const size_t at = static_cast<size_t>(parts[i].data() - path.data());
      if (params) (*params)[s.text] = std::string(path.substr(at));
      return true;
    }
    if (i >= parts.size()) return false;
    if (s.kind == Segment::Literal) {
      if (parts[i] != s.text) return false;
    } else if (params) {
      (*params)[s.text] = std::string(parts[i]);
    }
    ++i;
  }
  return i == parts.size();
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match m;
  const auto parts = split_path(path);
  std::set<std::string> allowed;
  const std::string& wanted = method == "HEAD" ? std::string("GET") : method;
  for (const Route& r : routes_) {
    if (!matches(r, parts, path, nullptr)) continue;
    if (r.method == wanted) {
      matches(r, parts, path, &m.params);
      m.handler = &r.handler;
      m.options = r.options;
      m.pattern = r.pattern;
      return m;
    }
    allowed.insert(r.method);
    if (r.method == "GET") allowed.insert("HEAD");
  }
  m.status = allowed.empty() ? 404 : 405;
  for (const std::string& a : allowed) m.allowed += (m.allowed.empty() ? "" : ", ") + a;
  return m;
}

Response Router::run(const Handler& handler, Request& request) {
  // Logged lines quote what the client sent (a decoded path may hold a newline: a forged line).
  const auto log = [&request](const std::string& what) {
    std::fprintf(stderr, "glia server: %s %s: %s\n", escape_bytes(request.method).c_str(),
                 escape_bytes(request.path).c_str(), escape_bytes(what).c_str());
  };
  try {
    return handler(request);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Corrupt) log(e.what());
    // Internal: a bug or a broken invariant, whose message is about the inside (files, SQL):
    // the log has it, the client a line that says where to look.
    if (e.kind() == ErrorKind::Internal) {
      log(std::string("internal error: ") + e.what());
      return Response::error(ErrorKind::Internal, "internal error (see the server's log)");
    }
    return Response::error(e.kind(), e.what());
  } catch (const std::exception& e) {
    // Not a glia::Error: a bug. The client learns nothing of the inside; the log does.
    log(std::string("internal error: ") + e.what());
    return Response::error(ErrorKind::Internal, "internal error (see the server's log)");
  } catch (...) {  // not even a std::exception: cpp-httplib would answer a bare 500
    log("internal error: an exception that is not a std::exception");
    return Response::error(ErrorKind::Internal, "internal error (see the server's log)");
  }
}

Response Router::dispatch(Request& request) const {
  Match m = match(request.method, request.path);
  if (!m.handler) {
    if (m.status == 405) {
      Response r = Response::error(
          405, ErrorKind::InvalidArgument,
          request.method + " is not allowed on " + request.path + " (allowed: " + m.allowed + ")");
      r.set_header("Allow", m.allowed);
      return r;
    }
    return Response::error(ErrorKind::NotFound, "no such resource: " + request.path);
  }
  request.params = std::move(m.params);
  request.error_body = m.options.error_body;
  return run(*m.handler, request);
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

}  // namespace glia::http
