// The REST API (/api/v1/workspaces/{ws}/...): what its route groups share — the workspace a
// request names, authorized for a role, and the checked reading of query parameters.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "glia/http/message.hpp"
#include "glia/http/router.hpp"
#include "glia/platform/access.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/workspace.hpp"
#include "server/server_context.hpp"

namespace glia::server::api {

/// The prefix of every workspace route.
inline constexpr const char* kWorkspacePrefix = "/api/v1/workspaces/{ws}";

/// The workspace of a request ({ws}), once its caller is authorized for `need` to do `action`.
struct Scope {
  ServedWorkspace& served;
  platform::Principal principal;
  platform::Workspace& ws() { return served.workspace; }
};
Scope authorize(ServerContext& context, http::Request& request, platform::Role need,
                const std::string& action);

/// Query parameters, checked: glia::Error (InvalidArgument) naming the parameter otherwise.
std::optional<std::string> query_text(const http::Request& request, const std::string& name);
std::optional<int64_t> query_int(const http::Request& request, const std::string& name, int64_t min,
                                 int64_t max);
std::optional<bool> query_bool(const http::Request& request, const std::string& name);
/// A JSON integer in [min, max], also written as a number with no fraction (1.0: JSON Schema
/// 2020-12, which the OpenAPI 3.1 document follows, counts it an integer); nullopt otherwise.
std::optional<int64_t> json_integer(const nlohmann::json& v, int64_t min, int64_t max);
/// A request body's member `name` (present): an integer in [min, max] (json_integer), or a
/// string; glia::Error (InvalidArgument) naming it otherwise.
int64_t body_int(const nlohmann::json& body, const char* name, int64_t min, int64_t max);
std::string body_text(const nlohmann::json& body, const char* name);
/// Refuses a query parameter the route does not know (never silently ignored).
void allow_only(const http::Request& request, std::initializer_list<const char*> known);
/// The request body as a JSON object whose keys are all in `known` (an unknown key is refused).
nlohmann::json json_object_body(const http::Request& request,
                                std::initializer_list<const char*> known);
/// A streamed request body stored as one blob (bounded memory, through BlobWriter): its SHA-256
/// and size. A body that is missing, cut short (or over the route's limit: then a 413) or fails to
/// be written (a full disk: that kind) stores nothing; with `expected_sha256`, neither do bytes
/// that hash to anything else. `what` names the upload in messages.
std::pair<std::string, uint64_t> receive_blob(http::Request& request,
                                              platform::ArtifactStore& artifacts,
                                              const std::string& what,
                                              const std::string& expected_sha256 = "");
/// A stored blob as a download honouring Range (200/206/416), streamed from the file in bounded
/// pieces: never the whole file in memory. The file is opened now (errors are thrown here).
/// `nosniff` and a sandboxing Content-Security-Policy: a browser never runs one as a page.
http::Response blob_download(const http::Request& request, const std::filesystem::path& blob,
                             const std::string& content_type = "application/octet-stream");

/// The type a stored file is answered with, by its name: raster images as themselves (the web
/// view shows them), anything else as bytes.
std::string file_content_type(const std::string& path);

/// A version path segment: a positive number or "latest" (nullopt).
std::optional<int64_t> version_param(const http::Request& request, const std::string& what);

// Each group adds its routes (one file each).
void register_workspace_routes(http::Router& router, ServerContext& context);
/// GET .../runs/search (search_routes.cpp) and GET .../runs/{id}/events (event_routes.cpp: SSE).
void register_search_routes(http::Router& router, ServerContext& context);
void register_event_routes(http::Router& router, ServerContext& context);
void register_table_routes(http::Router& router, ServerContext& context);
void register_run_routes(http::Router& router, ServerContext& context);
void register_metric_routes(http::Router& router, ServerContext& context);
void register_file_routes(http::Router& router, ServerContext& context);
void register_asset_routes(http::Router& router, ServerContext& context);
void register_compute_routes(http::Router& router, ServerContext& context);
void register_endpoint_routes(http::Router& router, ServerContext& context);
/// The remote store protocol (store_routes.cpp) and the blobs it moves (blob_routes.cpp).
void register_job_routes(http::Router& router, ServerContext& context);
void register_store_routes(http::Router& router, ServerContext& context);
void register_blob_routes(http::Router& router, ServerContext& context);
/// The Store methods a client may call, by name; and those only the server makes (refused).
std::vector<std::string> store_method_names();
std::vector<std::string> server_only_store_methods();
void register_openapi_route(http::Router& router);

/// The OpenAPI 3 document of every /api/v1 route (openapi.cpp).
const nlohmann::json& openapi_document();

}  // namespace glia::server::api
