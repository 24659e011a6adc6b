// The Python 3 interpreters on a PATH (python3, python3.N), each asked its version once, and the
// one an environment's `python` version chooses.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/environments.hpp"

extern char** environ;

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

/// How long one interpreter may take to say its version, and how much it may say.
constexpr int kVersionTimeoutMs = 10'000;
constexpr std::size_t kMaxVersionOutput = 256;

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

/// "python3" → -1, "python3.11" → 11 (python3 first), anything else nullopt.
std::optional<long> python_name_rank(const std::string& name) {
  if (name == "python3") return -1;
  const std::string prefix = "python3.";
  if (name.rfind(prefix, 0) != 0) return std::nullopt;
  const std::string minor = name.substr(prefix.size());
  if (!all_digits(minor) || minor.size() > 4) return std::nullopt;
  return std::stol(minor);
}

/// "X.Y.Z" with each part digits.
bool is_full_version(std::string_view v) {
  int parts = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = v.find('.', start);
    const std::string_view part =
        v.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!all_digits(part)) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 3;
}

/// One interpreter asked its version: running, its output read from `fd`.
struct VersionQuery {
  fs::path path;
  pid_t pid = -1;
  int fd = -1;
};

/// Starts `<path> -c "..."` (no shell), its output into a pipe; nullopt when it cannot start.
std::optional<VersionQuery> start_version_query(const fs::path& path) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  const std::string program = path.string();
  std::string flag = "-c";
  std::string code = "import sys;print('%d.%d.%d'%sys.version_info[:3])";
  char* argv[] = {const_cast<char*>(program.c_str()), flag.data(), code.data(), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return std::nullopt;
  }
  return VersionQuery{path, pid, fds[0]};
}

/// The version a started query prints, or nullopt when it fails, is not done by `deadline`,
/// prints too much or prints something else. Reaps the process either way.
std::optional<std::string> finish_version_query(const VersionQuery& query,
                                                std::chrono::steady_clock::time_point deadline) {
  const int fd = query.fd;
  const pid_t pid = query.pid;
  std::string output;
  bool timed_out = false;
  while (output.size() <= kMaxVersionOutput) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = true;
      break;
    }
    char buffer[128];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  // Reaped before the deadline, or killed: too slow or too talkative is not an interpreter to
  // trust (and one that closed its output but lingers is waited for no longer than that).
  bool failed = timed_out || output.size() > kMaxVersionOutput;
  int status = 0;
  bool reaped_elsewhere = false;
  while (!failed) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno == ECHILD) {
      // A waitpid(-1) elsewhere in this process (the agent's loop) took the status: what it
      // printed before closing its output is all there is to judge.
      reaped_elsewhere = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      failed = true;
      break;
    }
    ::usleep(5'000);
  }
  if (failed) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return std::nullopt;
  }
  if (!reaped_elsewhere && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) return std::nullopt;
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  if (!is_full_version(output) || output.rfind("3.", 0) != 0) return std::nullopt;
  return output;
}

bool is_executable_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

bool version_matches(const std::string& want, const std::string& version) {
  return version == want || version.rfind(want + ".", 0) == 0;
}

bool is_wanted_version(const std::string& want) {
  const std::size_t dots = static_cast<std::size_t>(std::count(want.begin(), want.end(), '.'));
  if (dots < 1 || dots > 2) return false;
  std::size_t start = 0;
  while (start <= want.size()) {
    std::size_t dot = want.find('.', start);
    if (dot == std::string::npos) dot = want.size();
    if (!all_digits(std::string_view(want).substr(start, dot - start))) return false;
    start = dot + 1;
  }
  return true;
}

}  // namespace

namespace {

// Every python3 / python3.N on the search path, in PATH order (python3 first within a folder),
// once per real file.
std::vector<fs::path> candidates_on(const std::string& search_path) {
  std::vector<fs::path> out;
  std::set<fs::path> seen;  // real paths
  std::size_t start = 0;
  while (start <= search_path.size()) {
    std::size_t end = search_path.find(':', start);
    if (end == std::string::npos) end = search_path.size();
    const std::string entry = search_path.substr(start, end - start);
    start = end + 1;
    if (entry.empty()) continue;  // the current folder: never where a job's Python comes from
    std::error_code ec;
    const fs::path dir = fs::absolute(entry, ec);
    if (ec) continue;
    std::vector<std::pair<long, fs::path>> candidates;
    for (fs::directory_iterator it(dir, ec), last; !ec && it != last; it.increment(ec)) {
      const auto rank = python_name_rank(it->path().filename().string());
      if (rank) candidates.emplace_back(*rank, it->path());
    }
    std::sort(candidates.begin(), candidates.end());
    for (const auto& [rank, path] : candidates) {
      if (!is_executable_file(path)) continue;
      std::error_code canonical_ec;
      const fs::path real = fs::canonical(path, canonical_ec);
      if (canonical_ec || !seen.insert(real).second) continue;
      out.push_back(path);
    }
  }
  return out;
}

// Whether python3.N's name rules it out for `want` ("3.11" or "3.11.7"); python3 never is.
bool name_rules_out(const fs::path& path, const std::string& want) {
  const std::string name = path.filename().string();
  if (name == "python3") return false;
  const std::string minor = want.substr(0, want.find('.', want.find('.') + 1));
  return name != "python" + minor;
}

}  // namespace

std::vector<Interpreter> find_interpreters(const std::string& search_path) {
  std::vector<Interpreter> found;
  std::vector<VersionQuery> queries;
  for (const fs::path& path : candidates_on(search_path))
    if (auto query = start_version_query(path)) queries.push_back(std::move(*query));
  // All asked at once (a pyenv shim takes a quarter of a second to answer), answers in order.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kVersionTimeoutMs);
  for (const auto& query : queries) {
    if (auto version = finish_version_query(query, deadline)) {
      found.push_back({query.path, std::move(*version)});
    }
  }
  return found;
}

Interpreter find_interpreter(const std::optional<std::string>& want,
                             const std::string& search_path) {
  if (want) check_python_version(*want, "python version");
  // In PATH order, one at a time, until one matches: a build asks one or two interpreters,
  // not every one on PATH. Only when none matches are all asked, for the message.
  for (const fs::path& path : candidates_on(search_path)) {
    if (want && name_rules_out(path, *want)) continue;
    auto query = start_version_query(path);
    if (!query) continue;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kVersionTimeoutMs);
    if (auto version = finish_version_query(*query, deadline))
      if (!want || version_matches(*want, *version)) return {path, std::move(*version)};
  }
  return choose_interpreter(want, find_interpreters(search_path));
}

Interpreter choose_interpreter(const std::optional<std::string>& want,
                               const std::vector<Interpreter>& found) {
  if (want) check_python_version(*want, "python version");
  for (const auto& interpreter : found) {
    if (!want || version_matches(*want, interpreter.version)) return interpreter;
  }
  std::string listed;
  for (const auto& interpreter : found) {
    listed +=
        (listed.empty() ? "" : ", ") + interpreter.version + " at " + interpreter.path.string();
  }
  throw Error(ErrorKind::NotFound,
              "no Python " + (want ? *want : std::string("3")) + " interpreter found (found: " +
                  (listed.empty() ? std::string("none on PATH") : listed) + ")");
}

void check_python_version(const std::string& text, const std::string& what) {
  if (!is_wanted_version(text))
    throw Error(what + " '" + text + "': expected X.Y or X.Y.Z, e.g. 3.11");
}

void check_python_available(const EnvironmentSpec& spec) {
  if (!spec.python) return;
  const char* path = std::getenv("PATH");
  find_interpreter(spec.python, path ? path : "/usr/bin:/bin");
}

}  // namespace glia::platform
