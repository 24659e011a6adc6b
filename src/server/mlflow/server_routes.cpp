// MLflow's API on `glia server`: each served workspace under /mlflow/{ws}, and the only one at
// the root; the caller checked by ServerContext::authorize (a Bearer token, which the mlflow
// client sends from MLFLOW_TRACKING_TOKEN).
#include "server/mlflow/mlflow.hpp"
#include "server/routes.hpp"

namespace glia::server {

void register_mlflow_routes(http::Router& router, ServerContext& context) {
  using mlflow::Binding;
  auto bind = [&context](std::function<ServedWorkspace&(http::Request&)> served) {
    Binding b;
    b.workspace = [served](http::Request& r) -> platform::Workspace& {
      return served(r).workspace;
    };
    b.authorize = [served, &context](http::Request& r, platform::Role need,
                                     const std::string& action) {
      return context.authorize(r, served(r), need, action).user;
    };
    return b;
  };
  mlflow::mount(router, "/mlflow/{ws}", bind([&context](http::Request& r) -> ServedWorkspace& {
                  // No token is a 401 before the name is looked at, as on the REST API: a 404
                  // would tell a caller without a token which workspaces exist.
                  if (!context.request_credential(r))
                    throw Error(ErrorKind::Unauthenticated,
                                "no API token: send 'Authorization: Bearer <token>' (glia token "
                                "create makes one)");
                  return context.workspace(r.param("ws"));
                }));
  if (ServedWorkspace* only = context.only_workspace())
    mlflow::mount(router, "", bind([only](http::Request&) -> ServedWorkspace& { return *only; }));
}

}  // namespace glia::server
