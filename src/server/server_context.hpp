// What every request handler of `glia server` shares: the workspaces served (each with its own
// store, users and tokens) and the one way a request is authenticated and its role checked.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "glia/http/message.hpp"
#include "glia/platform/access.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::server {

struct ServedWorkspace {
  std::string name;
  platform::Workspace workspace;
  std::unique_ptr<platform::Authenticator> auth;
};

class ServerContext {
 public:
  /// Serves these workspaces; their names must differ (InvalidArgument otherwise).
  explicit ServerContext(std::vector<platform::Workspace> workspaces);

  /// The served workspace named `name`; NotFound otherwise.
  ServedWorkspace& workspace(const std::string& name);
  std::vector<ServedWorkspace*> workspaces();
  /// The workspace when exactly one is served (MLflow's routes at the root use it); else null.
  ServedWorkspace* only_workspace();

  /// Authenticates the request's `Authorization: Bearer <token>` against `ws`'s users and
  /// checks that their role allows `need` for `action` ("submit jobs"): glia::Error
  /// Unauthenticated (401) for a missing or invalid token — a token of another workspace is
  /// unknown here —, Permission (403) for a role below `need`. The principal is also left in
  /// request.context (std::any holding platform::Principal).
  platform::Principal authorize(http::Request& request, ServedWorkspace& ws, platform::Role need,
                                const std::string& action);

  double started_at() const { return started_at_; }

  /// How the server starts a workspace's compute agent (the glia binary's `agent run`); the
  /// workspace root is appended as `-w ROOT`. Set by `glia server`; empty: no agent is started.
  std::vector<std::string> agent_command;
  /// Wakes the workspace's agent, starting it when none runs (after a submit or a cancel).
  void wake_agent(ServedWorkspace& ws);

 private:
  std::vector<std::unique_ptr<ServedWorkspace>> served_;
  double started_at_ = 0;
};

/// The bearer token of a request (`Authorization: Bearer T`); nullopt when absent.
std::optional<std::string> bearer_token(const http::Request& request);

}  // namespace glia::server
