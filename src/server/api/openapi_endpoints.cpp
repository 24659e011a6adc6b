// The OpenAPI schemas and paths of online endpoints (endpoint_routes.cpp, docs/endpoints.md).
#include "server/api/api.hpp"
#include "server/api/openapi_parts.hpp"

namespace glia::server::api::openapi {

void add_endpoint_schemas(json& s) {
  const json settings = {{"instances", kInteger},          {"max_batch_size", kInteger},
                         {"max_queue_delay_us", kInteger}, {"max_queue", kInteger},
                         {"max_body_bytes", kInteger},     {"max_rows", kInteger},
                         {"request_timeout_ms", kInteger}, {"auth_mode", kString},
                         {"description", kString}};
  s["Endpoint"] = object({{"name", kString},
                          {"state", kString},
                          {"scoring_uri", kString},
                          {"model", kString},
                          {"generation", kInteger}},
                         {"name", "state", "model"}, /*closed=*/false);
  json detail = s["Endpoint"]["properties"];
  detail["events"] = array_of(kAny);
  s["EndpointDetail"] = object(detail, {"name", "state", "model", "events"}, false);
  json create = settings;
  create["name"] = kString;
  create["model"] = kString;
  create["port"] = kInteger;
  create["host"] = kString;
  create["tags"] = string_map();
  s["EndpointCreate"] = object(create, {"name", "model"});
  json update = settings;
  update["model"] = kString;
  s["EndpointUpdate"] = object(update, {});
  s["EndpointKeys"] =
      object({{"primaryKey", kString}, {"secondaryKey", kString}}, {"primaryKey", "secondaryKey"});
}

void add_endpoint_paths(json& paths, const std::string& w) {
  const json ws = path_param("ws"), name = path_param("name");
  const std::string p = w + "/endpoints";
  paths[p]["get"] = operation("listEndpoints", "Online endpoints", "reader", {ws},
                              {{"200", answer("the endpoints", array_of(ref("Endpoint")))}});
  paths[p]["post"] =
      operation("createEndpoint", "Deploys a registered model as an endpoint", "contributor", {ws},
                {{"201", answer("the endpoint, Creating", ref("Endpoint"))}});
  paths[p]["post"]["requestBody"] = {{"required", true},
                                     {"content", json_content(ref("EndpointCreate"))}};
  paths[p + "/{name}"]["get"] =
      operation("showEndpoint", "An endpoint with its state history", "reader", {ws, name},
                {{"200", answer("the endpoint", ref("EndpointDetail"))}});
  paths[p + "/{name}"]["patch"] = operation(
      "updateEndpoint", "Changes an endpoint (a new generation, swapped in without downtime)",
      "contributor", {ws, name}, {{"200", answer("the endpoint", ref("Endpoint"))}});
  paths[p + "/{name}"]["patch"]["requestBody"] = {{"required", true},
                                                  {"content", json_content(ref("EndpointUpdate"))}};
  paths[p + "/{name}"]["delete"] =
      operation("deleteEndpoint", "Stops and removes an endpoint", "contributor", {ws, name},
                {{"202", answer("the endpoint, Deleting", ref("Endpoint"))}});
  paths[p + "/{name}/keys"]["get"] =
      operation("endpointKeys", "The endpoint's two bearer keys", "contributor", {ws, name},
                {{"200", answer("the keys", ref("EndpointKeys"))}});
  paths[p + "/{name}/keys/regenerate"]["post"] =
      operation("regenerateEndpointKey", "Replaces one key; the other keeps working", "contributor",
                {ws, name}, {{"200", answer("the keys", ref("EndpointKeys"))}});
  paths[p + "/{name}/keys/regenerate"]["post"]["requestBody"] = {
      {"required", true},
      {"content",
       json_content(object({{"keyType", {{"type", "string"}, {"enum", {"primary", "secondary"}}}}},
                           {"keyType"}))}};
  paths[p + "/{name}/logs"]["get"] = operation(
      "endpointLogs", "The last lines of the endpoint's process (or access) log", "reader",
      {ws, name,
       query_param("tail", {{"type", "integer"}, {"minimum", 0}, {"maximum", 100000}},
                   "lines (0: all; default 100)"),
       query_param("access", kBoolean, "the access log instead")},
      {{"200",
        {{"description", "the log lines"}, {"content", {{"text/plain", {{"schema", kString}}}}}}}});
}

}  // namespace glia::server::api::openapi
