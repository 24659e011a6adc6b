// Following a run's log: the live file while the job runs, then — or for a run that already
// ended — the copy in run history. Bytes are passed on in bounded chunks, so memory stays flat
// however much the job prints.
#pragma once

#include <atomic>
#include <functional>
#include <string_view>

#include "glia/platform/store.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform {

struct FollowOptions {
  double poll_seconds = 0.1;
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by SIGINT) to stop following early
  /// Called on every status change seen while following (also the first status).
  std::function<void(const RunRecord&)> on_status;
  /// Called about once a second while the run has not ended (e.g. to make sure an agent serves
  /// it, so a dead agent never leaves the follower waiting forever).
  std::function<void()> keep_alive;
  /// Called after every poll of a run that has not ended, before sleeping (e.g. to look for
  /// other news of the run at the same pace). Not called for a remote workspace's run.
  std::function<void()> on_poll;
};

/// Passes the run's log to `sink` from the start, as it grows, until the run has ended and all
/// of it was passed on. Returns the run as it ended (or as it was when `stop` was set).
RunRecord follow_log(Workspace& ws, const std::string& run_id,
                     const std::function<void(std::string_view)>& sink,
                     const FollowOptions& options = {});

}  // namespace glia::platform
