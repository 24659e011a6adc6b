// A pool of Python scoring workers running a score.py (script_scorer.hpp): started and checked
// at once, one request per worker at a time, a supervisor thread restarting those that die.
#include "glia/serving/script_scorer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "glia/error.hpp"
#include "glia/error_kinds.hpp"
#include "glia/escape.hpp"
#include "serving/script_channel.hpp"
#include "serving/script_spawn.hpp"

namespace glia::serving {

namespace {

std::string error_body(ErrorKind kind, const std::string& message) {
  return nlohmann::json{{"error", {{"kind", error_kind_info(kind).name}, {"message", message}}}}
      .dump();
}

ScriptReply error_reply(int status, ErrorKind kind, const std::string& message) {
  ScriptReply r;
  r.status = status;
  r.body = error_body(kind, message);
  return r;
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "stopped";
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

Clock::time_point deadline_after(double seconds) {
  const double capped = std::clamp(seconds, 0.0, 365.0 * 86400);
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(capped));
}

void check_dir(const std::string& path, const char* what) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error("scoring script: " + std::string(what) + " " + quote_bytes(path) +
                ": expected an existing folder");
}

}  // namespace

struct ScriptScorer::Impl {
  enum class State { Starting, Idle, Busy, Dead };
  struct Worker {
    int index = 0;
    pid_t pid = 0;
    int fd = -1;
    State state = State::Starting;
    std::string why_dead;  // what marked it dead, for the log
    int failures = 0;      // restarts in a row whose init() failed
    Clock::time_point retry_at{};
  };

  ScriptOptions opt;
  std::vector<std::string> env_strings;
  mutable std::mutex mu;
  std::condition_variable idle_cv;        // a worker became idle, or stopping
  std::condition_variable supervisor_cv;  // a worker died, or stopping
  std::vector<Worker> workers;
  std::deque<int> idle;
  bool stopping = false;
  pid_t restarting = 0;  // the worker the supervisor is starting now (killed to stop at once)
  std::thread supervisor;
  std::atomic<uint64_t> next_request{1};

  void log(const char* format, ...) const __attribute__((format(printf, 2, 3))) {
    char line[2048];
    va_list args;
    va_start(args, format);
    std::vsnprintf(line, sizeof line, format, args);
    va_end(args);
    dprintf(opt.log_fd, "glia endpoint: %s\n", line);
  }

  void build_environment() { env_strings = worker_environment(opt); }

  Spawned spawn(int index) const { return spawn_worker(opt, env_strings, index); }

  // Waits for a spawned worker's init(): "" when it is ready, else why not (one line).
  std::string await_ready(const Spawned& w, Clock::time_point deadline) const {
    ChannelMessage m;
    std::string why;
    switch (read_message(w.fd, deadline, m, why, 1 << 20)) {
      case ChannelResult::Ok:
        if (m.header.value("ready", false)) return "";
        return escape_bytes(m.header.value("error", std::string("init() failed")));
      case ChannelResult::TimedOut:
        return "init() of " + opt.script + " did not finish within " +
               seconds_text(opt.init_timeout_s) + " (the worker was killed)";
      case ChannelResult::Closed:
        return "the scoring worker for " + opt.script +
               " exited before init() finished; its output is in the endpoint's log";
      case ChannelResult::Broken:
        break;
    }
    return "the scoring worker for " + opt.script + " answered " + why;
  }

  static void kill_and_reap(pid_t pid, int* status = nullptr) {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (status) *status = st;
  }

  // Marks a checked-out worker dead (the supervisor reaps and restarts it).
  void mark_dead(int index, std::string why) {
    std::lock_guard lock(mu);
    Worker& w = workers[static_cast<size_t>(index)];
    w.state = State::Dead;
    w.why_dead = std::move(why);
    w.retry_at = Clock::now();
    supervisor_cv.notify_all();
  }

  void release(int index) {
    std::lock_guard lock(mu);
    workers[static_cast<size_t>(index)].state = State::Idle;
    idle.push_back(index);
    idle_cv.notify_one();
  }

  // The supervisor: reaps dead workers and starts them again, with backoff while their init()
  // keeps failing.
  void supervise() {
    std::unique_lock lock(mu);
    while (!stopping) {
      int pick = -1;
      Clock::time_point next = Clock::time_point::max();
      for (Worker& w : workers) {
        if (w.state != State::Dead) continue;
        if (w.retry_at <= Clock::now()) {
          pick = w.index;
          break;
        }
        next = std::min(next, w.retry_at);
      }
      if (pick < 0) {
        if (next == Clock::time_point::max())
          supervisor_cv.wait(lock);
        else
          supervisor_cv.wait_until(lock, next);
        continue;
      }
      Worker& w = workers[static_cast<size_t>(pick)];
      const pid_t old_pid = w.pid;
      const int old_fd = w.fd;
      const std::string why = w.why_dead;
      w.pid = 0;
      w.fd = -1;
      w.state = State::Starting;
      lock.unlock();
      if (old_fd >= 0) ::close(old_fd);
      if (old_pid > 0) {
        int status = 0;
        kill_and_reap(old_pid, &status);
        log("scoring worker %d (pid %d) %s: %s; restarting it", pick, static_cast<int>(old_pid),
            describe_exit(status).c_str(), why.c_str());
      }
      std::string failure;
      Spawned s;
      try {
        s = spawn(pick);
        {
          std::lock_guard guard(mu);
          restarting = s.pid;
          if (stopping) ::kill(s.pid, SIGKILL);
        }
        failure = await_ready(s, deadline_after(opt.init_timeout_s));
      } catch (const Error& e) {
        failure = e.what();
      }
      lock.lock();
      restarting = 0;
      if (failure.empty() && !stopping) {
        w.pid = s.pid;
        w.fd = s.fd;
        w.failures = 0;
        w.state = State::Idle;
        idle.push_back(pick);
        idle_cv.notify_one();
        log("scoring worker %d restarted (pid %d)", pick, static_cast<int>(s.pid));
        continue;
      }
      // Failed (or stopping): this one is gone, the next try later.
      w.state = State::Dead;
      w.failures += 1;
      const int backoff = std::min(30, 1 << std::min(w.failures - 1, 5));
      w.retry_at = Clock::now() + std::chrono::seconds(backoff);
      w.why_dead = "its restart failed";
      const bool quiet = stopping;  // killed to stop: nothing to report
      lock.unlock();
      if (s.fd >= 0) ::close(s.fd);
      kill_and_reap(s.pid);
      if (!failure.empty() && !quiet)
        log("scoring worker %d could not be restarted: %s; trying again in %d s", pick,
            failure.c_str(), backoff);
      lock.lock();
    }
  }

  ScriptReply run(std::string_view body, double timeout_s,
                  const std::vector<std::pair<std::string, std::string>>& headers) {
    const auto deadline = deadline_after(timeout_s);
    const uint64_t id = next_request.fetch_add(1);
    nlohmann::json head_json = nlohmann::json::object();
    for (const auto& [k, v] : headers) head_json[k] = v;  // a repeated name: the last one
    const std::string request = frame_message({{"id", id}, {"headers", head_json}}, body);
    for (;;) {
      int index = -1;
      int fd = -1;
      {
        std::unique_lock lock(mu);
        if (!idle_cv.wait_until(lock, deadline, [&] { return stopping || !idle.empty(); })) {
          int busy = 0;
          for (const Worker& w : workers) busy += w.state == State::Busy;
          return error_reply(503, ErrorKind::Unavailable,
                             "no scoring worker became free within " + seconds_text(timeout_s) +
                                 " (" + std::to_string(busy) + " busy, " +
                                 std::to_string(workers.size() - busy) + " being restarted)");
        }
        if (stopping) return error_reply(503, ErrorKind::Unavailable, "the endpoint is stopping");
        index = idle.front();
        idle.pop_front();
        workers[static_cast<size_t>(index)].state = State::Busy;
        fd = workers[static_cast<size_t>(index)].fd;
      }
      std::string why;
      const ChannelResult sent = write_all(fd, request, deadline, why);
      if (sent == ChannelResult::Closed) {
        // It died while idle: run() never saw this request, which another worker takes.
        mark_dead(index, "it was found dead when request " + std::to_string(id) + " was sent");
        continue;
      }
      ChannelMessage reply;
      const ChannelResult got =
          sent == ChannelResult::Ok ? read_message(fd, deadline, reply, why) : sent;
      switch (got) {
        case ChannelResult::Ok:
          release(index);
          return to_reply(reply);
        case ChannelResult::TimedOut:
          mark_dead(index, "run() did not finish request " + std::to_string(id) + " within " +
                               seconds_text(timeout_s));
          return error_reply(504, ErrorKind::Unavailable,
                             "run() of the scoring script did not finish within " +
                                 seconds_text(timeout_s) + " (request " + std::to_string(id) +
                                 "); its worker is being restarted");
        case ChannelResult::Closed:
          mark_dead(index, "it died while running request " + std::to_string(id));
          return error_reply(503, ErrorKind::Unavailable,
                             "the scoring worker died while running this request (request " +
                                 std::to_string(id) +
                                 "; see the endpoint's log); it is being restarted");
        case ChannelResult::Broken:
          mark_dead(index, "it broke the protocol: " + why);
          return error_reply(500, ErrorKind::Internal,
                             "the scoring worker answered request " + std::to_string(id) +
                                 " with " + why + "; it is being restarted");
      }
    }
  }

  // The headers that frame the HTTP answer: the server writes its own, never the script's (a
  // second Content-Length, or a chunked announcement over a plain body, breaks the connection).
  static bool framing_header(const std::string& name) {
    static const char* const kFraming[] = {"content-length", "transfer-encoding", "connection",
                                           "keep-alive",     "upgrade",           "trailer"};
    return std::any_of(std::begin(kFraming), std::end(kFraming),
                       [&](const char* f) { return ::strcasecmp(name.c_str(), f) == 0; });
  }

  static ScriptReply to_reply(const ChannelMessage& m) {
    ScriptReply r;
    const nlohmann::json status = m.header.value("status", nlohmann::json(500));
    // A final status only: anything else would be written as an invalid status line.
    if (!status.is_number_integer() || status.get<int64_t>() < 200 || status.get<int64_t>() > 599)
      return error_reply(500, ErrorKind::Internal,
                         "run() of the scoring script answered HTTP status " + status.dump() +
                             " (expected 200 to 599)");
    r.status = status.get<int>();
    for (const auto& h : m.header.value("headers", nlohmann::json::array()))
      if (h.is_array() && h.size() == 2 && h[0].is_string() && h[1].is_string() &&
          !framing_header(h[0].get<std::string>()))
        r.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
    if (m.header.contains("error_kind")) {
      const auto kind = error_kind_named(m.header.value("error_kind", std::string()));
      r.body = error_body(kind.value_or(ErrorKind::Internal),
                          m.header.value("message", std::string("the scoring script failed")));
      r.content_type = "application/json";
      return r;
    }
    r.content_type = m.header.value("content_type", std::string("application/json"));
    r.body = m.body;
    return r;
  }

  void stop_all() {
    {
      std::lock_guard lock(mu);
      stopping = true;
      if (restarting > 0) ::kill(restarting, SIGKILL);  // its init() may take minutes
      idle_cv.notify_all();
      supervisor_cv.notify_all();
    }
    if (supervisor.joinable()) supervisor.join();
    // Closing a socket ends its worker's loop; SIGTERM ends a run() in progress.
    for (Worker& w : workers) {
      if (w.fd >= 0) ::close(w.fd);
      w.fd = -1;
      if (w.pid > 0) ::kill(w.pid, SIGTERM);
    }
    const auto grace = deadline_after(opt.stop_grace_s);
    for (Worker& w : workers) {
      while (w.pid > 0) {
        int status = 0;
        const pid_t r = ::waitpid(w.pid, &status, WNOHANG);
        if (r == w.pid || (r < 0 && errno != EINTR)) {
          w.pid = 0;
        } else if (Clock::now() >= grace) {
          kill_and_reap(w.pid);
          w.pid = 0;
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
    }
  }
};

ScriptScorer::ScriptScorer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ScriptScorer::~ScriptScorer() {
  impl_->stop_all();
}

std::unique_ptr<ScriptScorer> ScriptScorer::start(const ScriptOptions& options) {
  if (options.workers < 1)
    throw Error("scoring script: workers " + std::to_string(options.workers) +
                ": expected at least 1");
  if (!(options.init_timeout_s > 0))
    throw Error("scoring script: init timeout " + seconds_text(options.init_timeout_s) +
                ": expected more than 0 s");
  if (options.python.empty()) throw Error("scoring script: no Python interpreter given");
  if (options.script.empty() || options.script.front() != '/')
    throw Error("scoring script " + quote_bytes(options.script) + ": expected an absolute path");
  struct stat st {};
  if (::stat(options.script.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw Error("scoring script " + quote_bytes(options.script) + ": expected an existing file");
  check_dir(options.code_dir, "code folder");
  check_dir(options.model_dir, "model folder");
  if (options.model_name.empty()) throw Error("scoring script: no model name given");
  if (::fcntl(options.log_fd, F_GETFD) < 0)
    throw Error("scoring script: log descriptor " + std::to_string(options.log_fd) +
                ": expected an open descriptor");

  auto impl = std::make_unique<Impl>();
  impl->opt = options;
  impl->build_environment();
  impl->workers.resize(static_cast<size_t>(options.workers));
  std::vector<Spawned> spawned;
  auto kill_spawned = [&] {
    for (Spawned& s : spawned) {
      if (s.fd >= 0) ::close(s.fd);
      Impl::kill_and_reap(s.pid);
    }
  };
  try {
    for (int i = 0; i < options.workers; ++i) spawned.push_back(impl->spawn(i));
  } catch (...) {
    kill_spawned();
    throw;
  }
  // All start at once; each must be ready before the one deadline.
  const auto deadline = deadline_after(options.init_timeout_s);
  for (Spawned& s : spawned) {
    const std::string failure = impl->await_ready(s, deadline);
    if (!failure.empty()) {
      kill_spawned();
      throw Error(failure);
    }
  }
  for (int i = 0; i < options.workers; ++i) {
    Impl::Worker& w = impl->workers[static_cast<size_t>(i)];
    w.index = i;
    w.pid = spawned[static_cast<size_t>(i)].pid;
    w.fd = spawned[static_cast<size_t>(i)].fd;
    w.state = Impl::State::Idle;
    impl->idle.push_back(i);
  }
  Impl* raw = impl.get();
  impl->supervisor = std::thread([raw] { raw->supervise(); });
  return std::unique_ptr<ScriptScorer>(new ScriptScorer(std::move(impl)));
}

ScriptReply ScriptScorer::run(std::string_view body, double timeout_s,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  return impl_->run(body, timeout_s, headers);
}

int ScriptScorer::ready_workers() const {
  std::lock_guard lock(impl_->mu);
  int n = 0;
  for (const auto& w : impl_->workers)
    n += w.state == Impl::State::Idle || w.state == Impl::State::Busy;
  return n;
}

std::vector<int> ScriptScorer::worker_pids() const {
  std::lock_guard lock(impl_->mu);
  std::vector<int> pids;
  for (const auto& w : impl_->workers) pids.push_back(static_cast<int>(w.pid));
  return pids;
}

}  // namespace glia::serving
