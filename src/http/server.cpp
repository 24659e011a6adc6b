// The HTTP server over cpp-httplib: every request goes through one adapter that matches the
// Router, applies the route's body limit, runs the handler and writes its response.
#include "glia/http/server.hpp"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <thread>

#include "glia/error.hpp"
#include "glia/error_kinds.hpp"
#include "glia/escape.hpp"
#include "http/answer_checks.hpp"
#include "http/inherited_socket.hpp"
#include "http/streamed_body.hpp"
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

// A body left unread (refused, or not read by its handler) of at most this many bytes is read
// and dropped so that the connection can serve the next request; a longer one closes it.
constexpr uint64_t kSkipMax = 1u << 20;

// Whether a request announces a body: a Content-Length above 0 or a Transfer-Encoding.
// (Without either, a request has no body: RFC 9112 6.3.)
bool has_body(const httplib::Request& in) {
  if (in.has_header("Transfer-Encoding")) return true;
  const std::string length = in.get_header_value("Content-Length");
  return !length.empty() && length != "0";
}

Response body_too_large(const Request& request, uint64_t limit) {
  return request.error(413, ErrorKind::InvalidArgument,
                       "request body is larger than the " + std::to_string(limit) + " bytes " +
                           request.path + " accepts");
}

// Set by handle() on the worker thread that writes the response next (see Impl::pending).
thread_local bool t_counted = false;

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
  // Requests handed to handle() before stop() whose responses are not written yet. cpp-httplib
  // writes no body at all once it is stopping, so stop() waits for these before it stops it.
  std::atomic<int> pending{0};
  int port = 0;

  Impl(const Router& r, ServerOptions o) : router(r), options(std::move(o)) {}

  // `close`: the connection ends after this response (its request's body was not all read, so
  // what follows on the connection is not a request). cpp-httplib keeps a connection whatever
  // the response says, unless writing the body fails: the body is written whole, then the
  // content provider reports a failure.
  void write(const Response& from, httplib::Response& to, bool close) {
    to.status = from.status;
    for (const auto& [k, v] : from.headers) to.headers.emplace(k, v);
    if (close) to.set_header("Connection", "close");
    if (from.stream && (!from.content_length || *from.content_length > 0)) {
      auto stream = from.stream;
      auto done = std::make_shared<bool>(false);
      auto* flag = &stopping;
      if (from.content_length) {
        to.set_content_provider(
            *from.content_length, from.content_type,
            [stream, done, flag, close](size_t, size_t, httplib::DataSink& sink) {
              if (*done) return false;  // the stream wrote less than it announced
              *done = true;
              Sink out(sink, *flag);
              return stream(out) && !close;
            });
      } else {
        to.set_chunked_content_provider(from.content_type,
                                        [stream, flag, close](size_t, httplib::DataSink& sink) {
                                          Sink out(sink, *flag);
                                          const bool ok = stream(out);
                                          if (ok) sink.done();
                                          return ok && !close;
                                        });
      }
    } else if (close && !from.body.empty()) {
      auto body = std::make_shared<std::string>(from.body);
      to.set_content_provider(body->size(), from.content_type,
                              [body](size_t, size_t, httplib::DataSink& sink) {
                                sink.write(body->data(), body->size());
                                return false;
                              });
    } else if (close) {
      to.set_chunked_content_provider(from.content_type, [](size_t, httplib::DataSink& sink) {
        sink.done();
        return false;
      });
    } else {
      to.set_content(from.body, from.content_type);
    }
  }

  void handle(const httplib::Request& in, httplib::Response& out,
              const httplib::ContentReader* reader) {
    const auto start = std::chrono::steady_clock::now();
    // Counted until its response is written (the logger): stop() waits for these.
    t_counted = true;
    pending.fetch_add(1);
    // cpp-httplib 0.11 applies a Range header to every response, unchecked; Glia serves ranges
    // itself (ranged_response), so the library must not. The request is the library's own
    // non-const object, handed to handlers as const.
    auto& mutable_in = const_cast<httplib::Request&>(in);
    mutable_in.ranges.clear();
    Request req = to_request(in);
    // cpp-httplib reads a multipart/form-data body through callbacks of its own, which Glia's
    // readers do not set (a bad_function_call, answered 500): the body is read as bytes, and the
    // route sees the Content-Type as sent (req.headers holds it).
    if (in.is_multipart_form_data()) mutable_in.headers.erase("Content-Type");
    Response res;
    // The body: read in full (or announced as none) unless `unread` says otherwise.
    const bool announced = has_body(in);
    bool unread = announced && !reader;  // a GET's body: cpp-httplib never reads it
    bool touched = false;                // whether reading the body began
    // Both lengths (RFC 9112 6.1: a smuggling attempt), or a coding cpp-httplib reads as "until
    // the client closes": where the body ends is not known, so nothing after it can be served.
    // A Content-Length given twice is as ambiguous (which one would count?).
    const std::string coding = in.get_header_value("Transfer-Encoding");
    const bool two_lengths = in.get_header_value_count("Content-Length") > 1;
    const bool ambiguous =
        two_lengths ||
        (in.has_header("Transfer-Encoding") &&
         (in.has_header("Content-Length") || ::strcasecmp(coding.c_str(), "chunked")));
    Router::Match m = router.match(req.method, req.path);
    if (m.handler) req.error_body = m.options.error_body;
    if (ambiguous) {
      res = req.error(
          400, ErrorKind::InvalidArgument,
          two_lengths
              ? "request body: Content-Length is given more than once (expected once)"
              : "request body: Transfer-Encoding " + quote_bytes(coding) + " with " +
                    (in.has_header("Content-Length") ? "a Content-Length" : "no chunked coding") +
                    " is not accepted (expected Content-Length or chunked alone)");
      unread = true;
      touched = true;  // never skipped: the connection closes
    } else if (stopping.load()) {
      // Came after stop(): not served (stop() waits only for the requests before it).
      t_counted = false;
      pending.fetch_sub(1);
      res = req.error(503, ErrorKind::Unavailable, "the server is stopping; try again");
      unread = announced;
    } else if (!m.handler) {
      res = router.dispatch(req);  // 404 or 405, with the error body
      unread = announced;
    } else if (announced && !reader) {
      // A GET (HEAD, OPTIONS) with a body: cpp-httplib never reads it, so the route would answer
      // as if it had none. Refused (the body skipped, or the connection closed).
      res = req.error(400, ErrorKind::InvalidArgument,
                      "a " + req.method + " request carries no body (this one announces one)");
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
        res = body_too_large(req, limit);
        unread = announced;
      } else if (reader && m.options.stream_body) {
        const StreamedBody body(*reader, limit, announced);
        req.read_body = body.reader();
        res = Router::run(*m.handler, req);
        if (body.over_limit()) res = body_too_large(req, limit);
        unread = body.state() == StreamedBody::State::NotRead ||
                 body.state() == StreamedBody::State::Stopped;
        touched = body.state() == StreamedBody::State::Stopped;
      } else {
        bool ok = true;
        if (reader && announced) {
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
          res = body_too_large(req, limit);
        else if (!ok)
          res = req.error(400, ErrorKind::InvalidArgument, "request body could not be read");
        else
          res = Router::run(*m.handler, req);
        touched = reader && announced;
        unread = unread || !ok || too_large;
      }
    }
    // A body left unread: skipped when it is short and not read at all yet, else the connection
    // closes after the response (what follows on it is the body, not a request).
    bool close = false;
    if (unread) {
      close = true;
      if (reader && !touched) {
        uint64_t length = 0;  // 0: chunked, unknown yet
        try {
          const std::string cl = in.get_header_value("Content-Length");
          if (!cl.empty()) length = std::stoull(cl);
        } catch (const std::exception&) {
          length = kSkipMax + 1;
        }
        if (length <= kSkipMax) {
          uint64_t skipped = 0;
          close = !(*reader)([&skipped](const char*, size_t size) {
            skipped += size;
            return skipped <= kSkipMax;
          });
        }
      }
    }
    if (!headers_are_single_lines(req, res))
      res = req.error(500, ErrorKind::Internal, "internal error (see the server's log)");
    choose_encoding(mutable_in.headers, res);
    guard_stream(req, res);
    write(res, out, close);
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
  socket_t made = -1;  // the socket cpp-httplib makes (replaced by an inherited one)
  http.set_socket_options([&made](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    made = sock;
  });
  http.new_task_queue = [max_threads] { return new WorkerPool(max_threads); };
  http.set_read_timeout(o.read_timeout_s, 0);
  http.set_write_timeout(o.write_timeout_s, 0);
  http.set_keep_alive_timeout(o.keep_alive_s);
  http.set_keep_alive_max_count(static_cast<size_t>(std::max(1, o.keep_alive_max_requests)));
  // A response goes out as two writes (headers, body): with Nagle's algorithm on, the body waits
  // for the client's delayed ACK of the headers, 40 ms a request (bench/README.md, "Server").
  http.set_tcp_nodelay(true);
  // Body limits are per route (RouteOptions::max_body), checked in the adapter.
  http.set_payload_max_length(std::numeric_limits<size_t>::max());
  Impl* impl = impl_.get();
  // Called once a response is written (also for cpp-httplib's own, which handle() did not count).
  http.set_logger([impl](const httplib::Request&, const httplib::Response&) {
    if (t_counted) {
      t_counted = false;
      impl->pending.fetch_sub(1);
    }
  });
  const auto plain = [impl](const httplib::Request& in, httplib::Response& out) {
    impl->handle(in, out, nullptr);
  };
  const auto with_body = [impl](const httplib::Request& in, httplib::Response& out,
                                const httplib::ContentReader& reader) {
    impl->handle(in, out, &reader);
  };
  // Every path, newlines included (std::regex's '.' stops at them): the Router answers 404.
  const std::string any = "[\\s\\S]*";
  http.Get(any, plain);
  http.Options(any, plain);
  http.Post(any, with_body);
  http.Put(any, with_body);
  http.Patch(any, with_body);
  http.Delete(any, with_body);
  // Expect: 100-continue: a body the route would refuse by its length is answered 413 now,
  // before the client sends it (and the connection closes: the client may send it anyway).
  http.set_expect_100_continue_handler([impl](const httplib::Request& in, httplib::Response& out) {
    const Router::Match m = impl->router.match(in.method, in.path);
    uint64_t length = 0;
    try {
      const std::string cl = in.get_header_value("Content-Length");
      if (!cl.empty()) length = std::stoull(cl);
    } catch (const std::exception&) {
      length = 0;  // malformed: left to cpp-httplib's own check
    }
    if (!m.handler || length <= m.options.max_body) return 100;
    Request request = to_request(in);
    request.error_body = m.options.error_body;
    const Response r = body_too_large(request, m.options.max_body);
    impl->write(r, out, true);
    if (impl->options.on_request) impl->options.on_request(request, r.status, 0);
    return r.status;
  });
  // An exception that escaped the adapter: cpp-httplib would put its what() in a header of a bare
  // 500. The log has it; the client gets Glia's internal error.
  http.set_exception_handler(
      [](const httplib::Request& in, httplib::Response& out, std::exception_ptr ep) {
        std::string what = "an exception that is not a std::exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        std::fprintf(stderr, "glia server: %s %s: internal error: %s\n",
                     escape_bytes(in.method).c_str(), escape_bytes(in.path).c_str(),
                     escape_bytes(what).c_str());
        out = httplib::Response();
        const Response r =
            Response::error(ErrorKind::Internal, "internal error (see the server's log)");
        out.status = r.status;
        out.set_content(r.body, r.content_type);
      });
  // What cpp-httplib answers itself, before any route (a malformed request line, a target too
  // long, a Range it cannot parse): Glia's error body. A Range it could not parse is ignored
  // instead (RFC 9110 14.2; ranged_response does the same): a GET is served without it.
  http.set_error_handler(httplib::Server::HandlerWithResponse([impl](const httplib::Request& in,
                                                                     httplib::Response& out) {
    if (!out.body.empty() || out.content_provider_)  // an answer of a route
      return httplib::Server::HandlerResponse::Unhandled;
    auto& mutable_in = const_cast<httplib::Request&>(in);
    mutable_in.ranges.clear();  // else cpp-httplib would cut this body to what it parsed
    // (Only a 416 of cpp-httplib's own, before any route: t_counted says a route ran already.)
    if (out.status == 416 && !t_counted && (in.method == "GET" || in.method == "HEAD")) {
      mutable_in.headers.erase("Range");
      impl->handle(in, out, nullptr);
      return httplib::Server::HandlerResponse::Handled;
    }
    // A method cpp-httplib does not route (TRACE, QUERY, ...): 405 with what the path takes,
    // or 404 for a path the router does not know.
    static const char* const kRouted[] = {"GET", "HEAD",  "OPTIONS", "POST",
                                          "PUT", "PATCH", "DELETE"};
    const bool routed = std::any_of(std::begin(kRouted), std::end(kRouted),
                                    [&](const char* m) { return in.method == m; });
    // (cpp-httplib leaves the path unset for a method it does not parse: the target's.)
    const std::string path = !in.path.empty() ? in.path : percent_decoded(in.target);
    if (!routed && !in.method.empty() && !path.empty()) {
      const Router::Match m = impl->router.match(in.method, path);
      const Response r =
          m.status == 405 ? Response::error(405, ErrorKind::InvalidArgument,
                                            "method " + quote_bytes(in.method) +
                                                " is not allowed here (allowed: " + m.allowed + ")")
                          : Response::error(ErrorKind::NotFound, "no such resource");
      out.status = r.status;
      if (m.status == 405) out.set_header("Allow", m.allowed);
      // Its body, if any, was not read: the connection must not go on.
      mutable_in.headers.erase("Connection");
      mutable_in.headers.emplace("Connection", "close");
      out.set_content(r.body, r.content_type);
      return httplib::Server::HandlerResponse::Handled;
    }
    const ErrorKind kind = error_kind_of_status(out.status);
    const std::string message =
        out.status == 414   ? "the request target is too long"
        : out.status == 415 ? "the request body's Content-Encoding is not supported"
        : out.status == 416 ? "the Range header is not valid"
        : out.status == 404 ? "no such resource"
        : out.status == 400
            ? "malformed HTTP request"
            : "the request could not be served (HTTP " + std::to_string(out.status) + ")";
    const Response r = Response::error(out.status, kind, message);
    out.set_content(r.body, r.content_type);
    return httplib::Server::HandlerResponse::Handled;
  }));
  if (o.port < 0 || o.port > 65535)
    throw Error("port " + std::to_string(o.port) + " is not in 0..65535");
  if (o.listen_fd >= 0) {
    // cpp-httplib serves only a socket it made: it makes one on a free loopback port, and the
    // inherited socket then takes that descriptor's place (dup3 closes the one it made).
    const int port = prepare_inherited_socket(o.listen_fd);
    if (http.bind_to_any_port("127.0.0.1") <= 0 || made < 0 ||
        ::dup3(o.listen_fd, made, O_CLOEXEC) < 0)
      throw os_error("serving the inherited socket", errno);
    ::close(o.listen_fd);
    impl_->port = port;
  } else if (o.port == 0) {
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
  // Requests that came before this finish first (their streams see stopping()); the ones after
  // are answered 503. Then the listening socket closes.
  while (impl_->pending.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  impl_->http->stop();
}

}  // namespace glia::http
