// glia run track: an interactive run (job_type interactive), followed from its tracking file
// until stdin ends (docs/python-client.md, "Interactive runs"). Its parent — the Python SDK's
// Run.get_context() in a notebook, Experiment.start_logging() — appends JSON lines to the
// tracking file, may write one line (complete | fail MESSAGE | cancel) on stdin, then closes it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/interactive_run.hpp"
#include "glia/platform/run_dir.hpp"
#include "glia/platform/tracking.hpp"

namespace glia::cli {

namespace fs = std::filesystem;

namespace {

constexpr double kIngestEverySeconds = 0.2;  // the spec's "every ~0.2 s"
constexpr int64_t kIngestStep = 2 << 20;     // bytes of tracking file applied per step
constexpr int kEndAttempts = 5;              // the end is retried while the store is busy

int signal_pipe[2] = {-1, -1};

extern "C" void on_end_signal(int) {
  const int saved = errno;
  const char c = 1;
  [[maybe_unused]] const ssize_t n = ::write(signal_pipe[1], &c, 1);
  errno = saved;
}

// What stdin holds now, without waiting for more (a bounded amount: a writer that goes on
// writing does not hold the end back).
void read_waiting_input(platform::TrackerInput& input, std::vector<std::string>& warnings) {
  for (int reads = 0; reads < 64; ++reads) {
    pollfd fd{0, POLLIN, 0};
    if (::poll(&fd, 1, 0) <= 0 || !(fd.revents & POLLIN)) return;
    char buf[4096];
    const ssize_t n = ::read(0, buf, sizeof buf);
    if (n <= 0) return;
    input.feed(buf, static_cast<size_t>(n), warnings);
  }
}

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void register_run_track(CLI::App& run, const std::shared_ptr<std::string>& workspace_dir) {
  auto* track = run.add_subcommand(
      "track",
      "Start an interactive run (job_type interactive) and follow its tracking file until stdin "
      "ends");
  track->footer(
      "Prints one line (-o json: {\"id\", \"experiment\", \"display_name\", \"tracking_file\", "
      "\"scratch_dir\"}), then applies the JSON lines appended to the tracking file every 0.2 s "
      "(docs/tracking-protocol.md). Before closing stdin, write one line to say how the run "
      "ended: complete, fail MESSAGE or cancel. Stdin closed without one (the logging process "
      "died), or SIGTERM or SIGHUP before one: the run ends Failed. SIGINT is ignored. Exits 0 "
      "once the end "
      "is recorded. A run whose tracker was killed is ended Failed by the next glia command on "
      "the workspace (docs/python-client.md, \"Interactive runs\").");
  struct Args {
    std::string experiment, display_name, work_dir, output = "text";
    std::vector<std::string> tags;
  };
  auto a = std::make_shared<Args>();
  track->add_option("--experiment", a->experiment, "the run's experiment")->required();
  track->add_option("--display-name", a->display_name, "the run's name (default: its id)");
  track->add_option("--tag", a->tags, "KEY=VALUE (repeatable)");
  track->add_option("--work-dir", a->work_dir,
                    "folder that relative paths of image/file records resolve against (default: "
                    "the current folder)");
  track->add_option("-o,--output", a->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  track->callback([a, workspace_dir] {
    platform::InteractiveRunOptions options;
    options.experiment = a->experiment;
    options.display_name = a->display_name;
    options.tags = key_value_options(a->tags, "--tag");
    options.work_dir = normalized_path(a->work_dir.empty() ? "." : a->work_dir);
    if (!fs::is_directory(options.work_dir))
      throw Error(ErrorKind::NotFound,
                  "--work-dir " + quote_bytes(options.work_dir.string()) + ": no such folder");
    // Signals first: a SIGTERM between the run's creation and the loop still ends it.
    if (::pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
      throw os_error("run track: cannot create a pipe", errno);
    ::signal(SIGINT, SIG_IGN);  // a notebook's interrupt must not end the run
    ::signal(SIGPIPE, SIG_IGN);
    struct sigaction sa {};
    sa.sa_handler = on_end_signal;
    ::sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGHUP, &sa, nullptr);

    auto ws = open_workspace(*workspace_dir);
    if (ws.is_remote()) platform::reconcile_interactive_runs(ws);
    const platform::RunRecord run = platform::start_interactive_run(ws, options);
    const platform::RunDir dir = platform::run_dir(ws.root(), run.id);
    const fs::path tracking_file = fs::absolute(dir.tracking());
    const fs::path scratch = fs::absolute(dir.scratch());
    if (a->output == "json") {
      const nlohmann::json j = {{"id", run.id},
                                {"experiment", run.experiment},
                                {"display_name", run.display_name},
                                {"tracking_file", tracking_file.string()},
                                {"scratch_dir", scratch.string()}};
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      std::printf("Tracking run %s (experiment %s)\ntracking file: %s\nscratch folder: %s\n",
                  run.id.c_str(), run.experiment.c_str(), tracking_file.c_str(), scratch.c_str());
      if (::isatty(0))
        std::printf("End it with a line: complete, fail MESSAGE or cancel; then Ctrl-D.\n");
    }
    std::fflush(stdout);

    auto artifacts = ws.artifacts();
    platform::TrackingReader reader(dir.tracking(), options.work_dir, artifacts);
    const auto report = [&](const std::string& what) {
      std::fprintf(stderr, "glia: run track %s: %s\n", run.id.c_str(), escape_bytes(what).c_str());
    };
    platform::TrackerInput input;
    std::vector<std::string> warnings;
    std::optional<platform::TrackerEnding> ending;
    int64_t ingested_size = 0;
    double last_ingest = 0;
    bool more = false;
    while (!ending) {
      pollfd fds[2] = {{0, POLLIN, 0}, {signal_pipe[0], POLLIN, 0}};
      const int rc = ::poll(fds, 2, more ? 0 : static_cast<int>(kIngestEverySeconds * 1000));
      if (rc < 0 && errno != EINTR) throw os_error("run track: poll failed", errno);
      if (rc > 0 && (fds[1].revents & POLLIN)) {
        // SIGTERM/SIGHUP: as stdin ending now — an ending line already written (unread yet)
        // stands; none: Failed.
        read_waiting_input(input, warnings);
        ending = input.at_eof(warnings);
        for (const auto& w : warnings) report(w);
        break;
      }
      if (rc > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))) {
        char buf[4096];
        const ssize_t n = (fds[0].revents & POLLNVAL) ? 0 : ::read(0, buf, sizeof buf);
        if (n > 0) {
          input.feed(buf, static_cast<size_t>(n), warnings);
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          ending = input.at_eof(warnings);
        }
        for (const auto& w : warnings) report(w);
        warnings.clear();
        if (ending) break;
      }
      const double now = steady_seconds();
      struct stat st {};
      const bool grew = ::stat(dir.tracking().c_str(), &st) == 0 && st.st_size > ingested_size;
      if ((grew || more) && (more || now - last_ingest >= kIngestEverySeconds)) {
        last_ingest = now;
        ingested_size = st.st_size;
        try {
          more = false;
          reader.ingest(ws.store(), run.id, false, kIngestStep, &more);
          for (const auto& p : reader.take_problems()) report(p);
        } catch (const std::exception& e) {  // the store busy or unreachable: the next tick
          more = false;
          ingested_size = 0;
          report(std::string("applying the tracking file: ") + e.what());
        }
      }
    }
    // The end: the rest of the tracking file, the log, then the status (as a job's end).
    for (int attempt = 1;; ++attempt) {
      try {
        platform::end_interactive_run(ws, run.id, ending->status, ending->error);
        break;
      } catch (const Error& e) {
        if (attempt >= kEndAttempts) throw;  // the run's tracker is gone: reconciled later
        report(std::string("recording the end: ") + e.what() + " (trying again)");
        std::this_thread::sleep_for(std::chrono::seconds(attempt));
      }
    }
    const auto ended = ws.store().get_run(run.id);
    if (a->output == "text")
      std::fprintf(stderr, "glia: %s: %s%s%s\n", run.id.c_str(),
                   platform::to_string(ended.status).c_str(), ended.error.empty() ? "" : ": ",
                   ended.error.c_str());
  });
}

}  // namespace glia::cli
