// The serving loop of `glia server` and `glia ui` (serve.hpp): SIGTERM/SIGINT through a
// self-pipe to a graceful Server::stop() (no signal mask, which the jobs' processes would
// inherit).
#include "cli/serve.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/http/server.hpp"
#include "glia/platform/local_agent.hpp"
#include "server/routes.hpp"

namespace glia::cli {

namespace {

int g_signal_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int sig) {
  const char c = static_cast<char>(sig);
  [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &c, 1);
}

}  // namespace

void serve(platform::Workspace ws, const ServeOptions& o) {
  require_local_workspace(ws, "it is served");
  server::ServerContext context({ws});
  context.agent_command = {(tool_dir() / "glia").string(), "agent", "run"};
  context.secure_cookies = !o.tls_cert.empty();
  if (o.prepare) o.prepare(context);
  http::Router router;
  server::register_all_routes(router, context);
  http::ServerOptions options;
  options.host = o.host;
  options.port = o.port;
  options.tls_cert = o.tls_cert;
  options.tls_key = o.tls_key;
  options.max_threads = o.max_threads;
  if (o.access_log)
    options.on_request = [](const http::Request& r, int status, double seconds) {
      // Quoted: a decoded path may hold a newline (a forged log line) or any other byte.
      std::fprintf(stderr, "%s %s %s %d %.1fms\n", escape_bytes(r.remote_addr).c_str(),
                   escape_bytes(r.method).c_str(), escape_bytes(r.path).c_str(), status,
                   seconds * 1e3);
    };
  http::Server server(router, options);
  // Browsers keep cookies apart by host only: named by port, two servers on one host keep their
  // sessions.
  context.cookie_name = std::string(server::kSessionCookie) + "_" + std::to_string(server.port());
  // Jobs queued before the server started (or left by a dead agent) go on now.
  for (auto* served : context.workspaces()) {
    platform::reconcile_if_no_agent(served->workspace);
    context.wake_agent(*served);
  }

  if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) throw os_error("pipe", errno);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  std::atomic<bool> finished{false};
  const std::string who = o.who;
  std::thread stopper([&server, &finished, who] {
    char c = 0;
    while (::read(g_signal_pipe[0], &c, 1) < 0 && errno == EINTR) {
    }
    if (c != 0)
      std::fprintf(stderr, "%s: %s: stopping (requests in flight finish)\n", who.c_str(),
                   c == SIGINT ? "SIGINT" : "SIGTERM");
    // Again until run() has returned: a stop that came before it listened is a no-op.
    while (!finished) {
      server.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  auto end_stopper = [&] {
    finished = true;
    const char zero = 0;  // wakes the stopper when no signal came (run() ended on its own)
    [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &zero, 1);
    stopper.join();
  };
  try {
    if (o.on_listening) o.on_listening(server.port(), server.tls());
    server.run();
  } catch (...) {
    end_stopper();  // a joinable thread left behind would be std::terminate, not the error
    throw;
  }
  end_stopper();
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  std::fprintf(stderr, "%s: stopped\n", who.c_str());
}

}  // namespace glia::cli
