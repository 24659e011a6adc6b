// The OpenAPI document's part for the routes the web view added (search_routes.cpp,
// event_routes.cpp): the runs search and a run's Server-Sent Events.
#include "server/api/openapi_parts.hpp"

namespace glia::server::api::openapi {

void add_webview_schemas(json& schemas) {
  json run = schemas.at("Run");
  run["properties"]["metrics"] = {{"type", "object"},
                                  {"description", "each metric's latest value (NaN: null)"},
                                  {"additionalProperties", nullable(kNumber)}};
  run["properties"]["params"] = string_map();
  run["required"].push_back("metrics");
  run["required"].push_back("params");
  schemas["SearchedRun"] = run;
  schemas["RunTables"] =
      object({{"tables",
               {{"type", "object"},
                {"additionalProperties", object({{"total", {{"type", "integer"}, {"minimum", 0}}},
                                                 {"rows", array_of({{"type", "object"}})}},
                                                {"total", "rows"})}}}},
             {"tables"});
  schemas["RunSearchPage"] = object({{"runs", array_of(ref("SearchedRun"))},
                                     {"next_page_token", kString},
                                     {"total", {{"type", "integer"}, {"minimum", 0}}}},
                                    {"runs", "next_page_token", "total"});
}

void add_webview_paths(json& paths, const std::string& w) {
  const json ws = path_param("ws");
  const json id = path_param("id", {{"type", "string"}, {"minLength", 1}});
  paths[w + "/runs/search"]["get"] = operation(
      "searchRuns",
      "Runs matching a filter, sorted and paged on the server, with their latest metrics, "
      "params and the total count (the web view's runs table)",
      "reader",
      {ws,
       query_param("experiment", kString, "only runs of this experiment (default: all)"),
       query_param("filter", kString,
                   "MLflow's filter syntax, clauses joined by AND: metrics.loss < 0.2 and "
                   "params.lr = '0.1' and tags.team = 'a' and attributes.status = 'Completed'"),
       {{"name", "order_by"},
        {"in", "query"},
        {"required", false},
        {"description",
         "sort keys, e.g. metrics.accuracy DESC, params.lr, attributes.start_time (repeated "
         "or comma-separated; then newest first)"},
        {"schema", array_of(kString)},
        {"style", "form"},
        {"explode", true}},
       query_param("limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}},
                   "the page's size (default 100)"),
       query_param("page_token", kString, "the previous page's next_page_token")},
      {{"200", answer("one page of runs", ref("RunSearchPage"))}});
  paths[w + "/runs/{id}/tables"]["get"] = operation(
      "runTables",
      "A run's table metrics (log_row / log_table): each table's row count and its last rows",
      "reader",
      {ws, id,
       query_param("last", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100000}},
                   "rows kept per table, the last ones (default 1000)")},
      {{"200", answer("the run's tables by name", ref("RunTables"))}});
  paths[w + "/runs/{id}/events"]["get"] = operation(
      "runEvents",
      "A run's live events (Server-Sent Events): hello, run, metrics, log, end; a keep-alive "
      "comment every 15 s; ends when the run has ended and everything was sent",
      "reader",
      {ws, id,
       query_param("log_tail", {{"type", "integer"}, {"minimum", 0}, {"maximum", 16777216}},
                   "bytes of the log sent first (default 65536; 0: no log events)")},
      {{"200",
        {{"description", "the event stream"},
         // Each event (a comment line is none): its name and its one line of JSON.
         {"content",
          {{"text/event-stream",
            {{"schema",
              object({{"event",
                       {{"type", "string"}, {"enum", {"hello", "run", "metrics", "log", "end"}}}},
                      {"data", kString}},
                     {"event", "data"}, false)}}}}}}}});
}

}  // namespace glia::server::api::openapi
