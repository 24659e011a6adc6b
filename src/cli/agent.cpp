// glia agent run / status: the workspace's local compute agent (the CLI starts it on demand).
#include <cstdio>
#include <fstream>

#include "cli/checks.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/platform/local_agent.hpp"

namespace glia::cli {

void register_agent(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand(
      "agent", "The local compute agent that runs jobs (started on demand by `glia job submit`)");
  cmd->require_subcommand(1);
  auto idle = std::make_shared<double>(60);
  auto* run = cmd->add_subcommand("run", "Run the workspace's agent in the foreground");
  run->add_option("--idle-exit", *idle, "exit after this many seconds with no work (default 60)")
      ->check(glia::cli::non_negative_number());
  run->callback([idle, workspace_dir] {
    // Found, not opened: the agent opens the store only once it holds the agent lock.
    std::optional<std::filesystem::path> dir;
    if (!workspace_dir->empty()) dir = *workspace_dir;
    auto ws = platform::Workspace::find(dir);
    require_local_workspace(ws, "its agent runs");
    platform::AgentOptions options;
    options.idle_exit_seconds = *idle;
    options.tool_dir = tool_dir();
    options.python_dir = python_dirs().client;
    options.azureml_shim_dir = python_dirs().azureml_shim;
    if (const char* v = std::getenv("GLIA_AGENT_IDLE_EXIT"))
      options.idle_exit_seconds = std::atof(v);
    if (!platform::run_local_agent(ws.root(), options))
      std::fprintf(stderr, "glia: an agent already serves %s\n", ws.root().string().c_str());
  });
  auto* status = cmd->add_subcommand("status", "Whether an agent serves the workspace");
  status->callback([workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    if (platform::agent_running(ws.root())) {
      std::string pid;
      std::ifstream(platform::agent_pid_file(ws.root())) >> pid;
      std::printf("agent running (pid %s)\n", pid.c_str());
    } else {
      std::printf("no agent running (one starts when a job is submitted)\n");
    }
  });
}

}  // namespace glia::cli
