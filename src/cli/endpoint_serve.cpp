// glia endpoint serve: reads the config the agent wrote, binds, loads the model, writes the
// status file, and serves until SIGTERM/SIGINT (graceful stop); SIGHUP re-reads the config
// (a new generation: keys and limits at once, a new model loaded beside the served one).
#include "cli/endpoint_serve.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "cli/common.hpp"
#include "glia/error_kinds.hpp"
#include "glia/escape.hpp"
#include "glia/http/server.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/platform/endpoint_config.hpp"
#include "glia/serving/endpoint.hpp"
#include "glia/serving/raw_scorer.hpp"

namespace glia::cli {

namespace {

// EX_UNAVAILABLE: the port is taken (the agent tells it from other failures).
constexpr int kPortInUseExit = 69;

int g_signal_pipe[2] = {-1, -1};

extern "C" void on_endpoint_signal(int sig) {
  const char c = static_cast<char>(sig);
  [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &c, 1);
}

platform::EndpointProcessConfig read_config(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw os_error("endpoint config " + quote_bytes(file), errno);
  std::ostringstream text;
  text << in.rdbuf();
  return platform::parse_endpoint_config(text.str(), file);
}

serving::ServeOptions serve_options_of(const platform::EndpointProcessConfig& c) {
  serving::ServeOptions o;
  o.name = c.name;
  o.generation = c.generation;
  o.host = c.host;
  o.port = c.port;
  o.model_name = c.model_name;
  o.model_version = c.model_version;
  o.model_dir = c.model_dir;
  o.scoring = c.scoring;
  o.script = c.script;
  o.code_dir = c.code_dir;
  o.python = c.python;
  o.env = c.env;
  o.instances = c.instances;
  o.threads_per_instance = c.threads_per_instance;
  o.max_batch_size = c.max_batch_size;
  o.max_queue_delay_us = c.max_queue_delay_us;
  o.max_queue = c.max_queue;
  o.max_body_bytes = c.max_body_bytes;
  o.max_rows = c.max_rows;
  o.request_timeout_ms = c.request_timeout_ms;
  o.auth_mode = c.auth_mode;
  o.key_sha256 = c.key_sha256;
  o.access_log = c.access_log;
  return o;
}

// The status file, replaced atomically whenever the state changes.
class StatusWriter {
 public:
  explicit StatusWriter(std::string file) : file_(std::move(file)) { status_.pid = ::getpid(); }
  platform::EndpointProcessStatus& status() { return status_; }
  void write() {
    if (file_.empty()) return;
    io::write_file_atomically(file_, platform::endpoint_status_json(status_), 0600);
  }
  // A failure before serving: written, printed, and the process ends with `code`.
  [[noreturn]] void fail(const std::string& message, int code) {
    status_.state = "failed";
    status_.error = message;
    try {
      write();
    } catch (const Error& e) {
      std::fprintf(stderr, "glia endpoint: status file: %s\n", escape_bytes(e.what()).c_str());
    }
    std::fprintf(stderr, "glia: error: %s\n", escape_bytes(message).c_str());
    throw ExitRequest{code};
  }

 private:
  std::string file_;
  platform::EndpointProcessStatus status_;
};

void serve(const std::string& config_file) {
  // A large request's buffers (its body, the parser's) are mmapped and given back when freed:
  // glibc's adaptive threshold would otherwise keep them in each connection thread's arena.
  ::mallopt(M_MMAP_THRESHOLD, 256 << 10);
  ::mallopt(M_ARENA_MAX, 4);
  // Signals through a self-pipe to a thread of their own (no signal mask: children would inherit
  // it), caught from the start: a SIGHUP or SIGTERM that comes while the model loads waits in
  // the pipe instead of killing the process.
  if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) throw os_error("pipe", errno);
  struct sigaction sa {};
  sa.sa_handler = on_endpoint_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);
  const platform::EndpointProcessConfig config = read_config(config_file);
  StatusWriter status(config.status_file);
  status.status().state = "loading";
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<serving::Endpoint> endpoint;
  try {
    endpoint = std::make_unique<serving::Endpoint>(serve_options_of(config),
                                                   serving::python_script_loader());
  } catch (const Error& e) {
    status.fail(config_file + ": " + e.what(), error_kind_info(e.kind()).exit_code);
  }
  http::Router router;
  endpoint->add_routes(router);
  http::ServerOptions so;
  so.host = config.host;
  so.port = static_cast<int>(config.port);
  so.listen_fd = static_cast<int>(config.listen_fd);
  // Scoring clients keep their connections: a new one every 5 requests (cpp-httplib's
  // default) cost a fifth to a third of the throughput of 1-row requests.
  so.keep_alive_max_requests = 10000;
  serving::Endpoint* ep = endpoint.get();
  so.on_request = [ep](const http::Request& r, int code, double seconds) {
    ep->on_request(r, code, seconds);
  };
  std::unique_ptr<http::Server> server;
  try {
    server = std::make_unique<http::Server>(router, so);
  } catch (const Error& e) {
    status.fail(e.what(), e.kind() == ErrorKind::Unavailable ? kPortInUseExit
                                                             : error_kind_info(e.kind()).exit_code);
  }
  status.status().port = server->port();
  status.write();
  std::atomic<bool> finished{false};
  std::atomic<bool> loaded{false};  // the first load is done
  const int bound_port = server->port();
  // Reloads run on a thread of their own, one at a time; the requests go on meanwhile. The
  // signal thread stays free: a SIGTERM that comes while a reload loads (a score.py whose init()
  // takes minutes) or drains stops the process at once instead of after the reload.
  const auto reload = [&] {
    int64_t next_generation = 0;
    try {
      const platform::EndpointProcessConfig next = read_config(config_file);
      next_generation = next.generation;
      if (next.host != config.host || (next.port != 0 && next.port != bound_port))
        throw Error("host and port cannot change while serving (a restart takes them)");
      endpoint->reload(serve_options_of(next), [&](const std::string& state) {
        status.status().state = state;
        if (state == "ready") {
          status.status().generation = endpoint->served_generation();
          status.status().model_version = endpoint->served_model_version();
          status.status().error.clear();
          status.status().failed_generation = 0;
        }
        status.write();
      });
      std::fprintf(stderr, "glia endpoint: SIGHUP: serving generation %lld (model version %lld)\n",
                   static_cast<long long>(endpoint->served_generation()),
                   static_cast<long long>(endpoint->served_model_version()));
    } catch (const std::exception& e) {
      std::fprintf(
          stderr, "glia endpoint: SIGHUP: reload failed, still serving generation %lld: %s\n",
          static_cast<long long>(endpoint->served_generation()), escape_bytes(e.what()).c_str());
      status.status().state = "ready";
      status.status().generation = endpoint->served_generation();
      status.status().model_version = endpoint->served_model_version();
      status.status().error = e.what();
      status.status().failed_generation = next_generation;
      try {
        status.write();
      } catch (const std::exception& w) {
        std::fprintf(stderr, "glia endpoint: status file: %s\n", escape_bytes(w.what()).c_str());
      }
    }
  };
  std::mutex reload_mu;
  std::condition_variable reload_cv;
  bool reload_wanted = false, reload_stop = false, reloading = false;
  std::thread signals([&] {
    for (;;) {
      char c = 0;
      if (::read(g_signal_pipe[0], &c, 1) < 0) {
        if (errno == EINTR) continue;
        c = 0;
      }
      if (c == SIGHUP) {
        {
          std::lock_guard lock(reload_mu);
          reload_wanted = true;
        }
        reload_cv.notify_all();
        continue;
      }
      if (c != 0 && !loaded) {
        // Nothing served yet: the first load (a score.py whose init() takes minutes) does not
        // hold the stop back; its Python workers see their endpoint gone and exit.
        std::fprintf(stderr, "glia endpoint: %s while the model loads: stopped\n",
                     c == SIGINT ? "SIGINT" : "SIGTERM");
        std::fflush(nullptr);
        std::_Exit(0);
      }
      if (c != 0)
        std::fprintf(stderr, "glia endpoint: %s: stopping (requests in flight are answered)\n",
                     c == SIGINT ? "SIGINT" : "SIGTERM");
      // Again until run() has returned: a stop that came before it listened is a no-op.
      while (!finished) {
        server->stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      return;
    }
  });
  // The first load, with the signal thread already running: a SIGTERM meanwhile ends the
  // process at once, a SIGHUP waits for the load.
  try {
    endpoint->load();
  } catch (const Error& e) {
    finished = true;  // the signal thread ends
    const char zero = 0;
    [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &zero, 1);
    signals.join();
    status.fail(
        "model " + config.model_name + ":" + std::to_string(config.model_version) + ": " + e.what(),
        error_kind_info(e.kind()).exit_code);
  }
  status.status().state = "ready";
  status.status().generation = endpoint->served_generation();
  status.status().model_version = endpoint->served_model_version();
  status.write();
  const double ready_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "glia endpoint: %s: serving model %s:%lld (generation %lld) on http://%s:%d (ready in "
      "%.0f ms)\n",
      escape_bytes(config.name).c_str(), escape_bytes(config.model_name).c_str(),
      static_cast<long long>(config.model_version), static_cast<long long>(config.generation),
      config.host.c_str(), server->port(), ready_ms);
  std::fflush(stdout);

  loaded = true;
  std::thread reloader([&] {
    std::unique_lock lock(reload_mu);
    for (;;) {
      reload_cv.wait(lock, [&] { return reload_wanted || reload_stop; });
      if (reload_stop) return;
      reload_wanted = false;
      reloading = true;
      lock.unlock();
      reload();
      lock.lock();
      reloading = false;
    }
  });
  server->run();
  finished = true;
  const char zero = 0;  // wakes the signal thread when no signal came (run() ended on its own)
  [[maybe_unused]] const auto n = ::write(g_signal_pipe[1], &zero, 1);
  signals.join();
  bool abandoned = false;
  {
    std::lock_guard lock(reload_mu);
    reload_stop = true;
    abandoned = reloading;
  }
  reload_cv.notify_all();
  if (abandoned) {
    // The requests are answered; the reload still loading is dropped with the process (its
    // Python workers see their endpoint gone and exit).
    std::fprintf(stderr, "glia endpoint: stopped (the reload in progress was abandoned)\n");
    std::fflush(nullptr);
    std::_Exit(0);
  }
  reloader.join();
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  std::fprintf(stderr, "glia endpoint: stopped\n");
}

}  // namespace

void add_endpoint_serve(CLI::App& endpoint_group) {
  auto* cmd = endpoint_group.add_subcommand(
      "serve",
      "Run an endpoint's scoring process from its config file (the agent starts it; "
      "docs/endpoints.md)");
  auto config = std::make_shared<std::string>();
  cmd->add_option("--config", *config, "the endpoint's config.json (written by the agent)")
      ->required();
  cmd->callback([config] { serve(*config); });
}

}  // namespace glia::cli
