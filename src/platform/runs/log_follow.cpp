#include "glia/platform/log_follow.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/run_dir.hpp"

namespace glia::platform {

namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Passes bytes from `offset` to end of file; returns the new offset.
int64_t copy_from(int fd, int64_t offset, const std::function<void(std::string_view)>& sink) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n <= 0) return offset;
    sink(std::string_view(buf, static_cast<size_t>(n)));
    offset += n;
  }
}

}  // namespace

RunRecord follow_log(Workspace& ws, const std::string& run_id,
                     const std::function<void(std::string_view)>& sink,
                     const FollowOptions& options) {
  if (ws.is_remote()) return ws.link().follow_log(run_id, sink, options);  // from its server
  Store& store = ws.store();
  const RunDir dir = run_dir(ws.root(), run_id);
  Fd live;
  int64_t offset = 0;
  std::optional<RunStatus> last;
  int polls = 0;
  for (;;) {
    RunRecord run = store.get_run(run_id);
    if (!last || *last != run.status) {
      last = run.status;
      if (options.on_status) options.on_status(run);
    }
    if (live.fd < 0) live.fd = ::open(dir.std_log().c_str(), O_RDONLY | O_CLOEXEC);
    if (live.fd >= 0) offset = copy_from(live.fd, offset, sink);
    if (is_terminal(run.status)) {
      if (live.fd >= 0) {  // the agent wrote everything before the final status
        copy_from(live.fd, offset, sink);
        return run;
      }
      for (const RunFile& f : store.run_files(run_id)) {
        if (f.path != kStdLogName) continue;
        auto artifacts = ws.artifacts();
        Fd blob{::open(artifacts.blob_path(f.sha256).c_str(), O_RDONLY | O_CLOEXEC)};
        if (blob.fd < 0) throw Error("cannot read the log of run '" + run_id + "'");
        copy_from(blob.fd, offset, sink);
      }
      return run;
    }
    if (options.on_poll) options.on_poll();
    if (options.stop && options.stop->load()) return run;
    if (options.keep_alive &&
        ++polls % std::max(1, static_cast<int>(1.0 / options.poll_seconds)) == 0)
      options.keep_alive();
    std::this_thread::sleep_for(std::chrono::duration<double>(options.poll_seconds));
  }
}

}  // namespace glia::platform
