// glia ui: the web view (docs/webview.md) of the local folder workspace, served on 127.0.0.1 by
// the same server as `glia server` (serve.hpp), opened with a one-time session token: random
// (libsodium), the owner role, in memory only — gone when the command stops. The browser is
// opened on a private page leading to the URL, never with the token in a command line.
#include <fcntl.h>
#include <pwd.h>
#include <sodium.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/serve.hpp"
#include "glia/error.hpp"

extern char** environ;

namespace glia::cli {

namespace {

namespace fs = std::filesystem;

// 32 random bytes as hex, prefixed as Glia's tokens are.
std::string session_token() {
  if (sodium_init() < 0) throw Error(ErrorKind::Internal, "libsodium could not be initialized");
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[2 * sizeof bytes + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return std::string("glia_ui_") + hex;
}

// The Unix user running the command: the session's user name.
std::string unix_user() {
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name && *pw->pw_name)
    return pw->pw_name;
  if (const char* user = std::getenv("USER"); user && *user) return user;
  return "owner";
}

// The page xdg-open is given instead of the URL: a command line is world-readable
// (/proc/PID/cmdline), for the browser's whole life when xdg-open starts it, and the URL holds
// the session token. The page (0600, in a 0700 folder of $XDG_RUNTIME_DIR, else the temporary
// folder) sends the browser on to the URL; it is removed when glia ui stops.
class LaunchPage {
 public:
  explicit LaunchPage(const std::string& url) {
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    std::error_code ec;
    fs::path base;
    if (runtime && *runtime && fs::is_directory(runtime, ec)) base = runtime;
    if (base.empty()) base = fs::temp_directory_path(ec);
    if (base.empty())
      throw Error(ErrorKind::NotFound, "no temporary folder (TMPDIR): " + ec.message());
    std::string dir = (base / "glia-ui-XXXXXX").string();
    if (!::mkdtemp(dir.data()))
      throw os_error("cannot make a folder in '" + base.string() + "'", errno);
    dir_ = dir;
    file_ = dir_ / "open.html";
    const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw os_error("cannot write '" + file_.string() + "'", errno);
    // The URL's characters are those of http://127.0.0.1:PORT/ui/login?token=glia_ui_HEX.
    const std::string page =
        "<!doctype html>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"refresh\" content=\"0;url=" +
        url + "\">\n<title>Glia studio</title>\n<p><a href=\"" + url +
        "\">Open Glia studio</a></p>\n";
    const ssize_t n = ::write(fd, page.data(), page.size());
    const int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(page.size()))
      throw os_error("cannot write '" + file_.string() + "'", n < 0 ? err : ENOSPC);
  }
  LaunchPage(const LaunchPage&) = delete;
  LaunchPage& operator=(const LaunchPage&) = delete;
  ~LaunchPage() {
    std::error_code ignored;  // a folder already gone is what was wanted
    fs::remove_all(dir_, ignored);
  }
  const fs::path& path() const { return file_; }

 private:
  fs::path dir_, file_;
};

bool has_display() {
  const char* x = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  return (x && *x) || (wayland && *wayland);
}

// Asks the desktop to open `target` (xdg-open); a missing xdg-open or one that fails changes
// nothing (the URL is printed either way).
void open_in_browser(const std::string& target) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::string program = "xdg-open";
  char* argv[] = {program.data(), const_cast<char*>(target.c_str()), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, "xdg-open", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return;
  std::thread([pid] {  // reaped, never waited for
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  })
      .detach();
}

}  // namespace

void register_ui(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand(
      "ui",
      "Open the web view of the workspace: serve it on 127.0.0.1 and print the URL to open "
      "(docs/webview.md)");
  auto port = std::make_shared<int>(0);
  auto no_open = std::make_shared<bool>(false);
  cmd->add_option("--port", *port, "the port on 127.0.0.1 (default 0: any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_flag("--no-open", *no_open,
                "only print the URL (by default xdg-open is asked to open it when there is a "
                "display)");
  cmd->callback([=] {
    auto ws = open_workspace(*workspace_dir);
    if (ws.is_remote())
      throw Error(ErrorKind::Conflict, "'" + ws.root().string() +
                                           "' is connected to a server: open its web view at " +
                                           ws.remote().url + "/ui/");
    const std::string token = session_token();
    ServeOptions options;
    options.host = "127.0.0.1";
    options.port = *port;
    options.who = "glia ui";
    options.prepare = [&token](server::ServerContext& context) {
      context.add_session_token(token,
                                platform::Principal{unix_user(), platform::Role::Owner, "session"});
    };
    std::unique_ptr<LaunchPage> launch;  // removed once serve() returns
    options.on_listening = [&token, &launch, open = !*no_open](int bound, bool) {
      const std::string url =
          "http://127.0.0.1:" + std::to_string(bound) + "/ui/login?token=" + token;
      std::printf("Glia studio: %s\n", url.c_str());
      std::fflush(stdout);
      if (!open || !has_display()) return;
      try {
        launch = std::make_unique<LaunchPage>(url);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "glia ui: the browser is not opened: %s\n", e.what());
        return;
      }
      open_in_browser(launch->path().string());
    };
    serve(ws, options);
  });
}

}  // namespace glia::cli
