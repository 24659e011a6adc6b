// The API token of a remote workspace: from the environment, a command, or the kernel keyring —
// never from a file Glia wrote (docs/server.md "Remote workspaces").
#include <keyutils.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "glia/error.hpp"
#include "glia/remote/remote.hpp"

namespace glia::remote {

namespace {

// The key's description: one per server and workspace.
std::string key_name(const platform::RemoteConfig& c) {
  return "glia:" + c.url + "#" + c.workspace;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string run_token_command(const std::string& command) {
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) throw os_error("cannot run the token command '" + command + "'", errno);
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0 && out.size() < (1u << 16)) out.append(buf, n);
  const int status = ::pclose(p);
  if (status != 0)
    throw Error(ErrorKind::Unauthenticated,
                "the token command '" + command + "' failed (exit status " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  out = trimmed(out);
  if (out.empty())
    throw Error(ErrorKind::Unauthenticated, "the token command '" + command + "' printed nothing");
  return out;
}

std::optional<std::string> keyring_token(const platform::RemoteConfig& c) {
  const long key = ::keyctl_search(KEY_SPEC_USER_KEYRING, "user", key_name(c).c_str(), 0);
  if (key < 0) return std::nullopt;
  void* data = nullptr;
  const long n = ::keyctl_read_alloc(static_cast<key_serial_t>(key), &data);
  if (n < 0) return std::nullopt;
  std::string token(static_cast<const char*>(data), static_cast<size_t>(n));
  ::explicit_bzero(data, static_cast<size_t>(n));
  std::free(data);
  return token;
}

}  // namespace

std::string resolve_token(const platform::RemoteConfig& config) {
  if (const char* t = std::getenv("GLIA_TOKEN"); t && *t) return trimmed(t);
  if (!config.token_command.empty()) return run_token_command(config.token_command);
  if (auto t = keyring_token(config)) return *t;
  throw Error(ErrorKind::Unauthenticated,
              "no API token for " + config.url + " (workspace " + config.workspace +
                  "): set GLIA_TOKEN, or run 'glia workspace connect " + config.url +
                  " --token -' again (the kernel keyring forgets it at reboot)");
}

void keep_token(const platform::RemoteConfig& config, const std::string& token) {
  const key_serial_t key = ::add_key("user", key_name(config).c_str(), token.data(), token.size(),
                                     KEY_SPEC_USER_KEYRING);
  if (key < 0)
    throw Error(ErrorKind::Unavailable,
                std::string("cannot keep the token in the kernel keyring (") +
                    std::strerror(errno) +
                    "): give it in GLIA_TOKEN or with --token-command instead");
  // Only this user may read it (the default also lets the possessor's processes view it).
  ::keyctl_setperm(key, KEY_POS_ALL | KEY_USR_ALL);
}

bool forget_token(const platform::RemoteConfig& config) {
  const long key = ::keyctl_search(KEY_SPEC_USER_KEYRING, "user", key_name(config).c_str(), 0);
  if (key < 0) return false;
  return ::keyctl_unlink(static_cast<key_serial_t>(key), KEY_SPEC_USER_KEYRING) == 0;
}

}  // namespace glia::remote
