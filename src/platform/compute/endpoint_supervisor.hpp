// The agent's part in online endpoints (glia/platform/endpoints.hpp): it runs the process of
// each endpoint its Unix user owns (`glia endpoint serve --config FILE`, in a session of its
// own so that it outlives the agent), brings it to what the record says and records what it
// observed. Each pass, per endpoint:
//  - no process: the model materialized, config.json written (0600: it holds the keys'
//    digests), the process started — at once the first time, after a crash with a backoff
//    (0, 1, 2, 4 … 30 s; reset once it has served for a minute); five failed starts in a row
//    without ever being ready leave it Failed until the record changes;
//  - a process: its status file read; ready with the record's generation → Healthy; a newer
//    generation recorded → config rewritten and SIGHUP (the process loads it beside the served
//    one and swaps); gone → Unhealthy, restarted;
//  - Deleting: SIGTERM, SIGKILL after the grace, then its folder and record removed.
// The agent holds each endpoint's listening socket and hands it to every process it starts
// (descriptor 3), so the port accepts connections throughout a restart.
// A new agent adopts the processes a previous one started (pid and start time in the record,
// or, for one started but not yet recorded when that agent died, its command line).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "glia/platform/endpoint_records.hpp"
#include "glia/platform/local_agent.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform::compute {

class EndpointSupervisor {
 public:
  EndpointSupervisor(Workspace& ws, const AgentOptions& options);
  ~EndpointSupervisor();
  EndpointSupervisor(const EndpointSupervisor&) = delete;
  EndpointSupervisor& operator=(const EndpointSupervisor&) = delete;

  /// One pass over the user's endpoints. Returns how many it owns (the agent stays while any).
  int64_t tick(double now);
  /// A child of the agent ended (from its waitpid loop); false when it was no endpoint's.
  bool exited(pid_t pid, int wait_status);

 private:
  struct Process {
    pid_t pid = 0;
    int64_t start_ticks = 0;
    bool child = false;             // started by this agent (reaped by it), else adopted
    int64_t sighup_generation = 0;  // the generation last sent with SIGHUP
    double started_at = 0;
    double term_sent_at = 0;  // Deleting: when SIGTERM went
  };
  struct Backoff {
    int failures = 0;        // starts in a row that ended before serving a minute
    double next_start = 0;   // not before (steady seconds)
    int64_t generation = 0;  // failures count per generation: an update starts afresh
    std::string last_reason;
  };

  /// The endpoint's process started by an earlier agent: the one its record names (pid and
  /// start time), or else one running its config unrecorded; procs_.end() when none.
  std::map<std::string, Process>::iterator adopt(const EndpointRecord& e, double now);
  void supervise(EndpointRecord e, double now);
  void remove(const EndpointRecord& e, double now);
  bool alive(Process& p);
  void start(const EndpointRecord& e, double now, const std::string& reason);
  void write_config(const EndpointRecord& e, int64_t port, const std::string& model_dir);
  void record(const EndpointRecord& e, EndpointStatus status);
  void ended(const EndpointRecord& e, Process p, double now, const std::string& how);
  void release_socket(const std::string& name);

  Workspace& ws_;
  AgentOptions options_;
  std::map<std::string, Process> procs_;
  std::map<std::string, Backoff> backoff_;
  std::map<pid_t, std::string> exits_;  // reaped children: how they ended
  std::map<std::string, int> sockets_;  // each endpoint's listening socket, held across restarts
  std::set<std::string> scanned_;       // endpoints whose unrecorded processes were looked for
  const int64_t uid_;
};

}  // namespace glia::platform::compute
