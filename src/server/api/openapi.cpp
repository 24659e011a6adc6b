// The OpenAPI 3 document of the REST API, served at GET /api/v1/openapi.json without a token.
// Written here, beside the routes and apart from their registration, so the guard test
// (tests/unit/test_server_api.cpp) can compare the two: every /api/v1 route documented, every
// documented path a route.
#include "server/api/api.hpp"
#include "server/api/openapi_parts.hpp"

namespace glia::server::api {

namespace {

using namespace openapi;

json schemas() {
  json s;
  s["Error"] =
      object({{"error", object({{"kind", kString}, {"message", kString}}, {"kind", "message"})}},
             {"error"});
  s["Workspace"] = object({{"name", kString},
                           {"root", kString},
                           {"store", kString},
                           {"schema_version", kInteger},
                           {"artifacts", kString},
                           {"experiments", array_of(kString)},
                           {"runs", kInteger}},
                          {"name", "schema_version", "experiments", "runs"});
  s["Experiment"] = object({{"name", kString}}, {"name"});
  const json run_fields = {
      {"id", kString},
      {"experiment", kString},
      {"display_name", kString},
      {"status", ref("RunStatus")},
      {"created_at", kString},
      {"started_at", kString},
      {"ended_at", kString},
      {"command", kString},
      {"compute", kString},
      {"tags", string_map()},
      {"exit_code", nullable(kInteger)},
      {"error", kString},
      {"pid", kInteger},
      {"submitted_by", object({{"uid", kInteger}, {"name", kString}}, {"uid", "name"})},
      {"properties", string_map()},
      {"duration_seconds", kNumber},
      {"job_type", nullable(kString)},
      {"parent", kString}};
  const std::vector<std::string> run_required = {
      "id",      "experiment", "display_name", "status",    "created_at", "started_at", "ended_at",
      "command", "compute",    "tags",         "exit_code", "error",      "job_type"};
  s["RunStatus"] = {{"type", "string"},
                    {"enum",
                     {"NotStarted", "Queued", "Preparing", "Starting", "Running", "Finalizing",
                      "CancelRequested", "Completed", "Failed", "Canceled"}}};
  s["Run"] = object(run_fields, run_required);
  json detail = run_fields;
  detail["history"] =
      array_of(object({{"status", ref("RunStatus")}, {"at", kString}}, {"status", "at"}));
  detail["metrics"] = {
      {"type", "object"},
      {"additionalProperties",
       object({{"value", nullable(kNumber)}, {"step", kInteger}}, {"value", "step"})}};
  detail["images"] = array_of(
      object({{"name", kString}, {"step", kInteger}, {"path", kString}}, {"name", "step", "path"}));
  detail["files"] = kInteger;
  detail["inputs"] = {{"type", "object"}};
  detail["job_file"] = kAny;
  detail["job"] = kAny;
  detail["datasets"] = array_of(object({{"input", kString},
                                        {"dataset", kString},
                                        {"version", kInteger},
                                        {"content_hash", kString},
                                        {"mode", kString}},
                                       {"input", "dataset", "version", "content_hash", "mode"}));
  detail["code_snapshot"] = kString;
  detail["code_files"] = kInteger;
  detail["timeout_seconds"] = kNumber;
  detail["trial_index"] = kInteger;
  detail["parameters"] = {{"type", "object"}};
  detail["sweep"] = ref("Sweep");
  std::vector<std::string> detail_required = run_required;
  for (const char* k : {"history", "metrics", "files"}) detail_required.push_back(k);
  s["RunDetail"] = object(detail, detail_required);
  s["Sweep"] =
      object({{"primary_metric", kString},
              {"goal", {{"type", "string"}, {"enum", {"maximize", "minimize"}}}},
              {"sampling_algorithm", kString},
              {"seed", nullable(kInteger)},
              {"early_termination", nullable(kString)},
              {"max_total_trials", kInteger},
              {"max_concurrent_trials", kInteger},
              {"search_space", kAny},
              {"trials", array_of(object({{"id", kString},
                                          {"index", kInteger},
                                          {"parameters", {{"type", "object"}}},
                                          {"status", ref("RunStatus")},
                                          {"best_metric", nullable(kNumber)},
                                          {"intervals", kInteger},
                                          {"early_terminated", nullable(kString)}},
                                         {"id", "index", "parameters", "status", "best_metric",
                                          "intervals", "early_terminated"}))},
              {"best_trial", nullable(kString)},
              {"best_metric", nullable(kNumber)}},
             {"primary_metric", "goal", "trials", "best_trial", "best_metric"});
  s["MetricPoint"] =
      object({{"step", kInteger}, {"value", nullable(kNumber)}, {"wall_time", kNumber}},
             {"step", "value", "wall_time"});
  s["LatestMetrics"] = {{"type", "object"}, {"additionalProperties", ref("MetricPoint")}};
  s["MetricHistory"] =
      object({{"run", kString},
              {"name", kString},
              {"total", kInteger},
              {"downsampled", kBoolean},
              {"method", nullable({{"type", "string"}, {"enum", {"minmax", "lttb"}}})},
              {"points", array_of(ref("MetricPoint"))}},
             {"run", "name", "total", "downsampled", "method", "points"});
  s["MetricValue"] =
      object({{"name",
               {{"type", "string"},
                {"minLength", 1},
                {"maxLength", 255},
                {"pattern", "^[^\\x00-\\x1f\\x7f]+$"}}},
              {"value", kNumber},
              {"step", {{"type", "integer"}, {"minimum", 0}, {"maximum", 9007199254740991}}},
              {"wall_time", {{"type", "number"}, {"minimum", 0}}}},
             {"name", "value"});
  s["Logged"] = object({{"logged", kInteger}}, {"logged"});
  s["FileEntry"] = object({{"path", kString}, {"size", kInteger}, {"sha256", kString}},
                          {"path", "size", "sha256"});
  s["Dataset"] = object({{"name", kString},
                         {"version", kInteger},
                         {"description", kString},
                         {"content_hash", kString},
                         {"files", kInteger},
                         {"bytes", kInteger},
                         {"sources", kAny},
                         {"created_at", kString},
                         {"created_by", kString},
                         {"archived", kBoolean}},
                        {"name", "version", "content_hash", "files", "bytes", "archived"});
  json dataset_detail = s["Dataset"]["properties"];
  dataset_detail["used_by"] = array_of(
      object({{"run", kString}, {"input", kString}, {"mode", kString}}, {"run", "input", "mode"}));
  dataset_detail["file_list"] = array_of(ref("FileEntry"));
  s["DatasetDetail"] = object(dataset_detail, {"name", "version", "used_by", "file_list"});
  s["Model"] = object({{"name", kString},
                       {"version", kInteger},
                       {"description", kString},
                       {"created_at", kString},
                       {"created_by", kString},
                       {"tags", string_map()},
                       {"properties", string_map()},
                       {"content_hash", kString},
                       {"files", kInteger},
                       {"bytes", kInteger},
                       {"run", nullable(kString)},
                       {"path", kString}},
                      {"name", "version", "content_hash", "files", "bytes", "run"});
  json model_detail = s["Model"]["properties"];
  model_detail["file_list"] = array_of(ref("FileEntry"));
  model_detail["lineage"] = object({{"run", nullable(kString)},
                                    {"experiment", nullable(kString)},
                                    {"run_status", nullable(kString)},
                                    {"code_snapshot", kString},
                                    {"datasets", array_of({{"type", "object"}})}},
                                   {"run", "datasets"});
  s["ModelDetail"] = object(model_detail, {"name", "version", "file_list", "lineage"});
  s["Environment"] = object({{"name", kString},
                             {"version", kInteger},
                             {"description", kString},
                             {"spec_hash", kString},
                             {"build_hash", kString},
                             {"spec", kAny},
                             {"python", nullable(kString)},
                             {"image", kString},
                             {"source_kind", kString},
                             {"created_at", kString},
                             {"created_by", kString},
                             {"archived", kBoolean},
                             {"anonymous", kBoolean},
                             {"built", kBoolean},
                             {"venv", nullable(kString)}},
                            {"name", "version", "spec_hash", "built"});
  json env_detail = s["Environment"]["properties"];
  env_detail["source"] = kString;
  s["EnvironmentDetail"] = object(env_detail, {"name", "version", "source"});
  s["Compute"] = object({{"name", kString},
                         {"type", kString},
                         {"max_concurrent", kInteger},
                         {"description", kString},
                         {"threads_per_job", {{"oneOf", {kInteger, kString}}}},
                         {"created_at", kString},
                         {"queued", kInteger},
                         {"running", kInteger},
                         // Slurm targets only (docs/slurm.md)
                         {"partition", kString},
                         {"max_nodes", nullable(kInteger)},
                         {"account", kString},
                         {"qos", kString},
                         {"time_limit", kString}},
                        {"name", "type", "max_concurrent", "queued", "running"});
  const json slurm_nodes = nullable({{"type", "integer"}, {"minimum", 1}, {"maximum", 100000}});
  const json name_schema = {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]{1,64}$"}};
  s["ComputeCreate"] = object(
      {{"name", name_schema},
       {"type", {{"type", "string"}, {"enum", {"local", "slurm"}}}},
       {"max_concurrent", {{"type", "integer"}, {"minimum", 1}, {"maximum", 4096}}},
       {"description", kString},
       {"threads_per_job", nullable({{"type", "integer"}, {"minimum", 1}, {"maximum", 4096}})},
       {"partition", kString},
       {"max_nodes", slurm_nodes},
       {"account", kString},
       {"qos", kString},
       {"time_limit", kString}},
      {"name"});
  json update = object(
      {{"max_concurrent", {{"type", "integer"}, {"minimum", 1}, {"maximum", 4096}}},
       {"description", kString},
       {"threads_per_job", nullable({{"type", "integer"}, {"minimum", 0}, {"maximum", 4096}})},
       {"partition", kString},
       {"max_nodes", slurm_nodes},
       {"account", kString},
       {"qos", kString},
       {"time_limit", kString}},
      {});
  update["minProperties"] = 1;
  s["ComputeUpdate"] = update;
  s["Tags"] = {
      {"type", "object"},
      {"minProperties", 1},
      {"maxProperties", 100},
      // No NUL byte in a name or a value (PostgreSQL cannot store one).
      {"propertyNames", {{"minLength", 1}, {"maxLength", 255}, {"pattern", "^[^\\x00]*$"}}},
      {"additionalProperties",
       {{"type", "string"}, {"maxLength", 4096}, {"pattern", "^[^\\x00]*$"}}}};
  add_endpoint_schemas(s);
  add_webview_schemas(s);
  return s;
}

json build() {
  const std::string w = "/api/v1/workspaces/{ws}";
  const json ws = path_param("ws");
  const json id = path_param("id", {{"type", "string"}, {"minLength", 1}});
  const json name = path_param("name", {{"type", "string"}, {"minLength", 1}});
  // Datasets, models and environments: the asset name rule (check_asset_name).
  const json asset =
      path_param("name", {{"type", "string"}, {"pattern", "^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$"}});
  const json version =
      path_param("version", {{"type", "string"}, {"pattern", "^(latest|[1-9][0-9]{0,17})$"}});
  const json file_path = path_param("path", {{"type", "string"}, {"minLength", 1}});
  const json run_filters = {
      ws,
      query_param("experiment", kString, "only runs of this experiment"),
      query_param("status", ref("RunStatus"), "only runs with this status"),
      query_param("compute", kString, "only runs on this compute target"),
      query_param("parent", kString, "only the children of this run (a sweep's trials)"),
      query_param("limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100000}},
                  "at most this many (default 50)"),
      query_param("oldest_first", kBoolean, "oldest first (default: newest first)")};

  json paths;
  paths["/api/v1/openapi.json"]["get"] = {
      {"operationId", "openapi"},
      {"summary", "This document (no token needed)"},
      {"security", json::array()},
      {"responses", {{"200", answer("the OpenAPI 3 document", {{"type", "object"}})}}}};
  paths["/api/v1/health"]["get"] = {
      {"operationId", "health"},
      {"summary", "The server is up (no token needed)"},
      {"security", json::array()},
      {"responses",
       {{"200", answer("up", object({{"status", {{"type", "string"}, {"enum", {"ok"}}}},
                                     {"version", kString},
                                     {"started_at", kNumber}},
                                    {"status", "version", "started_at"}))}}}};
  paths["/api/v1/workspaces"]["get"] = operation(
      "listWorkspaces", "The served workspaces the token opens, with its role in each", "reader",
      json::array(),
      {{"200", answer("the token's user and workspaces",
                      object({{"user", kString},
                              {"workspaces", array_of(object({{"name", kString}, {"role", kString}},
                                                             {"name", "role"}))}},
                             {"user", "workspaces"}))}});
  paths[w]["get"] = operation("getWorkspace", "The workspace", "reader", {ws},
                              {{"200", answer("the workspace", ref("Workspace"))}});
  paths[w + "/experiments"]["get"] =
      operation("listExperiments", "Its experiments", "reader", {ws},
                {{"200", answer("the experiments", array_of(ref("Experiment")))}});
  for (const std::string what : {"runs", "jobs"}) {
    paths[w + "/" + what]["get"] =
        operation("list_" + what, "List " + what + ", newest first (as glia run list -o json)",
                  "reader", run_filters, {{"200", answer("the runs", array_of(ref("Run")))}});
    paths[w + "/" + what + "/{id}"]["get"] = operation(
        "show_" + what, "A run's details (as glia run show -o json); {id} may be best:SWEEP",
        "reader", {ws, id}, {{"200", answer("the run", ref("RunDetail"))}});
  }
  paths[w + "/runs/{id}/tags"]["patch"] =
      operation("setTags", "Sets (adds or replaces) tags", "contributor", {ws, id},
                {{"200", answer("the run", ref("Run"))}});
  paths[w + "/runs/{id}/tags"]["patch"]["requestBody"] = {{"required", true},
                                                          {"content", json_content(ref("Tags"))}};
  paths[w + "/runs/{id}/cancel"]["post"] =
      operation("cancelRun", "Requests a job's cancel (as glia job cancel --no-wait)",
                "contributor", {ws, id}, {{"202", answer("the run", ref("Run"))}});
  paths[w + "/runs/{id}/metrics"]["get"] =
      operation("latestMetrics", "The latest value of each metric", "reader", {ws, id},
                {{"200", answer("name -> latest value", ref("LatestMetrics"))}});
  paths[w + "/runs/{id}/metrics"]["post"] = operation(
      "logMetrics", "Logs a batch of metric values, all or none (at most 10000)", "contributor",
      {ws,
       id,
       {{"name", "Idempotency-Key"},
        {"in", "header"},
        {"required", false},
        {"description",
         "a retried request with the same key and body is logged once and gets the "
         "first answer; the same key with another body is a 409; an empty value is no key"},
        {"schema",
         {{"type", "string"},
          {"pattern",
           R"(^[ \t]*(?:[!#-\[\]-~][ !#-\[\]-~]{0,254}|"[ !#-\[\]-~]{1,255}")?[ \t]*$)"}}}}},
      {{"201", answer("how many were logged", ref("Logged"))}});
  paths[w + "/runs/{id}/metrics"]["post"]["requestBody"] = {
      {"required", true},
      {"content", json_content({{"type", "array"},
                                {"minItems", 1},
                                {"maxItems", 10000},
                                {"items", ref("MetricValue")}})}};
  paths[w + "/runs/{id}/metrics/{name}"]["get"] = operation(
      "metricHistory",
      "A metric's values by step; with max_points, downsampled on the server for a chart", "reader",
      {ws, id, name,
       query_param("max_points", {{"type", "integer"}, {"minimum", 3}, {"maximum", 100000}},
                   "answer at most this many points (the first and the last always)"),
       query_param("method", {{"type", "string"}, {"enum", {"minmax", "lttb"}}},
                   "minmax (default: each bucket's lowest and highest value) or lttb "
                   "(Largest-Triangle-Three-Buckets); alone, max_points is 1000")},
      {{"200", answer("the series", ref("MetricHistory"))}});
  paths[w + "/runs/{id}/files"]["get"] =
      operation("listRunFiles", "A run's files", "reader", {ws, id},
                {{"200", answer("the files, by path", array_of(ref("FileEntry")))}});
  paths[w + "/runs/{id}/files/{path}"]["get"] =
      operation("downloadRunFile", "Downloads a run's file (Range for a part)", "reader",
                {ws, id, file_path}, download_answers());
  paths[w + "/runs/{id}/files/{path}"]["put"] = operation(
      "uploadRunFile", "Uploads a file into the run's history (streamed; replaces the same path)",
      "contributor", {ws, id, file_path}, {{"201", answer("the stored file", ref("FileEntry"))}});
  paths[w + "/runs/{id}/files/{path}"]["put"]["requestBody"] = {
      {"description", "the file's bytes (an empty body: an empty file)"},
      {"required", false},
      {"content",
       {{"application/octet-stream", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
  paths[w + "/runs/{id}/log"]["get"] =
      operation("runLog", "The job's log, followed while it runs (chunked; ends when the run ends)",
                "reader", {ws, id},
                {{"200",
                  {{"description", "the log's bytes"},
                   {"content", {{"text/plain", {{"schema", kString}}}}}}}});
  paths[w + "/datasets"]["get"] =
      operation("listDatasets", "Every version of every dataset", "reader", {ws},
                {{"200", answer("the versions", array_of(ref("Dataset")))}});
  paths[w + "/datasets/{name}/versions/{version}"]["get"] = operation(
      "showDataset", "A dataset version with its files and the runs that used it", "reader",
      {ws, asset, version}, {{"200", answer("the version", ref("DatasetDetail"))}});
  paths[w + "/models"]["get"] =
      operation("listModels", "Model versions", "reader",
                {ws, query_param("name", kString, "only this model"),
                 query_param("run", kString, "only versions registered from this run")},
                {{"200", answer("the versions", array_of(ref("Model")))}});
  paths[w + "/models/{name}/versions/{version}"]["get"] =
      operation("showModel", "A model version with its files and lineage", "reader",
                {ws, asset, version}, {{"200", answer("the version", ref("ModelDetail"))}});
  paths[w + "/models/{name}/versions/{version}/files/{path}"]["get"] =
      operation("downloadModelFile", "Downloads a model version's file (Range for a part)",
                "reader", {ws, asset, version, file_path}, download_answers());
  paths[w + "/environments"]["get"] =
      operation("listEnvironments", "Every version of every environment", "reader", {ws},
                {{"200", answer("the versions", array_of(ref("Environment")))}});
  paths[w + "/environments/{name}/versions/{version}"]["get"] =
      operation("showEnvironment", "An environment version with its source", "reader",
                {ws, asset, version}, {{"200", answer("the version", ref("EnvironmentDetail"))}});
  paths[w + "/computes"]["get"] =
      operation("listComputes", "Compute targets", "reader", {ws},
                {{"200", answer("the targets", array_of(ref("Compute")))}});
  paths[w + "/computes"]["post"] = operation("createCompute", "Creates a compute target", "owner",
                                             {ws}, {{"201", answer("the target", ref("Compute"))}});
  paths[w + "/computes"]["post"]["requestBody"] = {{"required", true},
                                                   {"content", json_content(ref("ComputeCreate"))}};
  paths[w + "/computes/{name}"]["get"] =
      operation("showCompute", "A compute target", "reader", {ws, name},
                {{"200", answer("the target", ref("Compute"))}});
  paths[w + "/computes/{name}"]["patch"] =
      operation("updateCompute", "Changes a compute target", "owner", {ws, name},
                {{"200", answer("the target", ref("Compute"))}});
  paths[w + "/computes/{name}"]["patch"]["requestBody"] = {
      {"required", true}, {"content", json_content(ref("ComputeUpdate"))}};
  add_remote_paths(paths, w);
  add_endpoint_paths(paths, w);
  add_webview_paths(paths, w);

  return {{"openapi", "3.1.0"},
          {"info",
           {{"title", "Glia REST API"},
            {"version", "1"},
            {"description",
             "A Glia workspace served over HTTP (docs/server.md). Every route but this "
             "document needs an API token: Authorization: Bearer TOKEN."}}},
          {"security", json::array({{{"bearer", json::array()}}})},
          {"paths", paths},
          {"components",
           {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
            {"schemas", schemas()}}}};
}

}  // namespace

const nlohmann::json& openapi_document() {
  static const json document = build();
  return document;
}

void register_openapi_route(http::Router& router) {
  router.add("GET", "/api/v1/openapi.json", [](http::Request&) {
    static const std::string body = openapi_document().dump();
    http::Response r;
    r.body = body;
    return r;
  });
}

}  // namespace glia::server::api
