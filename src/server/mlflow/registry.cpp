// MLflow's model registry over Glia's (docs/models.md): a registered model is a Glia model name
// (recorded by registered-models/create, or known by its versions); a model version is a Glia
// model version whose files are the run's files under the artifact path the source names
// (outputs/<path>), registered as `glia model register --run` does (docs/mlflow.md, "Registry").
#include <algorithm>
#include <set>

#include "glia/platform/artifact_store.hpp"
#include "glia/platform/models.hpp"
#include "server/mlflow/filter.hpp"
#include "server/mlflow/limits.hpp"
#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

namespace {

constexpr const char* kSourceProperty = "mlflow.source";

int64_t version_of(const json& f) {
  const std::string text = required_string(f, "version");
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v < 1)
    throw Error("invalid value for parameter 'version': '" + text + "' (expected 1, 2, ...)");
  return v;
}

std::string source_of(platform::Store& store, const platform::ModelVersion& m) {
  if (const auto it = m.properties.find(kSourceProperty); it != m.properties.end())
    return it->second;
  const std::string root = std::string(kArtifactRoot) + "/";
  if (m.run_id && m.source_path.compare(0, root.size(), root) == 0) {
    if (const auto run = store.find_run(*m.run_id)) {
      const auto e = experiment_by_name(store, run->experiment);
      return artifact_uri(experiment_id_text(e), run->id) + "/" + m.source_path.substr(root.size());
    }
  }
  return m.source_path;
}

json version_json(platform::Store& store, const platform::ModelVersion& m) {
  json tags = json::array();
  for (const auto& [k, v] : m.tags) tags.push_back({{"key", k}, {"value", v}});
  json out = {{"name", m.name},
              {"version", std::to_string(m.version)},
              {"creation_timestamp", to_millis(m.created_at)},
              {"last_updated_timestamp", to_millis(m.created_at)},
              {"user_id", m.created_by},
              {"current_stage", "None"},
              {"description", m.description},
              {"source", source_of(store, m)},
              {"status", "READY"},
              {"tags", tags},
              {"aliases", json::array()}};
  if (m.run_id) out["run_id"] = *m.run_id;
  return out;
}

// A registered model: its record and/or its versions. nullopt when it has neither.
std::optional<json> model_json(platform::Store& store, const std::string& name) {
  const auto record = store.find_registered_model(name);
  platform::ModelFilter filter;
  filter.name = name;
  const auto versions = store.list_models(filter);
  if (!record && versions.empty()) return std::nullopt;
  double created = record ? record->created_at : versions.front().created_at;
  double updated = record ? record->updated_at : created;
  for (const auto& v : versions) updated = std::max(updated, v.created_at);
  json out = {{"name", name},
              {"creation_timestamp", to_millis(created)},
              {"last_updated_timestamp", to_millis(updated)},
              {"description", record ? record->description : std::string()},
              {"tags", json::array()},
              {"aliases", json::array()}};
  if (!versions.empty())
    out["latest_versions"] = json::array({version_json(store, versions.back())});
  return out;
}

json get_model_json(platform::Store& store, const std::string& name) {
  auto m = model_json(store, name);
  if (!m) throw Error(ErrorKind::NotFound, "registered model with name '" + name + "' not found");
  return *m;
}

platform::ModelVersion get_version(platform::Store& store, const json& f) {
  const std::string name = required_string(f, "name");
  const int64_t version = version_of(f);
  const auto m = store.find_model(name, version);
  if (!m)
    throw Error(ErrorKind::NotFound, "model version (name='" + name +
                                         "', version=" + std::to_string(version) + ") not found");
  return *m;
}

http::Response create_model(Call& call) {
  const std::string user = call.contributor("register models");
  const json& f = call.fields();
  const std::string name = required_string(f, "name");
  platform::check_model_name(name);
  if (!key_values(f, "tags").empty())
    throw Error("tags on registered models are not supported: tag their versions instead");
  platform::Store& store = call.ws.store();
  if (model_json(store, name))
    throw Error(ErrorKind::Conflict, "registered model (name=" + name + ") already exists");
  store.create_registered_model({name, optional_string(f, "description").value_or(""), 0, 0});
  return http::Response::json({{"registered_model", get_model_json(store, name)}});
}

http::Response get_model(Call& call) {
  call.reader("read models");
  return http::Response::json(
      {{"registered_model",
        get_model_json(call.ws.store(), required_string(call.fields(), "name"))}});
}

// Names in the registry: recorded ones and those with versions.
std::vector<std::string> model_names(platform::Store& store) {
  std::set<std::string> names;
  for (const auto& r : store.list_registered_models()) names.insert(r.name);
  for (const auto& v : store.list_models({})) names.insert(v.name);
  return {names.begin(), names.end()};
}

http::Response search_models(Call& call) {
  call.reader("read models");
  const json& f = call.fields();
  const auto clauses = parse_filter(optional_string(f, "filter").value_or(""));
  for (const Comparison& c : clauses)
    if (c.entity != Entity::Attribute || c.key != "name" || (!c.text && c.list.empty()))
      throw Error(
          "invalid registered model filter: only name (=, !=, LIKE, ILIKE, IN) can be "
          "searched");
  bool descending = false;
  for (const std::string& o : string_list(f, "order_by")) {
    const OrderBy b = parse_order_by(o);
    if (b.entity != Entity::Attribute || b.key != "name")
      throw Error("invalid order_by '" + o + "' (registered models are ordered by name)");
    descending = !b.ascending;
  }
  const Page page = page_of(f, 100, 1000);
  platform::Store& store = call.ws.store();
  std::vector<std::string> names;
  for (const std::string& n : model_names(store))
    if (std::all_of(clauses.begin(), clauses.end(),
                    [&](const Comparison& c) { return compare_text(n, c); }))
      names.push_back(n);
  if (descending) std::reverse(names.begin(), names.end());
  json out = json::array();
  for (size_t i = page.offset; i < names.size() && i < page.offset + page.size; ++i)
    out.push_back(get_model_json(store, names[i]));
  json body = {{"registered_models", out}};
  const std::string next = page.next_token(names.size());
  if (!next.empty()) body["next_page_token"] = next;
  return http::Response::json(body);
}

http::Response delete_model(Call& call) {
  call.contributor("delete models");
  const std::string name = required_string(call.fields(), "name");
  platform::Store& store = call.ws.store();
  get_model_json(store, name);
  platform::ModelFilter filter;
  filter.name = name;
  // A version an endpoint serves cannot be deleted (delete_model_version refuses it): refused
  // before any version goes, rather than after the versions listed before it went.
  for (const auto& e : store.list_endpoints())
    if (e.settings.model_name == name)
      throw Error(ErrorKind::Conflict, "registered model '" + name + "' is used by endpoint '" +
                                           e.name + "' (version " +
                                           std::to_string(e.settings.model_version) +
                                           "); update the endpoint to another model or delete it "
                                           "first");
  for (const auto& v : store.list_models(filter)) store.delete_model_version(name, v.version);
  store.delete_registered_model(name);
  return http::Response::json(json::object());
}

http::Response latest_versions(Call& call) {
  call.reader("read models");
  const json& f = call.fields();
  const std::string name = required_string(f, "name");
  platform::Store& store = call.ws.store();
  get_model_json(store, name);
  for (const std::string& stage : string_list(f, "stages"))
    if (stage != "None")
      throw Error("model stage '" + stage + "' is not supported: Glia's versions have no stage");
  json out = json::array();
  if (const auto latest = store.find_model(name, std::nullopt))
    out.push_back(version_json(store, *latest));
  return http::Response::json({{"model_versions", out}});
}

// What a model version's source names: the run, the path in its artifacts and, for an
// artifact URI, the experiment it says the run is in.
struct Source {
  std::optional<std::string> experiment_id;
  std::string run_id, path;
};

// runs:/<run>/<path> or mlflow-artifacts:[//host]/<exp>/<run>/artifacts/<path>.
Source parse_source(const std::string& source) {
  auto fail = [&]() -> Source {
    throw Error("model version source '" + source +
                "' is not runs:/<run id>/<path> or mlflow-artifacts:/<experiment id>/<run id>/"
                "artifacts/<path> (Glia registers versions from its runs' artifacts)");
  };
  std::string rest;
  if (source.rfind("runs:/", 0) == 0) {
    rest = source.substr(6);
    while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
    const size_t slash = rest.find('/');
    if (slash == std::string::npos || slash == 0) return fail();
    return {std::nullopt, rest.substr(0, slash), rest.substr(slash + 1)};
  }
  if (source.rfind("mlflow-artifacts:", 0) != 0) return fail();
  rest = source.substr(17);
  if (rest.rfind("//", 0) == 0) {  // a host: skip it
    const size_t slash = rest.find('/', 2);
    if (slash == std::string::npos) return fail();
    rest = rest.substr(slash);
  }
  while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
  const size_t a = rest.find('/');
  if (a == std::string::npos || a == 0) return fail();
  const size_t b = rest.find('/', a + 1);
  if (b == std::string::npos || b == a + 1) return fail();
  const std::string tail = rest.substr(b + 1);
  if (tail.rfind("artifacts/", 0) != 0 || tail.size() <= 10) return fail();
  return {rest.substr(0, a), rest.substr(a + 1, b - a - 1), tail.substr(10)};
}

http::Response create_version(Call& call) {
  const std::string user = call.contributor("register models");
  const json& f = call.fields();
  const std::string name = required_string(f, "name");
  const std::string source = required_string(f, "source");
  platform::Store& store = call.ws.store();
  if (!model_json(store, name))
    throw Error(ErrorKind::NotFound, "registered model with name '" + name +
                                         "' not found (create it first: "
                                         "registered-models/create)");
  auto [experiment_id, run_id, path] = parse_source(source);
  if (auto given = optional_string(f, "run_id"); given && !given->empty() && *given != run_id)
    throw Error("run_id '" + *given + "' is not the run of the source '" + source + "'");
  while (!path.empty() && path.back() == '/') path.pop_back();
  const auto tags = key_values(f, "tags");
  for (const auto& [k, v] : tags) check_model_version_tag(k, v);
  const platform::RunRecord run = run_by_id(store, run_id);
  if (experiment_id) {  // the run's experiment by its MLflow id (or its store number)
    const auto e = experiment_by_name(store, run.experiment);
    if (*experiment_id != experiment_id_text(e) && *experiment_id != std::to_string(e.id))
      throw Error("model version source '" + source + "' names experiment " + *experiment_id +
                  ", but run '" + run_id + "' is in experiment " + experiment_id_text(e));
  }
  platform::ModelRegistration r;
  r.name = name;
  r.run_id = run_id;
  r.path = std::string(kArtifactRoot) + "/" + platform::safe_relative_path(path, "model path");
  r.description = optional_string(f, "description").value_or("");
  r.tags = tags;
  r.properties = {{kSourceProperty, source}};
  r.created_by = user;
  r.allow_unfinished_run = true;  // MLflow's artifacts are stored as they are logged
  const auto m = platform::register_model(call.ws, r);
  return http::Response::json({{"model_version", version_json(store, m)}});
}

http::Response get_version_route(Call& call) {
  call.reader("read models");
  platform::Store& store = call.ws.store();
  return http::Response::json(
      {{"model_version", version_json(store, get_version(store, call.fields()))}});
}

http::Response download_uri(Call& call) {
  call.reader("read models");
  platform::Store& store = call.ws.store();
  return http::Response::json(
      {{"artifact_uri", source_of(store, get_version(store, call.fields()))}});
}

http::Response delete_version(Call& call) {
  call.contributor("delete model versions");
  platform::Store& store = call.ws.store();
  const auto m = get_version(store, call.fields());
  store.delete_model_version(m.name, m.version);
  return http::Response::json(json::object());
}

bool version_matches(platform::Store& store, const platform::ModelVersion& m, const Comparison& c) {
  if (c.entity == Entity::Tag) {
    const auto it = m.tags.find(c.key);
    if (c.op == Op::IsNull) return it == m.tags.end();
    return it != m.tags.end() && (c.op == Op::IsNotNull || compare_text(it->second, c));
  }
  if (c.entity != Entity::Attribute || (!c.text && c.list.empty()))
    throw Error(
        "invalid model version filter: name, run_id, source (strings) and tags can be "
        "searched");
  if (c.key == "name") return compare_text(m.name, c);
  if (c.key == "run_id") return m.run_id && compare_text(*m.run_id, c);
  if (c.key == "source" || c.key == "source_path") return compare_text(source_of(store, m), c);
  throw Error("invalid model version filter: unknown attribute '" + c.key +
              "' (expected name, run_id or source)");
}

http::Response search_versions(Call& call) {
  call.reader("read models");
  const json& f = call.fields();
  const auto clauses = parse_filter(optional_string(f, "filter").value_or(""));
  if (!string_list(f, "order_by").empty())
    for (const std::string& o : string_list(f, "order_by")) {
      const OrderBy b = parse_order_by(o);
      if (b.entity != Entity::Attribute || (b.key != "name" && b.key != "version_number"))
        throw Error("invalid order_by '" + o +
                    "' (model versions are ordered by name and "
                    "version_number)");
    }
  const Page page = page_of(f, 10000, 200000);
  platform::Store& store = call.ws.store();
  std::vector<platform::ModelVersion> found;
  for (auto& m : store.list_models({}))
    if (std::all_of(clauses.begin(), clauses.end(),
                    [&](const Comparison& c) { return version_matches(store, m, c); }))
      found.push_back(std::move(m));
  // By name, newest version first (MLflow's default lists the newest first).
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.name != b.name ? a.name < b.name : a.version > b.version;
  });
  json out = json::array();
  for (size_t i = page.offset; i < found.size() && i < page.offset + page.size; ++i)
    out.push_back(version_json(store, found[i]));
  json body = {{"model_versions", out}};
  const std::string next = page.next_token(found.size());
  if (!next.empty()) body["next_page_token"] = next;
  return http::Response::json(body);
}

}  // namespace

std::vector<Endpoint> registry_endpoints() {
  return {
      {"POST", "registered-models/create", create_model},
      {"GET", "registered-models/get", get_model},
      {"GET", "registered-models/search", search_models},
      {"DELETE", "registered-models/delete", delete_model},
      {"POST", "registered-models/get-latest-versions", latest_versions},
      {"GET", "registered-models/get-latest-versions", latest_versions},
      {"POST", "model-versions/create", create_version},
      {"GET", "model-versions/get", get_version_route},
      {"GET", "model-versions/search", search_versions},
      {"GET", "model-versions/get-download-uri", download_uri},
      {"DELETE", "model-versions/delete", delete_version},
  };
}

}  // namespace glia::server::mlflow
