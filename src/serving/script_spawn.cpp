// Starting a Python scoring worker (script_spawn.hpp): posix_spawn with the socket on descriptor
// 3, the log on stdout/stderr, /dev/null on stdin and nothing else inherited.
#include "serving/script_spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "glia/error.hpp"
#include "glia/error_kinds.hpp"
#include "glia/escape.hpp"

extern char** environ;

namespace glia::serving {

namespace {

constexpr int kWorkerFd = 3;  // the socket's number in the worker

// Run by the interpreter with `-c`: imports the worker module, or says why it cannot over the
// socket (a missing PYTHONPATH is then one clear line, not a traceback in the log only).
constexpr const char* kBootstrap = R"PY(import sys
try:
    from glia import _score_worker
except BaseException as e:
    import json, os, struct
    h = json.dumps({"ready": False, "error": "Glia's Python client (the module glia._score_worker) cannot be imported by %s: %s: %s; put <prefix>/share/glia/python on the workers' PYTHONPATH" % (sys.executable, type(e).__name__, e)}).encode()
    os.write(3, struct.pack(">II", 4 + len(h), len(h)) + h)
    sys.exit(1)
sys.exit(_score_worker.main())
)PY";

}  // namespace

std::vector<std::string> worker_environment(const ScriptOptions& opt) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view kv(*e);
    const size_t eq = kv.find('=');
    if (eq != std::string_view::npos)
      vars[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  vars["PYTHONUNBUFFERED"] = "1";  // print() reaches the log at once
  for (const auto& [k, v] : opt.env) {
    if (k.empty() || k.find('=') != std::string::npos)
      throw Error("scoring script: environment variable name " + quote_bytes(k) +
                  ": expected a non-empty name without '='");
    vars[k] = v;
  }
  const std::string entry = opt.script.rfind(opt.code_dir + "/", 0) == 0
                                ? opt.script.substr(opt.code_dir.size() + 1)
                                : opt.script;
  const std::map<std::string, std::string> ours = {
      {"AZUREML_MODEL_DIR", opt.model_dir},
      {"AZUREML_ENTRY_SCRIPT", entry},
      {"AML_APP_ROOT", opt.code_dir},
      {"GLIA_ENDPOINT_MODEL_NAME", opt.model_name},
      {"GLIA_ENDPOINT_MODEL_VERSION",
       opt.model_version > 0 ? std::to_string(opt.model_version) : ""},
  };
  for (const auto& [k, v] : ours) {
    const auto given = opt.env.find(k);
    if (given != opt.env.end() && given->second != v)
      throw Error("scoring script: environment variable " + k + " " + quote_bytes(given->second) +
                  ": the endpoint sets it (to " + quote_bytes(v) +
                  "); remove it from the variables");
    if (v.empty())
      vars.erase(k);
    else
      vars[k] = v;
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : vars) out.push_back(k + "=" + v);
  return out;
}

Spawned spawn_worker(const ScriptOptions& opt, const std::vector<std::string>& env, int index) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw os_error("scoring script: socketpair", errno);
  // The worker's end goes to descriptor 3; keep it away from 3 here, where dup2 onto itself
  // would leave close-on-exec set.
  const int child = ::fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
  const int child_errno = errno;
  ::close(sv[1]);
  if (child < 0) {
    ::close(sv[0]);
    throw os_error("scoring script: fcntl", child_errno);
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, opt.log_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, opt.log_fd, 2);
  posix_spawn_file_actions_adddup2(&actions, child, kWorkerFd);
  posix_spawn_file_actions_addclosefrom_np(&actions, kWorkerFd + 1);
  posix_spawn_file_actions_addchdir_np(&actions, opt.code_dir.c_str());
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &none);    // the HTTP threads' mask is not the worker's
  posix_spawnattr_setsigdefault(&attr, &all);  // nor what this process ignores
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  const std::string fd_text = std::to_string(kWorkerFd), parent = std::to_string(::getpid()),
                    index_text = std::to_string(index);
  std::vector<const char*> argv = {
      opt.python.c_str(), "-c",         kBootstrap,           "--fd",
      fd_text.c_str(),    "--parent",   parent.c_str(),       "--script",
      opt.script.c_str(), "--code-dir", opt.code_dir.c_str(), "--index",
      index_text.c_str(), nullptr};
  std::vector<const char*> envp;
  for (const std::string& s : env) envp.push_back(s.c_str());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, opt.python.c_str(), &actions, &attr,
                                const_cast<char**>(argv.data()), const_cast<char**>(envp.data()));
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(child);
  if (rc != 0) {
    ::close(sv[0]);
    throw Error(errno_kind(rc) == ErrorKind::NotFound ? ErrorKind::InvalidArgument : errno_kind(rc),
                "scoring script: the Python interpreter " + quote_bytes(opt.python) +
                    " cannot be started: " + std::strerror(rc));
  }
  ::fcntl(sv[0], F_SETFL, ::fcntl(sv[0], F_GETFL) | O_NONBLOCK);
  return {pid, sv[0]};
}

}  // namespace glia::serving
