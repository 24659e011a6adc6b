// The server's own routes: health (for load balancers and systemd checks) and the workspaces a
// token opens.
#include "glia/version.hpp"
#include "server/routes.hpp"

namespace glia::server {

void register_meta_routes(http::Router& router, ServerContext& context) {
  router.add("GET", "/api/v1/health", [&context](http::Request&) {
    return http::Response::json(
        {{"status", "ok"}, {"version", glia::version()}, {"started_at", context.started_at()}});
  });
  // A token belongs to one workspace: the list holds the workspaces it opens (at most one
  // unless the same user holds tokens elsewhere), never the names of the others.
  router.add("GET", "/api/v1/workspaces", [&context](http::Request& request) {
    nlohmann::json list = nlohmann::json::array();
    bool any_token = false;
    std::string user;
    for (ServedWorkspace* ws : context.workspaces()) {
      try {
        const auto who = context.authorize(request, *ws, platform::Role::Reader, "list workspaces");
        any_token = true;
        if (user.empty()) user = who.user;
        list.push_back({{"name", ws->name}, {"role", platform::role_name(who.role)}});
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::Unauthenticated) throw;
      }
    }
    if (!any_token)
      throw Error(ErrorKind::Unauthenticated,
                  context.request_credential(request)
                      ? "the API token is not valid for any served workspace"
                      : "no API token: send 'Authorization: Bearer <token>'");
    return http::Response::json({{"user", user}, {"workspaces", list}});
  });
}

void register_all_routes(http::Router& router, ServerContext& context) {
  register_meta_routes(router, context);
  register_mlflow_routes(router, context);
  register_api_routes(router, context);
  register_ui_routes(router, context);
}

}  // namespace glia::server
