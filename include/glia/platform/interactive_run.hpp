// Interactive runs (job_type "interactive"): a run a notebook or a script logs while it goes,
// started by `glia run track`, which follows its tracking file (the agent's TrackingReader)
// until its parent says how it ended (docs/python-client.md, "Interactive runs"). The run is
// owned by that tracker process, recorded in the run's tracker_* properties; once the process
// is gone without ending the run, the reconciliation ends it Failed. Works on a local folder
// workspace and on a connected one (the run folder is the connected folder's, on this machine).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/run_dir.hpp"
#include "glia/platform/run_status.hpp"
#include "glia/platform/store.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform {

inline constexpr const char* kInteractiveJobType = "interactive";

/// The run properties naming the tracker: the machine (host name and boot id), the process
/// (pid, its start time in clock ticks after boot, and the pid namespace its pid is in), its
/// uid, the workspace folder holding the run folder, and the folder relative paths of image/file
/// records resolve against.
inline constexpr const char* kTrackerHost = "tracker_host";
inline constexpr const char* kTrackerBootId = "tracker_boot_id";
inline constexpr const char* kTrackerPid = "tracker_pid";
inline constexpr const char* kTrackerPidStart = "tracker_pid_start";
inline constexpr const char* kTrackerPidNamespace = "tracker_pid_ns";
inline constexpr const char* kTrackerUid = "tracker_uid";
inline constexpr const char* kTrackerWorkspace = "tracker_workspace";
inline constexpr const char* kTrackerWorkDir = "tracker_work_dir";

struct InteractiveRunOptions {
  std::string experiment;
  std::string display_name;  // empty: the run id
  std::map<std::string, std::string> tags;
  std::filesystem::path work_dir;  // absolute
};

/// Creates a Running run of job_type interactive owned by this process (its tracker_*
/// properties, in the same write), with its run folder: the tracking file (empty, private to
/// the run) and the scratch folder. Throws glia::Error (a bad experiment name: InvalidArgument).
RunRecord start_interactive_run(Workspace& ws, const InteractiveRunOptions& options);

/// Ends an interactive run as a job ends (compute::finish_run): the rest of its tracking file,
/// its log as a run file, then the status, then the run folder removed. A run that already
/// ended keeps its status. Throws only when the status cannot be written.
void end_interactive_run(Workspace& ws, const std::string& run_id, RunStatus status,
                         const std::string& error);

/// How the tracker's parent said the run ended (its one stdin line).
struct TrackerEnding {
  RunStatus status = RunStatus::Failed;
  std::string error;  // Failed: the message; Canceled: "canceled"
};

/// The error of a run whose parent closed the tracker's stdin without an ending line.
inline constexpr const char* kNoEndingError =
    "the process logging the run ended without completing it";

/// One stdin line: "complete" → Completed, "fail MESSAGE" → Failed(MESSAGE; "failed (no
/// message given)" when empty), "cancel" → Canceled("canceled"). Trailing blanks and a CR are
/// dropped. Anything else: glia::Error (InvalidArgument) naming the line.
TrackerEnding parse_tracker_line(std::string line);

/// The tracker's stdin as it arrives, in pieces: its first ending line stands; blank lines say
/// nothing; a line that is not an ending, a second ending and a line over 64 KiB are described
/// in `warnings` and otherwise ignored.
class TrackerInput {
 public:
  void feed(const char* data, size_t n, std::vector<std::string>& warnings);
  /// Stdin ended: its last line (even without a newline) counts; no ending line → Failed
  /// with kNoEndingError.
  TrackerEnding at_eof(std::vector<std::string>& warnings);

 private:
  static constexpr size_t kMaxLine = 64 << 10;
  void take(std::string line, std::vector<std::string>& warnings);
  std::string pending_;
  bool discarding_ = false;
  std::optional<TrackerEnding> ending_;
};

/// This machine, as tracker_host and tracker_boot_id name it, this process's user, and its pid
/// namespace (/proc/self/ns/pid's "pid:[INODE]"; "" when unknown) as tracker_pid_ns names it.
struct MachineId {
  std::string host;
  std::string boot_id;
  int64_t uid = 0;
  std::string pid_ns;
  static MachineId current();
};

/// What the reconciliation makes of an active interactive run's tracker.
enum class TrackerState {
  Alive,      // its process runs: leave the run alone
  Gone,       // on this machine and workspace folder, and its process is gone: end the run
  Elsewhere,  // another machine's, or another folder's: not ours to judge
};

/// Decides from the run's tracker_* properties. `stat(pid)` gives a process's state letter and
/// start ticks (nullopt: no such process); `same_workspace(path)` whether the recorded folder is
/// this workspace's. A zombie counts as gone, and so does a tracker of this machine's host name
/// recorded under another boot (the machine restarted). A tracker in another pid namespace (a
/// container sharing this machine's name and kernel, e.g. with host networking): its pid means
/// nothing here, so it is Elsewhere — except from the machine's first pid namespace
/// (kInitPidNamespace, which sees every process), where `stat_in(ns, pid)` finds the process
/// that namespace calls `pid` (nullopt: none, the tracker or its whole namespace gone). A run
/// without a whole tracker record (never made by `glia run track`, which records it with the
/// run) is Elsewhere.
using ProcessState = std::optional<std::pair<char, int64_t>>;  // state letter, start ticks
TrackerState tracker_state(
    const RunRecord& run, const MachineId& here, const std::function<ProcessState(pid_t)>& stat,
    const std::function<bool(const std::filesystem::path&)>& same_workspace,
    const std::function<ProcessState(const std::string& ns, pid_t)>& stat_in = nullptr);

/// The machine's first pid namespace, as /proc/self/ns/pid names it (PROC_PID_INIT_INO).
inline constexpr const char* kInitPidNamespace = "pid:[4026531836]";

/// The process another pid namespace `ns` calls `pid`, found from this one (its /proc): its
/// state letter and start ticks; nullopt when no visible process is that one.
ProcessState process_in_namespace(const std::string& ns, pid_t pid);

/// Ends Failed every active interactive run of this workspace whose tracker on this machine is
/// gone, saying so in its error. Returns how many it ended. A failure to list the runs is
/// thrown (the command that asked fails with it); a run that cannot be ended now is reported on
/// stderr and left for the next reconciliation.
int reconcile_interactive_runs(Workspace& ws);
/// The same for one run (a command following it): ends it Failed when it is an active
/// interactive run whose tracker on this machine is gone. Returns whether it ended it.
bool reconcile_interactive_run(Workspace& ws, const std::string& run_id);
/// The same for a run as a listing read it: one that its tracker ended since (then exited) is
/// left as it ended.
bool reconcile_interactive_run(Workspace& ws, const RunRecord& listed);

}  // namespace glia::platform
