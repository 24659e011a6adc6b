// MLflow's experiments: create, get, get-by-name, search, delete/restore, tags. An MLflow
// experiment is a Glia experiment (the name runs carry); its id is the store's number, "0" the
// experiment Default (docs/mlflow.md).
#include <algorithm>

#include "glia/platform/experiment_names.hpp"
#include "server/mlflow/filter.hpp"
#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

namespace {

constexpr size_t kMaxTagKey = 250, kMaxTagValue = 20000;  // MLflow's experiment tag limits

void check_tag(const std::string& key, const std::string& value) {
  if (key.empty() || key.size() > kMaxTagKey)
    throw Error("experiment tag key '" + key.substr(0, 64) + "' must have 1 to " +
                std::to_string(kMaxTagKey) + " characters");
  if (value.size() > kMaxTagValue)
    throw Error("experiment tag '" + key + "': value longer than " + std::to_string(kMaxTagValue) +
                " characters");
  // PostgreSQL's text cannot hold a NUL byte: refused on every store alike.
  if ((key + value).find('\0') != std::string::npos)
    throw Error("experiment tag '" + key.substr(0, key.find('\0')) + "...' holds a NUL byte");
}

http::Response create(Call& call) {
  const std::string user = call.contributor("create experiments");
  const json& f = call.fields();
  const std::string name = required_string(f, "name");
  platform::check_experiment_name(name);
  const auto location = optional_string(f, "artifact_location");
  if (location && !location->empty())
    throw Error("artifact_location '" + *location +
                "' is not supported: Glia keeps every run's artifacts in its workspace");
  const auto tags = key_values(f, "tags");
  for (const auto& [k, v] : tags) check_tag(k, v);
  const auto e = call.ws.store().create_experiment(name, tags);
  return http::Response::json({{"experiment_id", experiment_id_text(e)}});
}

http::Response get(Call& call) {
  call.reader("read experiments");
  const auto e = experiment_by_id(call.ws.store(), required_string(call.fields(), "experiment_id"));
  return http::Response::json({{"experiment", experiment_json(e)}});
}

http::Response get_by_name(Call& call) {
  call.reader("read experiments");
  const std::string name = required_string(call.fields(), "experiment_name");
  platform::Store& store = call.ws.store();
  auto e = store.find_experiment(name);
  if (!e && name == kDefaultExperiment) e = experiment_by_id(store, "0");
  if (!e) throw Error(ErrorKind::NotFound, "could not find experiment with name '" + name + "'");
  return http::Response::json({{"experiment", experiment_json(*e)}});
}

bool matches(const platform::ExperimentRecord& e, const Comparison& c) {
  if (c.entity == Entity::Tag) {
    const auto it = e.tags.find(c.key);
    if (c.op == Op::IsNull) return it == e.tags.end();
    if (it == e.tags.end()) return false;
    return c.op == Op::IsNotNull || compare_text(it->second, c);
  }
  if (c.entity != Entity::Attribute)
    throw Error(
        "invalid experiment filter: only attributes (name, creation_time, "
        "last_update_time) and tags can be searched");
  if (c.key == "name") {
    if (!c.text && c.list.empty()) throw Error("invalid experiment filter: name takes a string");
    return compare_text(e.name, c);
  }
  if (c.key == "creation_time" || c.key == "last_update_time") {
    if (!c.number) throw Error("invalid experiment filter: " + c.key + " takes a number");
    const double t =
        static_cast<double>(to_millis(c.key == "creation_time" ? e.created_at : e.updated_at));
    return compare_number(t, c.op, *c.number);
  }
  throw Error("invalid experiment filter: unknown attribute '" + c.key +
              "' (expected name, creation_time or last_update_time)");
}

http::Response search(Call& call) {
  call.reader("read experiments");
  const json& f = call.fields();
  const View view = view_of(f, "view_type");
  const auto clauses = parse_filter(optional_string(f, "filter").value_or(""));
  std::vector<OrderBy> order;
  for (const std::string& o : string_list(f, "order_by")) {
    order.push_back(parse_order_by(o));
    const OrderBy& b = order.back();
    if (b.entity != Entity::Attribute || (b.key != "name" && b.key != "experiment_id" &&
                                          b.key != "creation_time" && b.key != "last_update_time"))
      throw Error("invalid order_by '" + o +
                  "' (expected name, experiment_id, creation_time or last_update_time)");
  }
  const Page page = page_of(f, 1000, 50000);
  platform::Store& store = call.ws.store();
  experiment_by_id(store, "0");  // MLflow always has its default experiment
  std::vector<platform::ExperimentRecord> found;
  for (auto& e : store.list_experiment_records()) {
    if (!in_view(view, e.deleted)) continue;
    if (std::all_of(clauses.begin(), clauses.end(),
                    [&](const Comparison& c) { return matches(e, c); }))
      found.push_back(std::move(e));
  }
  auto id_of = [](const platform::ExperimentRecord& e) {
    return e.name == kDefaultExperiment ? 0 : e.id;
  };
  std::stable_sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
    for (const OrderBy& o : order) {
      int c = 0;
      if (o.key == "name")
        c = a.name.compare(b.name);
      else if (o.key == "experiment_id")
        c = id_of(a) < id_of(b) ? -1 : id_of(a) > id_of(b);
      else {
        const double x = o.key == "creation_time" ? a.created_at : a.updated_at;
        const double y = o.key == "creation_time" ? b.created_at : b.updated_at;
        c = x < y ? -1 : x > y;
      }
      if (c != 0) return o.ascending ? c < 0 : c > 0;
    }
    if (a.created_at != b.created_at) return a.created_at > b.created_at;  // newest first
    return id_of(a) < id_of(b);
  });
  json out = json::array();
  for (size_t i = page.offset; i < found.size() && i < page.offset + page.size; ++i)
    out.push_back(experiment_json(found[i]));
  json body = {{"experiments", out}};
  const std::string next = page.next_token(found.size());
  if (!next.empty()) body["next_page_token"] = next;
  return http::Response::json(body);
}

http::Response set_lifecycle(Call& call, bool deleted) {
  call.contributor(deleted ? "delete experiments" : "restore experiments");
  const std::string id = required_string(call.fields(), "experiment_id");
  const auto e = experiment_by_id(call.ws.store(), id);
  if (deleted && id == "0") throw Error("the default experiment (id 0) cannot be deleted");
  call.ws.store().update_experiment(e.id, deleted, {});
  return http::Response::json(json::object());
}

http::Response set_tag(Call& call) {
  call.contributor("tag experiments");
  const json& f = call.fields();
  const auto e = experiment_by_id(call.ws.store(), required_string(f, "experiment_id"));
  const std::string key = required_string(f, "key");
  const std::string value = optional_string(f, "value").value_or("");
  check_tag(key, value);
  call.ws.store().update_experiment(e.id, std::nullopt, {{key, value}});
  return http::Response::json(json::object());
}

http::Response rename(Call& call) {
  call.contributor("rename experiments");
  experiment_by_id(call.ws.store(), required_string(call.fields(), "experiment_id"));
  throw Error(
      "renaming an experiment is not supported: Glia's runs and run ids carry their "
      "experiment's name");
}

}  // namespace

std::vector<Endpoint> experiment_endpoints() {
  return {
      {"POST", "experiments/create", create},
      {"GET", "experiments/get", get},
      {"GET", "experiments/get-by-name", get_by_name},
      {"POST", "experiments/search", search},
      {"GET", "experiments/search", search},
      {"POST", "experiments/delete", [](Call& c) { return set_lifecycle(c, true); }},
      {"POST", "experiments/restore", [](Call& c) { return set_lifecycle(c, false); }},
      {"POST", "experiments/set-experiment-tag", set_tag},
      {"POST", "experiments/update", rename},
  };
}

}  // namespace glia::server::mlflow
