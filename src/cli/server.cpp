// glia server: the workspace served over HTTP to a team (docs/server.md). A foreground process:
// SIGTERM or SIGINT stops it gracefully (no new connections; requests in flight finish).
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/serve.hpp"

namespace glia::cli {

namespace {

// "HOST:PORT", "[::1]:PORT" or ":PORT" (all interfaces).
std::pair<std::string, int> parse_listen(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos)
    throw Error("--listen '" + text + "': expected HOST:PORT (e.g. 127.0.0.1:8080 or :8080)");
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(port_text, &used);
    if (used != port_text.size()) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535)
    throw Error("--listen '" + text + "': the port must be a number in 0..65535");
  return {host, port};
}

// An origin a Content-Security-Policy's frame-ancestors may name: a scheme, a host and an optional
// port, nothing else (a path, a quote or a space would change the policy). CLI11's check: "" is
// valid, else the problem.
std::string check_origin(const std::string& text) {
  static const std::regex origin(R"(https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:([0-9]{1,5}))?)");
  std::smatch m;
  if (std::regex_match(text, m, origin) && (!m[3].matched || std::stoi(m[3].str()) <= 65535))
    return "";
  return "'" + text + "': expected an origin, http[s]://HOST[:PORT] (e.g. http://localhost:8888)";
}

}  // namespace

void register_server(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand(
      "server",
      "Serve the workspace over HTTP: the REST API, MLflow's tracking API, tokens and roles "
      "(docs/server.md)");
  auto listen = std::make_shared<std::string>("127.0.0.1:8080");
  auto tls_cert = std::make_shared<std::string>();
  auto tls_key = std::make_shared<std::string>();
  auto max_threads = std::make_shared<int>(256);
  auto access_log = std::make_shared<bool>(false);
  auto store = std::make_shared<std::string>();
  auto frame_ancestors = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--listen", *listen,
                  "HOST:PORT to listen on (default 127.0.0.1:8080; :PORT: all "
                  "interfaces; port 0: any free port, printed)");
  cmd->add_option("--tls-cert", *tls_cert, "PEM certificate (chain) for HTTPS")
      ->check(CLI::ExistingFile);
  cmd->add_option("--tls-key", *tls_key, "PEM private key for HTTPS")->check(CLI::ExistingFile);
  cmd->add_option("--max-threads", *max_threads,
                  "most connections served at once (a worker each; default 256)")
      ->check(CLI::Range(1, 4096));
  cmd->add_flag("--access-log", *access_log, "print a line per request on stderr");
  cmd->add_option("--ui-frame-ancestors", *frame_ancestors,
                  "ORIGIN (http[s]://host[:port]) whose pages may show the web view in a frame, "
                  "e.g. Jupyter's for RunDetails (repeatable; default: none)")
      ->check(check_origin);
  cmd->add_option("--store", *store,
                  "the store the workspace must use: sqlite, or its postgresql:// URL (checked "
                  "against the workspace; `glia workspace init --store` chooses it)");
  cmd->callback([=] {
    auto ws = open_workspace(*workspace_dir);
    require_local_workspace(ws, "it is served");
    const auto [host, port] = parse_listen(*listen);
    if (!store->empty()) {
      const bool want_sqlite = *store == "sqlite";
      if (!want_sqlite && !platform::is_postgres_url(*store))
        throw Error("--store '" + platform::postgres_url_for_display(*store) +
                    "': expected sqlite or a postgresql:// URL");
      const bool same = want_sqlite ? ws.store_url().empty()
                                    : platform::postgres_url_for_display(*store) ==
                                          platform::postgres_url_for_display(ws.store_url());
      if (!same)
        throw Error(
            ErrorKind::Conflict,
            "--store " +
                (want_sqlite ? std::string("sqlite") : platform::postgres_url_for_display(*store)) +
                ": workspace '" + ws.name() + "' uses " + ws.store_location() +
                " (a workspace's store is chosen by glia workspace init --store)");
    }
    ServeOptions serve_options;
    serve_options.host = host;
    serve_options.port = port;
    serve_options.tls_cert = *tls_cert;
    serve_options.tls_key = *tls_key;
    serve_options.max_threads = *max_threads;
    serve_options.access_log = *access_log;
    serve_options.prepare = [frame_ancestors](server::ServerContext& context) {
      context.ui_frame_ancestors = *frame_ancestors;
    };
    serve_options.on_listening = [&ws, host = host](int bound, bool tls) {
      std::printf("glia server: serving workspace '%s' on %s://%s:%d\n", ws.name().c_str(),
                  tls ? "https" : "http", host.c_str(), bound);
      std::fflush(stdout);
    };
    serve(ws, serve_options);
  });
}

}  // namespace glia::cli
