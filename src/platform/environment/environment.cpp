// The submitter as a run records them: the environment's allow-list, its capture, the user.
#include "glia/platform/environment.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>

extern char** environ;

namespace glia::platform {

const std::vector<std::string>& recorded_variable_names() {
  // Where programs, libraries and the user's files are, and how text, time and devices are
  // set up: what a job needs to run as it would in the submitter's shell. Never credentials.
  static const std::vector<std::string> names = {"PATH",
                                                 "HOME",
                                                 "USER",
                                                 "LOGNAME",
                                                 "SHELL",
                                                 "LANG",
                                                 "LANGUAGE",
                                                 "LC_*",
                                                 "TZ",
                                                 "TMPDIR",
                                                 "PYTHONPATH",
                                                 "VIRTUAL_ENV",
                                                 "CONDA_PREFIX",
                                                 "CONDA_DEFAULT_ENV",
                                                 "LD_LIBRARY_PATH",
                                                 "CUDA_VISIBLE_DEVICES"};
  return names;
}

bool is_recorded_variable(const std::string& name) {
  const auto& names = recorded_variable_names();
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) {
    if (!n.empty() && n.back() == '*') return name.starts_with(n.substr(0, n.size() - 1));
    return name == n;
  });
}

std::map<std::string, std::string> recordable_environment(
    const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : env)
    if (is_recorded_variable(k)) out.emplace(k, v);
  return out;
}

SubmittingUser current_user() {
  const uid_t uid = ::getuid();
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
  return {static_cast<int64_t>(uid), found && found->pw_name ? found->pw_name : ""};
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos && kv.rfind("GLIA_", 0) != 0)
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

}  // namespace glia::platform
