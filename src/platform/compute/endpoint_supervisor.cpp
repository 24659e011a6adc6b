// Running endpoints' processes for the agent (endpoint_supervisor.hpp).
#include "compute/endpoint_supervisor.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <vector>

#include "compute/endpoint_socket.hpp"
#include "compute/job_process.hpp"
#include "compute/thread_share.hpp"
#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/platform/endpoint_config.hpp"
#include "glia/platform/endpoints.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/models.hpp"

namespace fs = std::filesystem;

namespace glia::platform::compute {

namespace {

constexpr int kMaxFailedStarts = 5;
constexpr double kHealthyResetSeconds = 60;
constexpr double kMaxBackoffSeconds = 30;
constexpr double kNativeStartSeconds = 60, kScriptStartSeconds = 600;
constexpr uintmax_t kLogRotateBytes = 16u << 20;

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by " + signal_name(WTERMSIG(status));
  return "ended";
}

constexpr int kInheritedListenFd = 3;

std::optional<EndpointProcessStatus> read_status(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  try {
    return parse_endpoint_status(text.str(), file.string());
  } catch (const Error&) {  // written atomically: only a foreign file reads wrong
    return std::nullopt;
  }
}

// Whether `pid` is this user's `glia endpoint serve --config CONFIG` (how the agent starts an
// endpoint's process; a zombie's command line is empty).
bool serves_config(pid_t pid, const std::string& config) {
  const std::string proc = "/proc/" + std::to_string(pid);
  struct stat st {};
  if (::stat(proc.c_str(), &st) != 0 || st.st_uid != ::geteuid()) return false;
  std::ifstream in(proc + "/cmdline", std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (size_t from = 0; from < text.size();) {
    const size_t end = std::min(text.find('\0', from), text.size());
    args.push_back(text.substr(from, end - from));
    from = end + 1;
  }
  return args.size() == 5 && args[1] == "endpoint" && args[2] == "serve" && args[3] == "--config" &&
         args[4] == config;
}

// The processes serving `config` (see serves_config), by pid.
std::vector<pid_t> processes_serving(const std::string& config) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stol(name));
    if (serves_config(pid, config)) out.push_back(pid);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// `python3` as the scoring workers' own PATH finds it. Left as a bare name, the endpoint process
// would look it up on the agent's PATH instead (posix_spawnp searches the caller's), where a pyenv
// shim's interpreter may come first and then load another prefix's standard library.
std::string python_on(const std::string& path) {
  for (size_t start = 0; start <= path.size();) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) {
      const fs::path candidate = fs::path(path.substr(start, end - start)) / "python3";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    start = end + 1;
  }
  return "python3";
}

bool same_status(const EndpointStatus& a, const EndpointStatus& b) {
  return a.state == b.state && a.reason == b.reason && a.port == b.port &&
         a.served_generation == b.served_generation &&
         a.served_model_version == b.served_model_version && a.pid == b.pid &&
         a.pid_start == b.pid_start && a.restarts == b.restarts;
}

}  // namespace

EndpointSupervisor::EndpointSupervisor(Workspace& ws, const AgentOptions& options)
    : ws_(ws), options_(options), uid_(::geteuid()) {}

int64_t EndpointSupervisor::tick(double now) {
  int64_t owned = 0;
  std::set<std::string> seen;
  for (const EndpointRecord& e : ws_.store().list_endpoints()) {
    if (e.owner_uid != uid_) continue;  // another user's agent runs it
    ++owned;
    seen.insert(e.name);
    try {
      if (e.status.state == EndpointState::Deleting)
        remove(e, now);
      else
        supervise(e, now);
    } catch (const std::exception& err) {  // one endpoint's trouble never stops the others
      std::fprintf(stderr, "glia agent: endpoint %s: %s\n", e.name.c_str(), err.what());
    }
  }
  std::erase_if(procs_, [&](const auto& p) { return !seen.count(p.first); });
  for (auto it = sockets_.begin(); it != sockets_.end();) {  // removed by another agent
    if (seen.count(it->first)) {
      ++it;
    } else {
      ::close(it->second);
      it = sockets_.erase(it);
    }
  }
  std::erase_if(backoff_, [&](const auto& b) { return !seen.count(b.first); });
  std::erase_if(scanned_, [&](const std::string& name) { return !seen.count(name); });
  return owned;
}

EndpointSupervisor::~EndpointSupervisor() {
  for (const auto& [name, fd] : sockets_) ::close(fd);
}

void EndpointSupervisor::release_socket(const std::string& name) {
  if (auto it = sockets_.find(name); it != sockets_.end()) {
    ::close(it->second);
    sockets_.erase(it);
  }
}

bool EndpointSupervisor::exited(pid_t pid, int wait_status) {
  for (const auto& [name, p] : procs_)
    if (p.child && p.pid == pid) {
      exits_[pid] = describe_exit(wait_status);
      return true;
    }
  return false;
}

bool EndpointSupervisor::alive(Process& p) {
  if (p.child) return !exits_.count(p.pid);  // a child is reaped by the agent's loop
  const auto ticks = process_start_ticks(p.pid);
  return ticks && *ticks == p.start_ticks;
}

void EndpointSupervisor::record(const EndpointRecord& e, EndpointStatus status) {
  if (same_status(e.status, status)) return;
  ws_.store().set_endpoint_status(e.name, status);
}

std::map<std::string, EndpointSupervisor::Process>::iterator EndpointSupervisor::adopt(
    const EndpointRecord& e, double now) {
  if (e.status.pid > 0) {  // started by an earlier agent, recorded: adopted
    const auto ticks = process_start_ticks(static_cast<pid_t>(e.status.pid));
    if (ticks && std::to_string(*ticks) == e.status.pid_start)
      return procs_
          .emplace(e.name, Process{static_cast<pid_t>(e.status.pid), *ticks, false,
                                   e.status.served_generation, now, 0})
          .first;
  }
  // An earlier agent killed between starting the process and recording it left it unrecorded:
  // found by its command line (once per endpoint and agent: this agent records its own), and
  // adopted rather than left serving on the port forever; any further one is stopped.
  if (!scanned_.insert(e.name).second) return procs_.end();
  const std::string config = endpoint_dir(ws_.root(), e.name).config().string();
  auto it = procs_.end();
  for (const pid_t pid : processes_serving(config)) {
    const auto ticks = process_start_ticks(pid);
    if (!ticks) continue;
    if (it != procs_.end()) {
      ::kill(-pid, SIGKILL);
      continue;
    }
    const auto st = read_status(endpoint_dir(ws_.root(), e.name).status());
    const int64_t generation = st && st->pid == pid ? st->generation : 0;
    it = procs_.emplace(e.name, Process{pid, *ticks, false, generation, now, 0}).first;
    std::fprintf(stderr, "glia agent: endpoint %s: adopted its unrecorded process %d\n",
                 e.name.c_str(), static_cast<int>(pid));
  }
  return it;
}

void EndpointSupervisor::supervise(EndpointRecord e, double now) {
  auto it = procs_.find(e.name);
  if (it == procs_.end()) it = adopt(e, now);
  Backoff& b = backoff_[e.name];
  if (b.generation != e.generation) b = Backoff{0, 0, e.generation, ""};  // an update: afresh
  if (it != procs_.end() && !alive(it->second)) {
    Process p = it->second;
    procs_.erase(it);
    std::string how = "ended";
    if (auto x = exits_.find(p.pid); x != exits_.end()) {
      how = x->second;
      exits_.erase(x);
    }
    ended(e, p, now, how);
    return;  // started again on a later pass, when the backoff allows
  }
  if (it == procs_.end()) {
    if (b.failures >= kMaxFailedStarts) {
      EndpointStatus s = e.status;
      s.state = EndpointState::Failed;
      s.reason = "failed to start " + std::to_string(b.failures) +
                 " times in a row; last: " + b.last_reason +
                 " (`glia endpoint update` starts it again)";
      s.pid = 0;
      s.pid_start.clear();
      record(e, s);
      return;
    }
    if (now < b.next_start) return;
    start(e, now, b.failures ? "restarting: " + b.last_reason : "");
    return;
  }
  Process& p = it->second;
  const auto st = read_status(endpoint_dir(ws_.root(), e.name).status());
  if (e.status.pid != p.pid) {  // adopted unrecorded (or its start not recorded): recorded now
    e.status.pid = p.pid;
    e.status.pid_start = std::to_string(p.start_ticks);
    ws_.store().set_endpoint_status(e.name, e.status);
  }
  if (!st || st->pid != p.pid) {  // nothing written yet by this process
    const double limit = e.settings.scoring == "python" ? kScriptStartSeconds : kNativeStartSeconds;
    if (now - p.started_at > limit) {
      ::kill(-p.pid, SIGKILL);
      b.last_reason = "not ready after " + std::to_string(static_cast<int>(limit)) + " s";
    }
    return;
  }
  if (st->state != "ready") {
    if (st->state == "failed") b.last_reason = st->error;  // it exits by itself
    return;
  }
  EndpointStatus s = e.status;
  s.served_generation = st->generation;
  s.served_model_version = st->model_version;
  s.port = st->port ? st->port : s.port;
  if (st->generation == e.generation) {
    s.state = EndpointState::Healthy;
    s.reason.clear();
    if (now - p.started_at >= kHealthyResetSeconds) b.failures = 0;
  } else if (st->generation < e.generation) {
    if (st->failed_generation == e.generation) {
      s.state = EndpointState::Healthy;  // the old generation goes on serving
      s.reason = "update to generation " + std::to_string(e.generation) + " failed: " + st->error +
                 "; serving generation " + std::to_string(st->generation);
    } else if (p.sighup_generation < e.generation) {
      p.sighup_generation = e.generation;  // tried once: a new update tries again
      try {
        write_config(e, s.port,
                     platform::materialize_model(ws_, e.settings.model_name + ":" +
                                                          std::to_string(e.settings.model_version))
                         .string());
        if (::kill(p.pid, SIGHUP) != 0) throw os_error("signalling the endpoint's process", errno);
      } catch (const std::exception& err) {  // the old generation serves on; the update says why
        s.state = EndpointState::Healthy;
        s.reason = "update to generation " + std::to_string(e.generation) +
                   " failed: " + err.what() + "; serving generation " +
                   std::to_string(st->generation);
      }
    }
  }
  record(e, s);
}

void EndpointSupervisor::ended(const EndpointRecord& e, Process p, double now,
                               const std::string& how) {
  Backoff& b = backoff_[e.name];
  const auto st = read_status(endpoint_dir(ws_.root(), e.name).status());
  const bool served = e.status.served_generation > 0 && e.status.pid == p.pid &&
                      e.status.state == EndpointState::Healthy;
  if (st && st->pid == p.pid && st->state == "failed" && !st->error.empty())
    b.last_reason = st->error;
  else
    b.last_reason = "the process " + how;
  if (served && now - p.started_at >= kHealthyResetSeconds) b.failures = 0;
  ++b.failures;
  // The first crash restarts at once; then 1, 2, 4 … 30 s apart.
  b.next_start =
      b.failures <= 1 ? now : now + std::min(kMaxBackoffSeconds, std::pow(2.0, b.failures - 2));
  EndpointStatus s = e.status;
  s.state = b.failures >= kMaxFailedStarts              ? EndpointState::Failed
            : e.status.state == EndpointState::Creating ? EndpointState::Creating
                                                        : EndpointState::Unhealthy;
  s.reason = b.last_reason;
  s.pid = 0;
  s.pid_start.clear();
  record(e, s);
}

void EndpointSupervisor::write_config(const EndpointRecord& e, int64_t port,
                                      const std::string& model_dir) {
  const EndpointDir dir = endpoint_dir(ws_.root(), e.name);
  EndpointProcessConfig c;
  c.name = e.name;
  c.generation = e.generation;
  c.host = e.settings.host;
  c.port = port;
  c.listen_fd = kInheritedListenFd;  // what start() hands the process (ignored on a reload)
  c.model_name = e.settings.model_name;
  c.model_version = e.settings.model_version;
  c.model_dir = model_dir;
  c.scoring = e.settings.scoring;
  c.instances = e.settings.instances;
  // One thread each: a scoring batch is small, and a second OpenMP thread costs more than it
  // gives (bench/README.md: 2 threads halved 1-row throughput and missed the p99 target).
  c.threads_per_instance = 1;
  c.max_batch_size = e.settings.max_batch_size;
  c.max_queue_delay_us = e.settings.max_queue_delay_us;
  c.max_queue = e.settings.max_queue;
  c.max_body_bytes = e.settings.max_body_bytes;
  c.max_rows = e.settings.max_rows;
  c.request_timeout_ms = e.settings.request_timeout_ms;
  c.auth_mode = e.settings.auth_mode;
  if (c.auth_mode == "key") {
    c.key_sha256 = endpoint_key_digests(open_endpoint_keys(ws_, e));
  }
  if (c.scoring == "python") {
    // The script's folder as it was recorded for this generation, and its interpreter.
    const fs::path code = dir.code() / std::to_string(e.generation);
    if (!fs::exists(code)) {
      const fs::path tmp = dir.code() / (".tmp-" + std::to_string(e.generation));
      fs::remove_all(tmp);
      ws_.artifacts().materialize(e.settings.code_manifest, tmp);
      fs::rename(tmp, code);
    }
    c.code_dir = code.string();
    c.script = (code / e.settings.scoring_script).string();
    c.python = "python3";
    std::string path = options_.tool_dir.empty() ? "" : options_.tool_dir.string() + ":";
    path += "/usr/local/bin:/usr/bin:/bin";
    if (!e.settings.environment.empty()) {
      const EnvironmentVersion env =
          resolve_environment(ws_.store(), parse_environment_ref(e.settings.environment));
      const auto venv = built_environment(ws_, env.build_hash);
      if (!venv)
        throw Error(ErrorKind::NotFound, "environment " + e.settings.environment +
                                             " is not built (glia environment build " +
                                             e.settings.environment + ")");
      c.python = (*venv / "bin" / "python").string();
      // The environment's conda `variables:` too (docs/endpoints.md), as a job of it gets them.
      for (const auto& [k, v] : environment_variables_for(env, *venv, path)) c.env[k] = v;
      path = c.env["PATH"];
    }
    c.env["PATH"] = path;
    if (e.settings.environment.empty()) c.python = python_on(path);
    std::string pythonpath = options_.python_dir.string();
    if (!options_.azureml_shim_dir.empty()) pythonpath += ":" + options_.azureml_shim_dir.string();
    c.env["PYTHONPATH"] = pythonpath;
    c.env["PYTHONUNBUFFERED"] = "1";
    const std::string threads = std::to_string(c.threads_per_instance);
    for (const char* var : {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"})
      c.env[var] = threads;
  }
  c.status_file = dir.status().string();
  c.access_log = dir.access_log().string();
  fs::create_directories(dir.root);
  ::chmod(dir.root.c_str(), 0700);
  io::write_file_atomically(dir.config(), endpoint_config_json(c), 0600 | io::kExactMode);
}

void EndpointSupervisor::start(const EndpointRecord& e, double now, const std::string& reason) {
  Backoff& b = backoff_[e.name];
  const EndpointDir dir = endpoint_dir(ws_.root(), e.name);
  EndpointStatus s = e.status;
  try {
    int64_t port = e.status.port > 0 ? e.status.port : e.settings.port;  // 0: the kernel's pick
    if (auto held = sockets_.find(e.name); held != sockets_.end()) {
      int listening = 0;
      socklen_t len = sizeof listening;
      if (::getsockopt(held->second, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
          !listening)
        release_socket(e.name);  // a process that stopped gracefully shut it down: made anew
    }
    if (!sockets_.count(e.name))
      sockets_[e.name] = open_listening_socket(e.settings.host, port, &port);
    else
      port = listening_port(sockets_[e.name]);
    const fs::path model = materialize_model(
        ws_, e.settings.model_name + ":" + std::to_string(e.settings.model_version));
    write_config(e, port, model.string());
    s.port = port;
  } catch (const std::exception& err) {  // nothing to start with: counted as a failed start
    ++b.failures;
    b.last_reason = err.what();
    b.next_start = now + std::min(kMaxBackoffSeconds, std::pow(2.0, b.failures - 1));
    s.state = b.failures >= kMaxFailedStarts              ? EndpointState::Failed
              : e.status.state == EndpointState::Creating ? EndpointState::Creating
                                                          : EndpointState::Unhealthy;
    s.reason = b.last_reason;
    record(e, s);
    return;
  }
  std::error_code ec;
  if (fs::file_size(dir.log(), ec) > kLogRotateBytes && !ec)
    fs::rename(dir.log(), dir.root / "endpoint.log.1", ec);
  // Everything the child needs is made before the fork: it only calls async-signal-safe code.
  const std::string program =
      (options_.tool_dir.empty() ? fs::path("glia") : options_.tool_dir / "glia").string();
  const std::string config = dir.config().string(), log = dir.log().string();
  const int listen_fd = sockets_.at(e.name);
  const char* argv[] = {program.c_str(), "endpoint", "serve", "--config", config.c_str(), nullptr};
  const pid_t pid = ::fork();
  if (pid < 0) throw os_error("starting the endpoint's process", errno);
  if (pid == 0) {
    ::setsid();  // its own session: it outlives the agent, and the agent's signals miss it
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int out = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (null < 0 || out < 0 || ::dup2(null, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0)
      ::_exit(126);
    // The listening socket as descriptor 3 (dup2 clears its close-on-exec), and nothing else of
    // the agent's: its lock, the store, the wake FIFO or a job's pipes held by an endpoint would
    // outlive the agent (a new one could not take the lock).
    if (::dup2(listen_fd, kInheritedListenFd) < 0) ::_exit(126);
    ::close_range(kInheritedListenFd + 1, ~0U, 0);
    ::execv(program.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  Process p;
  p.pid = pid;
  p.child = true;
  p.start_ticks = process_start_ticks(pid).value_or(0);
  p.sighup_generation = e.generation;  // the config it starts with is this generation's
  p.started_at = now;
  procs_[e.name] = p;
  s.pid = pid;
  s.pid_start = std::to_string(p.start_ticks);
  if (!reason.empty()) {
    ++s.restarts;
    s.state = e.status.state == EndpointState::Creating ? EndpointState::Creating
                                                        : EndpointState::Unhealthy;
    s.reason = reason;
  }
  record(e, s);
}

void EndpointSupervisor::remove(const EndpointRecord& e, double now) {
  auto it = procs_.find(e.name);
  if (it == procs_.end()) it = adopt(e, now);
  if (it != procs_.end() && alive(it->second)) {
    Process& p = it->second;
    if (p.term_sent_at == 0) {
      ::kill(p.pid, SIGTERM);  // a graceful stop: requests in flight are answered
      p.term_sent_at = now;
    } else if (now - p.term_sent_at > options_.kill_grace_seconds) {
      ::kill(-p.pid, SIGKILL);  // the process and its workers
    }
    return;
  }
  if (it != procs_.end()) {
    exits_.erase(it->second.pid);
    procs_.erase(it);
  }
  release_socket(e.name);  // the port is free again
  std::error_code ec;
  fs::remove_all(endpoint_dir(ws_.root(), e.name).root, ec);
  ws_.store().remove_endpoint(e.name);
  backoff_.erase(e.name);
}

}  // namespace glia::platform::compute
