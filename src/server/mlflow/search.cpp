// MLflow's runs/search: the runs of some experiments matching a filter string (filter.hpp),
// ordered and paged. Evaluated here over the store's runs, reading only what the filter and the
// order name (docs/mlflow.md, "Search").
#include <algorithm>
#include <cmath>
#include <set>

#include "server/mlflow/filter.hpp"
#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

namespace {

// A candidate run with what was read of it so far.
struct Candidate {
  platform::RunRecord run;
  std::string experiment_id;
  bool deleted = false;
  std::optional<std::map<std::string, platform::MetricPoint>> metrics;
  std::optional<std::map<std::string, std::string>> params;
};

class Reader {
 public:
  explicit Reader(platform::Store& store) : store_(store) {}
  const std::map<std::string, platform::MetricPoint>& metrics(Candidate& c) {
    if (!c.metrics) c.metrics = store_.latest_metrics(c.run.id);
    return *c.metrics;
  }
  const std::map<std::string, std::string>& params(Candidate& c) {
    if (!c.params) c.params = store_.run_params(c.run.id);
    return *c.params;
  }

 private:
  platform::Store& store_;
};

// An attribute's value: a number (times in ms) or a string.
struct Value {
  std::optional<double> number;
  std::optional<std::string> text;
};

Value attribute(const Candidate& c, const std::string& key) {
  const platform::RunRecord& r = c.run;
  if (key == "run_id") return {std::nullopt, r.id};
  if (key == "run_name") return {std::nullopt, r.display_name};
  if (key == "status") return {std::nullopt, mlflow_status(r.status)};
  if (key == "user_id") {
    const auto it = r.tags.find(kUserTag);
    return {std::nullopt, it != r.tags.end() ? it->second : r.submitter_name};
  }
  if (key == "artifact_uri") return {std::nullopt, artifact_uri(c.experiment_id, r.id)};
  if (key == "lifecycle_stage") return {std::nullopt, c.deleted ? "deleted" : "active"};
  if (key == "experiment_id") return {std::nullopt, c.experiment_id};
  if (key == "start_time")
    return {static_cast<double>(to_millis(r.started_at.value_or(r.created_at))), std::nullopt};
  if (key == "end_time") {
    if (!r.ended_at) return {};
    return {static_cast<double>(to_millis(*r.ended_at)), std::nullopt};
  }
  throw Error("invalid attribute key '" + key +
              "' (expected run_id, run_name, status, user_id, artifact_uri, start_time, end_time)");
}

bool string_op(Op op) {
  return op == Op::Eq || op == Op::Ne || op == Op::Like || op == Op::ILike || op == Op::In ||
         op == Op::NotIn || op == Op::IsNull || op == Op::IsNotNull;
}

// Checks a clause once, before any run is read.
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
      Candidate probe;  // names the attribute (throws for an unknown one)
      attribute(probe, c.key);
      return;
    }
  }
}

bool matches(Reader& reader, Candidate& cand, const Comparison& c) {
  switch (c.entity) {
    case Entity::Metric: {
      const auto& m = reader.metrics(cand);
      const auto it = m.find(c.key);
      return it != m.end() && compare_number(it->second.value, c.op, *c.number);
    }
    case Entity::Param:
    case Entity::Tag: {
      const auto& kv = c.entity == Entity::Param ? reader.params(cand) : cand.run.tags;
      std::optional<std::string> v;
      if (c.entity == Entity::Tag && c.key == kRunNameTag)
        v = cand.run.display_name;
      else if (const auto it = kv.find(c.key); it != kv.end())
        v = it->second;
      if (c.op == Op::IsNull) return !v;
      if (!v) return false;
      return compare_text(*v, c);
    }
    case Entity::Attribute: {
      const Value v = attribute(cand, c.key);
      if (c.number) return v.number && compare_number(*v.number, c.op, *c.number);
      return v.text && compare_text(*v.text, c);
    }
  }
  return false;
}

// A sort key: missing values sort last whatever the direction (as MLflow does).
Value sort_value(Reader& reader, Candidate& cand, const OrderBy& o) {
  switch (o.entity) {
    case Entity::Metric: {
      const auto& m = reader.metrics(cand);
      const auto it = m.find(o.key);
      if (it == m.end() || std::isnan(it->second.value)) return {};
      return {it->second.value, std::nullopt};
    }
    case Entity::Param: {
      const auto& p = reader.params(cand);
      const auto it = p.find(o.key);
      if (it == p.end()) return {};
      return {std::nullopt, it->second};
    }
    case Entity::Tag: {
      if (o.key == kRunNameTag) return {std::nullopt, cand.run.display_name};
      const auto it = cand.run.tags.find(o.key);
      if (it == cand.run.tags.end()) return {};
      return {std::nullopt, it->second};
    }
    case Entity::Attribute:
      return attribute(cand, o.key);
  }
  return {};
}

http::Response search(Call& call) {
  call.reader("search runs");
  const json& f = call.fields();
  platform::Store& store = call.ws.store();
  const View view = view_of(f, "run_view_type");
  const auto clauses = parse_filter(optional_string(f, "filter").value_or(""));
  for (const Comparison& c : clauses) check_clause(c);
  std::vector<OrderBy> order;
  for (const std::string& o : string_list(f, "order_by")) {
    order.push_back(parse_order_by(o));
    if (order.back().entity == Entity::Attribute) {
      Candidate probe;
      attribute(probe, order.back().key);
    }
  }
  const Page page = page_of(f, 1000, 50000);
  std::vector<std::string> deleted = store.deleted_runs();
  std::set<std::string> deleted_set(deleted.begin(), deleted.end());

  Reader reader(store);
  std::vector<Candidate> found;
  std::set<std::string> seen;
  for (const std::string& id : string_list(f, "experiment_ids")) {
    if (!seen.insert(id).second) continue;
    const auto e = experiment_by_id(store, id);
    platform::RunFilter rf;
    rf.experiment = e.name;
    rf.limit = INT64_MAX;
    for (auto& run : store.list_runs(rf)) {
      Candidate c{std::move(run), experiment_id_text(e), false, {}, {}};
      c.deleted = deleted_set.count(c.run.id) > 0;
      if (!in_view(view, c.deleted)) continue;
      if (std::all_of(clauses.begin(), clauses.end(),
                      [&](const Comparison& cl) { return matches(reader, c, cl); }))
        found.push_back(std::move(c));
    }
  }
  // Sort keys read once per run; then MLflow's default: start_time DESC, run_id.
  std::vector<std::vector<Value>> keys(found.size());
  for (size_t i = 0; i < found.size(); ++i)
    for (const OrderBy& o : order) keys[i].push_back(sort_value(reader, found[i], o));
  std::vector<size_t> idx(found.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    for (size_t k = 0; k < order.size(); ++k) {
      const Value &x = keys[a][k], &y = keys[b][k];
      const bool hx = x.number || x.text, hy = y.number || y.text;
      if (hx != hy) return hx;  // missing last
      if (!hx) continue;
      int c = 0;
      if (x.number && y.number)
        c = *x.number < *y.number ? -1 : *x.number > *y.number;
      else
        c = x.text.value_or("").compare(y.text.value_or(""));
      if (c != 0) return order[k].ascending ? c < 0 : c > 0;
    }
    const double sa = found[a].run.started_at.value_or(found[a].run.created_at);
    const double sb = found[b].run.started_at.value_or(found[b].run.created_at);
    if (sa != sb) return sa > sb;
    return found[a].run.id < found[b].run.id;
  });
  json runs = json::array();
  for (size_t i = page.offset; i < idx.size() && i < page.offset + page.size; ++i) {
    Candidate& c = found[idx[i]];
    runs.push_back(
        run_json(store, c.run, c.experiment_id, c.deleted, &reader.metrics(c), &reader.params(c)));
  }
  json body = {{"runs", runs}};
  const std::string next = page.next_token(idx.size());
  if (!next.empty()) body["next_page_token"] = next;
  return http::Response::json(body);
}

}  // namespace

std::vector<Endpoint> search_endpoints() {
  return {
      {"POST", "runs/search", search},
  };
}

}  // namespace glia::server::mlflow
