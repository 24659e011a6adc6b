#include "server/server_context.hpp"

#include "glia/error.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/local_agent.hpp"

namespace glia::server {

ServerContext::ServerContext(std::vector<platform::Workspace> workspaces)
    : started_at_(platform::now_seconds()) {
  for (auto& ws : workspaces) {
    for (const auto& s : served_)
      if (s->name == ws.name())
        throw Error("two served workspaces are named '" + ws.name() + "' ('" +
                    s->workspace.root().string() + "' and '" + ws.root().string() +
                    "'); workspace names must differ");
    auto served =
        std::make_unique<ServedWorkspace>(ServedWorkspace{ws.name(), std::move(ws), nullptr});
    served->auth = std::make_unique<platform::Authenticator>(served->workspace.store());
    served_.push_back(std::move(served));
  }
}

ServedWorkspace& ServerContext::workspace(const std::string& name) {
  for (auto& s : served_)
    if (s->name == name) return *s;
  throw Error(ErrorKind::NotFound, "no workspace '" + name + "' is served here");
}

std::vector<ServedWorkspace*> ServerContext::workspaces() {
  std::vector<ServedWorkspace*> out;
  for (auto& s : served_) out.push_back(s.get());
  return out;
}

ServedWorkspace* ServerContext::only_workspace() {
  return served_.size() == 1 ? served_.front().get() : nullptr;
}

void ServerContext::wake_agent(ServedWorkspace& ws) {
  if (agent_command.empty()) return;
  auto command = agent_command;
  command.insert(command.end(), {"-w", ws.workspace.root().string()});
  platform::ensure_agent(ws.workspace, command);
}

std::optional<std::string> bearer_token(const http::Request& request) {
  const auto h = request.header("Authorization");
  if (!h) return std::nullopt;
  constexpr std::string_view kBearer = "Bearer ";
  if (h->size() <= kBearer.size() || h->compare(0, kBearer.size(), kBearer) != 0)
    return std::nullopt;
  return h->substr(kBearer.size());
}

platform::Principal ServerContext::authorize(http::Request& request, ServedWorkspace& ws,
                                             platform::Role need, const std::string& action) {
  const auto token = bearer_token(request);
  if (!token)
    throw Error(ErrorKind::Unauthenticated,
                "no API token: send 'Authorization: Bearer <token>' (glia token create makes one)");
  platform::Principal who = ws.auth->authenticate(*token);
  platform::require_role(who, need, action);
  request.context = who;
  return who;
}

}  // namespace glia::server
