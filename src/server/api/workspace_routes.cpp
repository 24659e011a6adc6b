// GET /api/v1/workspaces/{ws} and its experiments.
#include "glia/platform/json_views.hpp"
#include "server/api/api.hpp"

namespace glia::server::api {

using platform::Role;

void register_workspace_routes(http::Router& router, ServerContext& context) {
  const std::string p = kWorkspacePrefix;
  router.add("GET", p, [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "read the workspace");
    allow_only(r, {});
    platform::Workspace& ws = s.ws();
    platform::RunFilter all;
    all.limit = 1000000;
    // The fields of `glia workspace show -o json`.
    return http::Response::json({{"name", ws.name()},
                                 {"root", ws.root().string()},
                                 {"store", ws.store_path().string()},
                                 {"schema_version", ws.store().schema_version()},
                                 {"artifacts", ws.artifacts_path().string()},
                                 {"experiments", ws.store().experiments()},
                                 {"runs", ws.store().list_runs(all).size()}});
  });
  router.add("GET", p + "/experiments", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "list experiments");
    allow_only(r, {});
    nlohmann::json out = nlohmann::json::array();
    for (const auto& name : s.ws().store().experiments()) out.push_back({{"name", name}});
    return http::Response::json(out);
  });
}

}  // namespace glia::server::api
