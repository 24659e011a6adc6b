// MLflow's runs/search: the runs of some experiments matching a filter string (filter.hpp),
// ordered and paged by the store (Store::search_runs: SQL with keyset page tokens). The filter's
// clauses map onto the store's conditions; those on values with a few possible values
// (status, lifecycle_stage, experiment_id, artifact_uri) are resolved here (docs/mlflow.md,
// "Search").
#include <algorithm>
#include <set>

#include "server/mlflow/filter.hpp"
#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

namespace {

using platform::RunCondition;
using platform::RunSearch;
using platform::SearchField;
using platform::SearchOp;

bool string_op(Op op) {
  return op == Op::Eq || op == Op::Ne || op == Op::Like || op == Op::ILike || op == Op::In ||
         op == Op::NotIn || op == Op::IsNull || op == Op::IsNotNull;
}

const std::set<std::string>& attributes() {
  static const std::set<std::string> all = {"run_id",   "run_name",        "status",
                                            "user_id",  "artifact_uri",    "start_time",
                                            "end_time", "lifecycle_stage", "experiment_id"};
  return all;
}

void check_attribute(const std::string& key) {
  if (!attributes().count(key))
    throw Error("invalid attribute key '" + key +
                "' (expected run_id, run_name, status, user_id, artifact_uri, start_time, "
                "end_time, lifecycle_stage, experiment_id)");
}

// Checks a clause once, before the store is asked.
void check_clause(const Comparison& c) {
  switch (c.entity) {
    case Entity::Metric:
      if (!c.number || string_op(c.op))
        throw Error("invalid clause on metrics." + c.key +
                    ": metrics compare with a number by =, !=, <, <=, >, >=");
      return;
    case Entity::Param:
    case Entity::Tag:
      if ((!c.text && c.list.empty() && c.op != Op::IsNull && c.op != Op::IsNotNull) ||
          !string_op(c.op))
        throw Error(std::string("invalid clause on ") +
                    (c.entity == Entity::Param ? "params." : "tags.") + c.key +
                    ": compare with a quoted string by =, !=, LIKE, ILIKE, IN, NOT IN, IS [NOT] "
                    "NULL");
      return;
    case Entity::Attribute: {
      const bool time = c.key == "start_time" || c.key == "end_time";
      if (time ? !c.number || string_op(c.op)
               : (!c.text && c.list.empty()) || !string_op(c.op) || c.op == Op::IsNull ||
                     c.op == Op::IsNotNull)
        throw Error("invalid clause on attributes." + c.key + ": " +
                    (time ? "times compare with a number of milliseconds"
                          : "compare with a quoted string by =, !=, LIKE, ILIKE, IN, NOT IN"));
      check_attribute(c.key);
      return;
    }
  }
}

// A searched experiment: the store's id and MLflow's id text.
struct Experiment {
  int64_t id;
  std::string text;
};

// artifact_uri = mlflow-artifacts:/<experiment>/<run>/artifacts: the pair, if the value is one.
std::optional<std::pair<std::string, std::string>> split_artifact_uri(const std::string& uri) {
  const std::string prefix = "mlflow-artifacts:/", suffix = "/artifacts";
  if (uri.size() <= prefix.size() + suffix.size() || uri.compare(0, prefix.size(), prefix) != 0 ||
      uri.compare(uri.size() - suffix.size(), suffix.size(), suffix) != 0)
    return std::nullopt;
  const std::string middle = uri.substr(prefix.size(), uri.size() - prefix.size() - suffix.size());
  const size_t slash = middle.find('/');
  if (slash == std::string::npos) return std::nullopt;
  return std::make_pair(middle.substr(0, slash), middle.substr(slash + 1));
}

// A clause on artifact_uri as a condition on run_id (the experiment part narrows `exps`).
RunCondition artifact_condition(platform::Store& store, const Comparison& c,
                                std::vector<Experiment>& exps) {
  if (c.op == Op::Like || c.op == Op::ILike)
    throw Error("invalid clause on attributes.artifact_uri: compare by =, !=, IN, NOT IN");
  const bool negated = c.op == Op::Ne || c.op == Op::NotIn;
  std::vector<std::string> values = c.list;
  if (c.text) values.push_back(*c.text);
  std::set<std::string> exp_texts;
  RunCondition out{SearchField::Attribute, "run_id",     negated ? SearchOp::NotIn : SearchOp::In,
                   std::nullopt,           std::nullopt, {}};
  for (const std::string& v : values) {
    const auto pair = split_artifact_uri(v);
    if (!pair) continue;  // no run has it
    if (negated) {
      // Excluded only where the run is in that experiment (a run id names one run).
      const auto run = store.find_run(pair->second);
      if (run && experiment_id_text(experiment_by_name(store, run->experiment)) == pair->first)
        out.list.push_back(pair->second);
    } else {
      exp_texts.insert(pair->first);
      out.list.push_back(pair->second);
    }
  }
  if (!negated)
    exps.erase(std::remove_if(exps.begin(), exps.end(),
                              [&](const Experiment& e) { return !exp_texts.count(e.text); }),
               exps.end());
  return out;
}

http::Response search(Call& call) {
  call.reader("search runs");
  const json& f = call.fields();
  platform::Store& store = call.ws.store();
  const View view = view_of(f, "run_view_type");
  const auto clauses = parse_filter(optional_string(f, "filter").value_or(""));
  for (const Comparison& c : clauses) check_clause(c);
  RunSearch q;
  for (const std::string& o : string_list(f, "order_by")) {
    const OrderBy order = parse_order_by(o);
    if (order.entity == Entity::Attribute) {
      check_attribute(order.key);
      if (order.key == "status" || order.key == "artifact_uri" || order.key == "lifecycle_stage" ||
          order.key == "experiment_id")
        throw Error("invalid order_by clause '" + o +
                    "': runs order by run_id, run_name, user_id, start_time, end_time, a "
                    "metric, a param or a tag");
    }
    q.order.push_back(order_of(order));
  }
  json page_fields = f;  // max_results checked as elsewhere; the token is the store's
  page_fields.erase("page_token");
  q.limit = static_cast<int64_t>(page_of(page_fields, 1000, 50000).size);
  q.page_token = optional_string(f, "page_token").value_or("");

  std::vector<Experiment> exps;
  std::set<std::string> seen;
  for (const std::string& id : string_list(f, "experiment_ids")) {
    if (!seen.insert(id).second) continue;
    const auto e = experiment_by_id(store, id);
    exps.push_back({e.id, experiment_id_text(e)});
  }
  bool active = view != View::Deleted, deleted = view != View::Active;
  for (const Comparison& c : clauses) {
    if (c.entity != Entity::Attribute) {
      q.conditions.push_back(condition_of(c));
    } else if (c.key == "lifecycle_stage") {
      active = active && compare_text("active", c);
      deleted = deleted && compare_text("deleted", c);
    } else if (c.key == "experiment_id") {
      exps.erase(std::remove_if(exps.begin(), exps.end(),
                                [&](const Experiment& e) { return !compare_text(e.text, c); }),
                 exps.end());
    } else if (c.key == "status") {
      // MLflow's status names that match, as the Glia statuses that show as them.
      RunCondition in{SearchField::Attribute, "status",     SearchOp::In,
                      std::nullopt,           std::nullopt, {}};
      for (int s = 0; s <= static_cast<int>(platform::RunStatus::Canceled); ++s) {
        const auto status = static_cast<platform::RunStatus>(s);
        if (compare_text(mlflow_status(status), c)) in.list.push_back(to_string(status));
      }
      q.conditions.push_back(std::move(in));
    } else if (c.key == "artifact_uri") {
      q.conditions.push_back(artifact_condition(store, c, exps));
    } else {
      q.conditions.push_back(condition_of(c));
    }
  }
  if (active || deleted) {
    q.lifecycle = !deleted  ? platform::RunLifecycle::Active
                  : !active ? platform::RunLifecycle::Deleted
                            : platform::RunLifecycle::All;
    for (const Experiment& e : exps) q.experiment_ids.push_back(e.id);
  }
  std::map<int64_t, std::string> exp_text;
  for (const Experiment& e : exps) exp_text[e.id] = e.text;

  const platform::RunSearchPage page = store.search_runs(q);
  json runs = json::array();
  for (const platform::SearchedRun& r : page.runs) {
    const auto metrics = store.latest_metrics(r.run.id);
    const auto params = store.run_params(r.run.id);
    runs.push_back(
        run_json(store, r.run, exp_text.at(r.experiment_id), r.deleted, &metrics, &params));
  }
  json body = {{"runs", runs}};
  if (!page.next_page_token.empty()) body["next_page_token"] = page.next_page_token;
  return http::Response::json(body);
}

}  // namespace

std::vector<Endpoint> search_endpoints() {
  return {
      {"POST", "runs/search", search},
  };
}

}  // namespace glia::server::mlflow
