// The one HTTP server (cpp-httplib from Debian, TLS included): serves a Router, enforces body
// limits (413) and timeouts, grows its worker threads on demand up to a cap so slow clients do
// not block others, and stops gracefully (no new connections; requests in flight finish).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "glia/http/router.hpp"

namespace glia::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see Server::port)
  /// TLS: both or neither (PEM files).
  std::string tls_cert, tls_key;
  /// Worker threads are started as connections need them, up to this many.
  int max_threads = 256;
  /// Seconds a connection may stay silent while a request is read or a response written.
  int read_timeout_s = 10, write_timeout_s = 30;
  /// Seconds an idle keep-alive connection is kept.
  int keep_alive_s = 5;
  /// Requests served on one connection before it is closed (cpp-httplib's default: 5).
  int keep_alive_max_requests = 5;
  /// An already listening socket to serve instead of binding host:port (inherited, as systemd's
  /// socket activation passes one: whoever holds another copy keeps the port accepting into its
  /// backlog while this process is replaced). -1: bind host:port.
  int listen_fd = -1;
  /// Called after each request (access log): method, path, status, seconds taken.
  std::function<void(const Request&, int status, double seconds)> on_request;
};

class Server {
 public:
  /// Binds the address (throws glia::Error: InvalidArgument for a bad address or TLS files,
  /// Unavailable when the port is taken).
  Server(const Router& router, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The bound port (the one the system chose for port 0).
  int port() const;
  bool tls() const;
  /// Serves until stop(); returns when the requests in flight have finished.
  void run();
  /// Tells streams to end (BodySink::stopping), waits until the requests that came before it
  /// have been answered (later ones get 503), then stops accepting and lets run() return.
  /// Safe from any thread but a handler's (it would wait for itself) or a signal handler.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace glia::http
