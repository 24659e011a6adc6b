// The HTTP server over cpp-httplib: every request goes through one adapter that matches the
// Router, applies the route's body limit, runs the handler and writes its response.
#include "glia/http/server.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <limits>

#include "glia/error_kinds.hpp"
#include "http/worker_pool.hpp"

namespace glia::http {

namespace {

class Sink : public BodySink {
 public:
  Sink(httplib::DataSink& sink, const std::atomic<bool>& stopping)
      : sink_(sink), stopping_(stopping) {}
  bool write(const char* data, size_t size) override {
    if (size == 0) return true;
    if (!sink_.is_writable()) return false;
    return sink_.write(data, size);
  }
  bool stopping() const override { return stopping_.load(); }

 private:
  httplib::DataSink& sink_;
  const std::atomic<bool>& stopping_;
};

Request to_request(const httplib::Request& in) {
  Request r;
  r.method = in.method;
  r.path = in.path;
  r.remote_addr = in.remote_addr;
  for (const auto& [k, v] : in.params) r.query.emplace(k, v);
  for (const auto& [k, v] : in.headers) {
    // httplib adds the peer's addresses as headers: they are not the client's.
    if (k == "REMOTE_ADDR" || k == "REMOTE_PORT" || k == "LOCAL_ADDR" || k == "LOCAL_PORT")
      continue;
    r.headers.emplace(k, v);
  }
  return r;
}

// Makes the answer say `Connection: close`, so the client does not send another request on
// this connection (cpp-httplib decides that from the request's Connection header).
void close_after(const httplib::Request& in) {
  auto& request = const_cast<httplib::Request&>(in);
  request.headers.erase("Connection");
  request.headers.emplace("Connection", "close");
}

// For an answer given without reading the request's body: the client is told to close the
// connection, and a small body is read and dropped so that a client that reuses the connection
// anyway is not answered from the rest of it.
void drop_unread_body(const httplib::Request& in, const httplib::ContentReader* reader,
                      Response& res) {
  close_after(in);
  if (reader == nullptr) return;
  constexpr uint64_t kMaxDrained = 1u << 20;
  uint64_t drained = 0;
  (*reader)([&](const char*, size_t size) {
    drained += size;
    return drained <= kMaxDrained;
  });
}

// The path of a request target ("/a%20b?x=1" -> "/a b").
std::string percent_decoded(const std::string& target) {
  const std::string raw = target.substr(0, target.find('?'));
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() &&
        std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
      out += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += raw[i];
    }
  }
  return out;
}

}  // namespace

struct Server::Impl {
  const Router& router;
  ServerOptions options;
  std::unique_ptr<httplib::Server> http;
  std::atomic<bool> stopping{false};
  int port = 0;

  Impl(const Router& r, ServerOptions o) : router(r), options(std::move(o)) {}

  void write(const Response& from, httplib::Response& to) {
    to.status = from.status;
    for (const auto& [k, v] : from.headers) to.headers.emplace(k, v);
    if (from.stream && (!from.content_length || *from.content_length > 0)) {
      auto stream = from.stream;
      auto done = std::make_shared<bool>(false);
      auto* flag = &stopping;
      if (from.content_length) {
        to.set_content_provider(*from.content_length, from.content_type,
                                [stream, done, flag](size_t, size_t, httplib::DataSink& sink) {
                                  if (*done)
                                    return false;  // the stream wrote less than it announced
                                  *done = true;
                                  Sink out(sink, *flag);
                                  return stream(out);
                                });
      } else {
        to.set_chunked_content_provider(from.content_type,
                                        [stream, flag](size_t, httplib::DataSink& sink) {
                                          Sink out(sink, *flag);
                                          const bool ok = stream(out);
                                          if (ok) sink.done();
                                          return ok;
                                        });
      }
    } else {
      to.set_content(from.body, from.content_type);
    }
  }

  void handle(const httplib::Request& in, httplib::Response& out,
              const httplib::ContentReader* reader) {
    const auto start = std::chrono::steady_clock::now();
    // cpp-httplib 0.11 applies a Range header to every response, unchecked; Glia serves ranges
    // itself (ranged_response), so the library must not. The request is the library's own
    // non-const object, handed to handlers as const.
    const_cast<httplib::Request&>(in).ranges.clear();
    Request req = to_request(in);
    Response res;
    Router::Match m = router.match(req.method, req.path);
    const auto length = req.header("Content-Length");
    // cpp-httplib never reads the body of a GET, HEAD or OPTIONS request: such a body must not
    // be taken for the next request, so the connection closes.
    const bool unread_body =
        !reader && ((length && *length != "0") || req.header("Transfer-Encoding"));
    if (!m.handler) {
      res = router.dispatch(req);  // 404 or 405, with the error body
      if (reader) drop_unread_body(in, reader, res);
      if (unread_body) close_after(in);
    } else if (unread_body) {
      res = Response::error(ErrorKind::InvalidArgument,
                            "a " + req.method + " request has no body; send it without one");
      close_after(in);
    } else {
      req.params = std::move(m.params);
      const uint64_t limit = m.options.max_body;
      bool too_large = false;
      if (const auto length = req.header("Content-Length")) {
        try {
          too_large = std::stoull(*length) > limit;
        } catch (const std::exception&) {
          too_large = false;  // httplib has refused a malformed length already
        }
      }
      if (too_large) {
        res = Response::error(413, ErrorKind::InvalidArgument,
                              "request body is larger than the " + std::to_string(limit) +
                                  " bytes " + req.path + " accepts");
        close_after(in);
      } else if (reader && m.options.stream_body) {
        auto received = std::make_shared<uint64_t>(0);
        auto over = std::make_shared<bool>(false);
        auto read_whole = std::make_shared<bool>(false);
        auto started = std::make_shared<bool>(false);
        req.read_body = [reader, limit, received, over, read_whole,
                         started](const ChunkReceiver& receive) {
          *started = true;
          const bool ok = (*reader)([&](const char* data, size_t size) {
            *received += size;
            if (*received > limit) {
              *over = true;
              return false;
            }
            return receive(data, size);
          });
          *read_whole = ok;
          return ok;
        };
        res = Router::run(*m.handler, req);
        if (*over)
          res = Response::error(413, ErrorKind::InvalidArgument,
                                "request body is larger than the " + std::to_string(limit) +
                                    " bytes " + req.path + " accepts");
        // A body left unread would be taken for the next request on the connection: never
        // read, it is dropped; read in part, the connection closes.
        if (!*read_whole) {
          if (*started) {
            close_after(in);
          } else {
            drop_unread_body(in, reader, res);
          }
        }
      } else {
        bool ok = true;
        if (reader) {
          ok = (*reader)([&](const char* data, size_t size) {
            if (req.body.size() + size > limit) {
              too_large = true;
              return false;
            }
            req.body.append(data, size);
            return true;
          });
        }
        if (too_large)
          res = Response::error(413, ErrorKind::InvalidArgument,
                                "request body is larger than the " + std::to_string(limit) +
                                    " bytes " + req.path + " accepts");
        else if (!ok)
          res = Response::error(ErrorKind::InvalidArgument, "request body could not be read");
        // Not read to its end (over the limit, or a body cpp-httplib could not hand over, such
        // as multipart/form-data without a boundary): the rest must not be read as a request.
        if (too_large || !ok)
          close_after(in);
        else
          res = Router::run(*m.handler, req);
      }
    }
    write(res, out);
    if (options.on_request) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      options.on_request(req, res.status, seconds);
    }
  }
};

Server::Server(const Router& router, ServerOptions options)
    : impl_(std::make_unique<Impl>(router, std::move(options))) {
  auto& o = impl_->options;
  if (o.tls_cert.empty() != o.tls_key.empty())
    throw Error("--tls-cert and --tls-key go together: give both or neither");
  if (!o.tls_cert.empty()) {
    for (const auto& f : {o.tls_cert, o.tls_key})
      if (!std::filesystem::is_regular_file(f))
        throw Error(ErrorKind::NotFound, "TLS file '" + f + "' does not exist");
    auto ssl = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
    if (!ssl->is_valid())
      throw Error("TLS certificate '" + o.tls_cert + "' and key '" + o.tls_key +
                  "' could not be loaded (expected PEM files that belong together)");
    impl_->http = std::move(ssl);
  } else {
    impl_->http = std::make_unique<httplib::Server>();
  }
  auto& http = *impl_->http;
  const size_t max_threads = static_cast<size_t>(std::max(1, o.max_threads));
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, with which a second server on
  // the same port would start and share its connections instead of failing.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Without TCP_NODELAY a keep-alive request waits ~40 ms for the client's delayed ACK before
  // the answer's last segment leaves (Nagle): every small answer took 40 ms.
  http.set_tcp_nodelay(true);
  http.new_task_queue = [max_threads] { return new WorkerPool(max_threads); };
  http.set_read_timeout(o.read_timeout_s, 0);
  http.set_write_timeout(o.write_timeout_s, 0);
  http.set_keep_alive_timeout(o.keep_alive_s);
  // Body limits are per route (RouteOptions::max_body), checked in the adapter.
  http.set_payload_max_length(std::numeric_limits<size_t>::max());
  Impl* impl = impl_.get();
  const auto plain = [impl](const httplib::Request& in, httplib::Response& out) {
    impl->handle(in, out, nullptr);
  };
  const auto with_body = [impl](const httplib::Request& in, httplib::Response& out,
                                const httplib::ContentReader& reader) {
    impl->handle(in, out, &reader);
  };
  // "[\s\S]*", not ".*": a decoded path may hold a line break, which "." does not match.
  const std::string any_path = "[\\s\\S]*";
  http.Get(any_path, plain);
  http.Options(any_path, plain);
  http.Post(any_path, with_body);
  http.Put(any_path, with_body);
  http.Patch(any_path, with_body);
  http.Delete(any_path, with_body);
  // What cpp-httplib answers itself (a method it does not route, such as TRACE, or a request
  // it could not read) gets the error body too; a method the path does not have is a 405.
  http.set_error_handler([impl](const httplib::Request& in, httplib::Response& out) {
    if (!out.body.empty() || out.has_header("Content-Type")) return;  // a handler's answer
    const_cast<httplib::Request&>(in).ranges.clear();  // as in handle(): never applied here
    static const char* const kRouted[] = {"GET", "HEAD",  "OPTIONS", "POST",
                                          "PUT", "PATCH", "DELETE"};
    const bool routed = std::any_of(std::begin(kRouted), std::end(kRouted),
                                    [&](const char* m) { return in.method == m; });
    int status = out.status;
    std::string allowed;
    if (!in.method.empty() && (!routed || status == 404)) {
      // A method cpp-httplib does not parse (QUERY, say) leaves the path unset: the target's.
      const std::string path = !in.path.empty() ? in.path : percent_decoded(in.target);
      const Router::Match m = impl->router.match(in.method, path);
      if (!m.handler) {
        status = m.status == 405 || path.empty() ? 405 : 404;
        allowed = m.allowed;
      }
    }
    const ErrorKind kind = error_kind_of_status(status);
    const Response r = Response::error(
        status, kind,
        status == 405 ? "method " + in.method + " is not allowed here (allowed: " + allowed + ")"
                      : "the request could not be handled (HTTP " + std::to_string(status) + ")");
    out.status = r.status;
    if (!allowed.empty()) out.set_header("Allow", allowed);
    // The request's body, if any, was not read: it must not be taken for the next request, so
    // the connection closes (cpp-httplib decides that from the request's Connection header).
    close_after(in);
    out.set_content(r.body, r.content_type);
  });
  if (o.port < 0 || o.port > 65535)
    throw Error("port " + std::to_string(o.port) + " is not in 0..65535");
  if (o.port == 0) {
    impl_->port = http.bind_to_any_port(o.host.c_str());
  } else {
    impl_->port = http.bind_to_port(o.host.c_str(), o.port) ? o.port : -1;
  }
  if (impl_->port <= 0)
    throw Error(ErrorKind::Unavailable, "cannot listen on " + o.host + ":" +
                                            std::to_string(o.port) +
                                            " (in use, or not an address of this machine)");
}

Server::~Server() {
  if (impl_ && impl_->http && impl_->http->is_running()) stop();
}

int Server::port() const {
  return impl_->port;
}

bool Server::tls() const {
  return !impl_->options.tls_cert.empty();
}

void Server::run() {
  impl_->http->listen_after_bind();
}

void Server::stop() {
  impl_->stopping = true;
  impl_->http->stop();
}

}  // namespace glia::http
