// What `glia server` and `glia ui` share: a local workspace served over HTTP with every route of
// the server (the REST API, MLflow's API, the web view), its agent woken for queued work, until
// SIGTERM or SIGINT stops it gracefully (no new connections; requests in flight finish).
#pragma once

#include <functional>
#include <string>

#include "glia/platform/workspace.hpp"
#include "server/server_context.hpp"

namespace glia::cli {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  std::string tls_cert, tls_key;
  int max_threads = 256;
  bool access_log = false;
  std::string who = "glia server";  // the name in the lines written to stderr
  /// Called once the context exists, before a request is served (e.g. a session token added).
  std::function<void(server::ServerContext&)> prepare;
  /// Called once the server listens: its port (the one chosen when `port` was 0) and whether it
  /// speaks TLS. Prints what the user needs.
  std::function<void(int port, bool tls)> on_listening;
};

/// Serves `ws` (a local workspace) until SIGTERM or SIGINT; returns once stopped.
void serve(platform::Workspace ws, const ServeOptions& options);

}  // namespace glia::cli
