// The route groups of `glia server`, each registered on the one Router.
#pragma once

#include "glia/http/router.hpp"
#include "server/server_context.hpp"

namespace glia::server {

/// GET /api/v1/health (no token) and GET /api/v1/workspaces (those the token opens).
void register_meta_routes(http::Router& router, ServerContext& context);

/// MLflow's REST API (docs/mlflow.md): /mlflow/{ws}/api/2.0/mlflow/... (and ajax-api, and the
/// artifact proxy /mlflow/{ws}/api/2.0/mlflow-artifacts/...) for every served workspace, and the
/// same at the root when one workspace is served. Reader for reads, contributor for writes.
void register_mlflow_routes(http::Router& router, ServerContext& context);
/// The REST API: /api/v1/workspaces/{ws}/... and /api/v1/openapi.json (src/server/api/,
/// docs/server.md "REST API").
void register_api_routes(http::Router& router, ServerContext& context);

/// The web view (docs/webview.md): / → /ui/, the app shell for /ui/ pages and its static files
/// (compiled in), the cookie login.
void register_ui_routes(http::Router& router, ServerContext& context);

/// POST /ui/login (a token → the session cookie) and POST /ui/logout.
void register_login_routes(http::Router& router, ServerContext& context);

/// Every route of `glia server`.
void register_all_routes(http::Router& router, ServerContext& context);

}  // namespace glia::server
