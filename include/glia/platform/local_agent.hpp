// The local compute target's agent: one background process per workspace and Unix user that
// takes that user's Queued jobs in order (a job never runs as anyone but its submitter), runs at
// most max_concurrent per target, streams their output into their logs, applies their tracking
// files, enforces limits.timeout and cancel requests, and finishes them. The CLI starts it on
// demand (detached: it outlives the submitting command) and it exits after a while with nothing to
// do. State lives in the store, so a killed agent loses nothing: the next agent (or CLI call)
// reconciles the runs it left behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "glia/platform/workspace.hpp"

namespace glia::platform {

/// Throws glia::Error unless `name` is a valid compute target name: 1-64 letters, digits, '-'
/// or '_' (`glia compute create`, the REST API).
void check_compute_name(const std::string& name);

struct AgentOptions {
  double idle_exit_seconds = 60;     // exit after this long with nothing running or queued
  double tick_seconds = 0.05;        // how often the queue and cancel requests are checked
  double kill_grace_seconds = 5;     // SIGTERM, then SIGKILL after this long
  std::filesystem::path tool_dir;    // prepended to the jobs' PATH (where glia's programs are)
  std::filesystem::path python_dir;  // prepended to PYTHONPATH (the glia Python client)
  /// Glia's azureml.core (clients/azureml-shim), put on PYTHONPATH after python_dir unless a
  /// job sets GLIA_AZUREML_SHIM=0.
  std::filesystem::path azureml_shim_dir;
};

/// Runs the agent of the workspace at `root` in this process until it is idle. Returns false
/// at once when another agent already serves the workspace.
bool run_local_agent(const std::filesystem::path& root, const AgentOptions& options);

/// Whether an agent of the calling user currently serves the workspace.
bool agent_running(const std::filesystem::path& root);

/// Whether the agent of Unix user `uid` serves the workspace (each user's jobs run only by
/// their own agent).
bool agent_running_for(const std::filesystem::path& root, int64_t uid);

/// The file holding the pid of the calling user's agent (.glia/agent/<uid>/agent.pid).
std::filesystem::path agent_pid_file(const std::filesystem::path& root);

/// Makes sure an agent serves the workspace: wakes the running one, or — after reconciling the
/// runs a dead agent left behind — starts `agent_command` (e.g. {"/usr/bin/glia", "agent",
/// "run", "-w", root}) detached, in a session of its own, logging to .glia/agent/<uid>/agent.log.
/// Concurrent callers start one agent between them.
void ensure_agent(Workspace& ws, const std::vector<std::string>& agent_command);

/// When no agent serves the workspace, ends the runs a dead one left active (see
/// compute::reconcile_orphans). Cheap when there is nothing to do. Returns the number ended.
int reconcile_if_no_agent(Workspace& ws);

}  // namespace glia::platform
