// Runs search for the web view's runs table: GET /api/v1/workspaces/{ws}/runs/search — MLflow's
// filter syntax (server/mlflow/filter.*) and order-by clauses mapped onto Store::search_runs
// (SQL, keyset pages), the total from Store::count_runs (one COUNT), each run with its latest
// metrics and its params. Registered before /runs/{id} (the router takes the first match).
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/json_views.hpp"
#include "server/api/api.hpp"
#include "server/mlflow/filter.hpp"

namespace glia::server::api {

using platform::Role;

namespace {

constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 1000;
constexpr size_t kMaxOrderClauses = 20;

// Splits "a DESC, b" at the commas outside quotes and backticks (a key may hold a comma).
std::vector<std::string> split_clauses(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  char quote = 0;
  for (const char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
    } else if (c == ',') {
      out.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  out.push_back(current);
  return out;
}

bool blank(const std::string& s) {
  return s.find_first_not_of(" \t") == std::string::npos;
}

std::vector<platform::RunOrder> order_of_request(const http::Request& r) {
  std::vector<platform::RunOrder> order;
  const auto [first, last] = r.query.equal_range("order_by");
  for (auto it = first; it != last; ++it) {
    for (const std::string& clause : split_clauses(it->second)) {
      if (blank(clause))
        throw Error("query parameter 'order_by' = " + quote_bytes(it->second) +
                    ": an empty clause (expected e.g. 'metrics.accuracy DESC, params.lr')");
      const mlflow::OrderBy o = mlflow::parse_order_by(clause);
      if (o.entity == mlflow::Entity::Attribute && o.key != "run_id" && o.key != "run_name" &&
          o.key != "status" && o.key != "user_id" && o.key != "start_time" && o.key != "end_time")
        throw Error("query parameter 'order_by': unknown attribute '" + o.key +
                    "' (expected run_id, run_name, status, user_id, start_time, end_time)");
      order.push_back(mlflow::order_of(o));
    }
  }
  if (order.size() > kMaxOrderClauses)
    throw Error("query parameter 'order_by': at most " + std::to_string(kMaxOrderClauses) +
                " clauses");
  return order;
}

http::Response search_runs(ServerContext& context, http::Request& r) {
  Scope s = authorize(context, r, Role::Reader, "search runs");
  allow_only(r, {"experiment", "filter", "order_by", "limit", "page_token"});
  platform::Store& store = s.ws().store();
  platform::RunSearch q;
  if (const auto name = query_text(r, "experiment")) {
    const auto e = store.find_experiment(*name);
    if (!e) throw Error(ErrorKind::NotFound, "unknown experiment " + quote_bytes(*name));
    q.experiment_ids.push_back(e->id);
  } else {
    for (const auto& e : store.list_experiment_records()) q.experiment_ids.push_back(e.id);
  }
  try {
    for (const mlflow::Comparison& c : mlflow::parse_filter(query_text(r, "filter").value_or("")))
      q.conditions.push_back(mlflow::condition_of(c));
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::InvalidArgument) throw;
    throw Error("query parameter 'filter': " + std::string(e.what()));
  }
  q.order = order_of_request(r);
  q.limit = query_int(r, "limit", 1, kMaxLimit).value_or(kDefaultLimit);
  q.page_token = query_text(r, "page_token").value_or("");
  q.lifecycle = platform::RunLifecycle::Active;

  const platform::RunSearchPage page = store.search_runs(q);
  const int64_t total = store.count_runs(q);
  nlohmann::json runs = nlohmann::json::array();
  for (const platform::SearchedRun& found : page.runs) {
    // job_type and parent (in run_json): a sweep links to its sweep view, a trial to its sweep.
    nlohmann::json run = platform::run_json(found.run);
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& [name, point] : store.latest_metrics(found.run.id))
      metrics[name] = point.value;
    run["metrics"] = std::move(metrics);
    run["params"] = store.run_params(found.run.id);
    runs.push_back(std::move(run));
  }
  return http::Response::json(
      {{"runs", std::move(runs)}, {"next_page_token", page.next_page_token}, {"total", total}});
}

}  // namespace

void register_search_routes(http::Router& router, ServerContext& context) {
  router.add("GET", std::string(kWorkspacePrefix) + "/runs/search",
             [&context](http::Request& r) { return search_runs(context, r); });
}

}  // namespace glia::server::api
