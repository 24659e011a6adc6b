// A run's table metrics (log_row / log_table: one JSON object a row) over the REST API:
// GET /api/v1/workspaces/{ws}/runs/{id}/tables — each table's row count and its last rows, as
// `glia run metrics` shows them.
#include "glia/error.hpp"
#include "server/api/api.hpp"

namespace glia::server::api {

using platform::Role;

void register_table_routes(http::Router& router, ServerContext& context) {
  router.add("GET", std::string(kWorkspacePrefix) + "/runs/{id}/tables",
             [&context](http::Request& r) {
               Scope s = authorize(context, r, Role::Reader, "read metrics");
               allow_only(r, {"last"});
               const int64_t last = query_int(r, "last", 1, 100000).value_or(1000);
               auto& store = s.ws().store();
               const std::string id = r.param("id");
               store.get_run(id);  // an unknown run is a 404
               // name -> every row's JSON text, in logging order; only the last `last` parsed.
               std::map<std::string, std::vector<std::string>> rows;
               for (auto& row : store.metric_rows(id))
                 rows[row.name].push_back(std::move(row.row_json));
               nlohmann::json tables = nlohmann::json::object();
               for (const auto& [name, texts] : rows) {
                 nlohmann::json kept = nlohmann::json::array();
                 const size_t from = texts.size() > static_cast<size_t>(last)
                                         ? texts.size() - static_cast<size_t>(last)
                                         : 0;
                 for (size_t i = from; i < texts.size(); ++i)
                   kept.push_back(nlohmann::json::parse(texts[i]));
                 tables[name] = {{"total", texts.size()}, {"rows", std::move(kept)}};
               }
               return http::Response::json({{"tables", std::move(tables)}});
             });
}

}  // namespace glia::server::api
