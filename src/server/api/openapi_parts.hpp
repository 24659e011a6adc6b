// The pieces the OpenAPI document is built from (openapi.cpp: the schemas and most paths;
// openapi_remote.cpp: the remote store protocol's, blobs' and job submission's paths).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace glia::server::api::openapi {

using nlohmann::json;

json ref(const std::string& name);
json array_of(const json& items);
json string_map();
/// OpenAPI 3.1 (JSON Schema 2020-12): null is a type of its own.
json nullable(json schema);
/// An object with exactly these properties (`required` of them always there).
json object(json properties, std::vector<std::string> required, bool closed = true);

inline const json kString = {{"type", "string"}};
inline const json kInteger = {{"type", "integer"}};
inline const json kNumber = {{"type", "number"}};
inline const json kBoolean = {{"type", "boolean"}};
inline const json kAny = json::object();

json path_param(const std::string& name, json schema = kString);
json query_param(const std::string& name, json schema, const std::string& description);
json json_content(const json& schema);
/// One operation: its summary, the role it needs, its parameters and its answers (with the error
/// body as the default answer).
json operation(const std::string& id, const std::string& summary, const std::string& role,
               json parameters, json responses);
json answer(const std::string& description, const json& schema);
json download_answers();

/// The paths of the remote store protocol, the blobs and POST /jobs (under `w`, the workspace
/// prefix), added to `paths`.
void add_remote_paths(json& paths, const std::string& w);
/// Online endpoints' schemas and paths (openapi_endpoints.cpp).
void add_endpoint_schemas(json& schemas);
void add_endpoint_paths(json& paths, const std::string& w);
/// The runs search and a run's events (openapi_webview.cpp); the schemas after "Run".
void add_webview_schemas(json& schemas);
void add_webview_paths(json& paths, const std::string& w);

}  // namespace glia::server::api::openapi
