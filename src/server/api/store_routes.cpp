// The remote store protocol: POST /api/v1/workspaces/{ws}/store/{method} runs one Store method
// on the served workspace's store, for a workspace a client opened with `glia workspace connect`
// (src/remote/remote_store.cpp is the other end; docs/server.md "Remote workspaces"). The body is
// the method's arguments as a JSON object, the answer {"result": ...}; records travel in the
// store's JSON (glia/platform/store_json.hpp). Each method needs a role, checked like every
// route; what only the server may do (recording a job's process) is refused.
#include <sys/types.h>
#include <unistd.h>

#include <functional>
#include <limits>
#include <map>
#include <string_view>
#include <type_traits>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/access.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/datasets.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/experiment_names.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/local_agent.hpp"
#include "glia/platform/models.hpp"
#include "glia/platform/store_json.hpp"
#include "server/api/api.hpp"
#include "server/api/store_args.hpp"
#include "server/api/store_checks.hpp"
#include "server/api/store_method.hpp"
#include "server/run_name_tag.hpp"

namespace glia::server::api {

using nlohmann::json;
using platform::Role;

namespace {

// One call's arguments: 4 MiB, as a REST metric batch (RunLogger sends 1000 values a batch).
constexpr uint64_t kMaxStoreCall = uint64_t{4} << 20;

using Strings = std::map<std::string, std::string>;

json token_view(platform::ApiToken t) {
  t.secret_hash.clear();  // the hash never leaves the server
  return t;
}

const std::map<std::string, Method>& methods() {
  using S = platform::Store;
  using P = platform::Principal;
  static const std::map<std::string, Method> table = {
      {"schema_version",
       {Role::Reader, "read the store", {}, [](Args&, S& s, const P&, bool&) -> json {
          return s.schema_version();
        }}},
      {"create_run",
       {Role::Contributor, "create runs", {"run"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          auto run = a.get<platform::NewRun>("run");
          check_new_run(run, a.artifacts());
          check_inputs_exist(run.inputs, s);
          if (run.queue) s.get_compute(run.compute);  // NotFound naming the known targets
          // Runs a client creates are the server's to execute: its user, the caller's name.
          run.submitter_uid = static_cast<int64_t>(::geteuid());
          run.submitter_name = who.user;
          wake = run.queue;
          return s.create_run(run);
        }}},
      {"find_run", {Role::Reader, "read runs", {"id"}, [](Args& a, S& s, const P&, bool&) -> json {
                      return s.find_run(a.get<std::string>("id"));
                    }}},
      {"list_runs", {Role::Reader, "list runs", {"filter"}, [](Args& a, S& s, const P&, bool&) -> json {
                       const auto f = a.get<platform::RunFilter>("filter");
                       if (f.limit < 1) throw Error("filter.limit: expected at least 1");
                       return s.list_runs(f);
                     }}},
      {"sweep_trials", {Role::Reader, "read sweeps", {"sweep_id"}, [](Args& a, S& s, const P&, bool&) -> json {
                          return s.sweep_trials(a.get<std::string>("sweep_id"));
                        }}},
      {"experiments", {Role::Reader, "list experiments", {}, [](Args&, S& s, const P&, bool&) -> json {
                         return s.experiments();
                       }}},
      {"set_status",
       {Role::Contributor, "change a run's status", {"status", "id", "exit_code", "error"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          const std::string id = a.get<std::string>("id");
          const auto status = a.get<platform::RunStatus>("status");
          // A job's status is its agent's (a client cancels it); a program's run, the program's.
          if (is_job(s.get_run(id)))
            throw Error(ErrorKind::Permission,
                        "run '" + id + "' is a job: its status is the server agent's (cancel it)");
          // A program's run: started, then ended — never queued for the agent.
          if (status != platform::RunStatus::Running && !platform::is_terminal(status))
            throw Error("run '" + id + "': a program's run goes to Running or an end status, not " +
                        platform::to_string(status));
          s.set_status(id, status, platform::now_seconds(),
                       a.get_or<std::optional<int>>("exit_code", std::nullopt),
                       a.get_or<std::string>("error", ""));
          return nullptr;
        }}},
      {"status_history",
       {Role::Reader, "read runs", {"id"}, [](Args& a, S& s, const P&, bool&) -> json {
          return s.status_history(a.get<std::string>("id"));
        }}},
      {"request_cancel",
       {Role::Contributor, "cancel jobs", {"id"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          // As `glia job cancel` and the REST route: the same checks, the server's clock.
          const auto run = platform::request_job_cancel(s, a.get<std::string>("id"));
          wake = true;
          return run.status == platform::RunStatus::CancelRequested;
        }}},
      {"set_tags",
       {Role::Contributor, "tag runs", {"id", "tags"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          const auto tags = a.get<Strings>("tags");
          check_tags(tags, "tags");
          const std::string id = a.get<std::string>("id");
          // As the REST and MLflow routes: mlflow.runName cannot rename the run.
          if (tags.count(kRunNameTag)) check_run_name_tag(s.get_run(id), tags);
          s.set_tags(id, tags);
          return nullptr;
        }}},
      {"add_properties",
       {Role::Contributor, "add run properties", {"id", "properties"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          const std::string id = a.get<std::string>("id");
          if (is_job(s.get_run(id)))
            throw Error(ErrorKind::Permission,
                        "run '" + id + "' is a job: its properties are its agent's");
          s.add_properties(id, a.get<Strings>("properties"));
          return nullptr;
        }}},
      {"log_metrics",
       {Role::Contributor, "log metrics", {"run_id", "points"}, [](Args& a, S& s, const P&, bool&) -> json {
          const auto points = a.get<std::vector<platform::MetricPoint>>("points");
          check_metrics(points);
          s.log_metrics(a.get<std::string>("run_id"), points);
          return nullptr;
        }}},
      {"log_metrics_once",
       {Role::Contributor, "log metrics", {"run_id", "points", "key", "fingerprint", "answer"}, [](Args& a, S& s, const P&, bool&) -> json {
          const auto points = a.get<std::vector<platform::MetricPoint>>("points");
          check_metrics(points);
          const std::string key = a.get<std::string>("key");
          check_name(key, "idempotency key");
          return s.log_metrics_once(a.get<std::string>("run_id"), points, key,
                                    a.get<std::string>("fingerprint"), a.get<std::string>("answer"));
        }}},
      {"apply_tracking",
       {Role::Contributor, "log to runs", {"run_id", "batch", "new_offset", "expected_offset"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          const std::string id = a.get<std::string>("run_id");
          // A job's offset is its agent's place in the tracking file: never a client's.
          if (is_job(s.get_run(id)))
            throw Error(ErrorKind::Permission,
                        "run '" + id + "' is a job: its tracking comes from its tracking file");
          const auto batch = a.get<platform::TrackingBatch>("batch");
          check_tracking_batch(batch, a.artifacts());
          return s.apply_tracking(id, batch, a.get<int64_t>("new_offset"),
                                  a.get_or<std::optional<int64_t>>("expected_offset",
                                                                   std::nullopt));
        }}},
      {"tracking_offset", {Role::Reader, "read runs", {"run_id"}, [](Args& a, S& s, const P&, bool&) -> json {
                             return s.tracking_offset(a.get<std::string>("run_id"));
                           }}},
      {"metric_rows", {Role::Reader, "read metrics", {"run_id"}, [](Args& a, S& s, const P&, bool&) -> json {
                         return s.metric_rows(a.get<std::string>("run_id"));
                       }}},
      {"metric_images", {Role::Reader, "read metrics", {"run_id"}, [](Args& a, S& s, const P&, bool&) -> json {
                           return s.metric_images(a.get<std::string>("run_id"));
                         }}},
      {"add_run_files",
       {Role::Contributor, "add run files", {"run_id", "files"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          const auto files = a.get<std::vector<platform::RunFile>>("files");
          check_run_files(files, a.artifacts());
          s.add_run_files(a.get<std::string>("run_id"), files);
          return nullptr;
        }}},
      {"run_files", {Role::Reader, "list run files", {"run_id"}, [](Args& a, S& s, const P&, bool&) -> json {
                       return s.run_files(a.get<std::string>("run_id"));
                     }}},
      {"create_dataset_version",
       {Role::Contributor, "register datasets", {"dataset", "force_new"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          auto d = a.get<platform::DatasetVersion>("dataset");
          platform::check_dataset_name(d.name);
          check_manifest(d.manifest, a.artifacts(), "dataset " + d.name);
          if (!d.sources.empty()) check_json_text(d.sources, false, "dataset sources");
          count_files(d, a.artifacts());
          d.created_at = platform::now_seconds();
          d.created_by = who.user;
          bool created = false;
          auto v = s.create_dataset_version(d, a.get<bool>("force_new"), &created);
          return {{"version", v}, {"created", created}};
        }}},
      {"find_dataset", {Role::Reader, "read datasets", {"name", "version"}, [](Args& a, S& s, const P&, bool&) -> json {
                          return s.find_dataset(
                              a.get<std::string>("name"),
                              a.get_or<std::optional<int64_t>>("version", std::nullopt));
                        }}},
      {"list_datasets", {Role::Reader, "list datasets", {}, [](Args&, S& s, const P&, bool&) -> json {
                           return s.list_datasets();
                         }}},
      {"set_dataset_archived",
       {Role::Contributor, "archive datasets", {"name", "version", "archived"}, [](Args& a, S& s, const P&, bool&) -> json {
          s.set_dataset_archived(a.get<std::string>("name"), a.get<int64_t>("version"),
                                 a.get<bool>("archived"));
          return nullptr;
        }}},
      {"add_run_inputs",
       {Role::Contributor, "record run inputs", {"inputs"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          const auto inputs = a.get<std::vector<platform::RunInput>>("inputs");
          check_run_inputs(inputs, a.artifacts());
          check_inputs_exist(inputs, s);
          for (const auto& in : inputs) s.get_run(in.run_id);  // NotFound, not a SQL error
          s.add_run_inputs(inputs);
          return nullptr;
        }}},
      {"run_inputs", {Role::Reader, "read runs", {"run_id"}, [](Args& a, S& s, const P&, bool&) -> json {
                        return s.run_inputs(a.get<std::string>("run_id"));
                      }}},
      {"dataset_usage", {Role::Reader, "read datasets", {"name", "version"}, [](Args& a, S& s, const P&, bool&) -> json {
                           return s.dataset_usage(a.get<std::string>("name"),
                                                  a.get<int64_t>("version"));
                         }}},
      {"create_model_version",
       {Role::Contributor, "register models", {"model"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          auto m = a.get<platform::ModelVersion>("model");
          platform::check_model_name(m.name);
          check_manifest(m.manifest, a.artifacts(), "model " + m.name);
          count_files(m, a.artifacts());
          m.created_at = 0;  // the store's now
          check_tags(m.tags, "model tags");
          check_tags(m.properties, "model properties");
          if (m.run_id) s.get_run(*m.run_id);
          m.created_by = who.user;
          return s.create_model_version(m);
        }}},
      {"find_model", {Role::Reader, "read models", {"name", "version"}, [](Args& a, S& s, const P&, bool&) -> json {
                        return s.find_model(
                            a.get<std::string>("name"),
                            a.get_or<std::optional<int64_t>>("version", std::nullopt));
                      }}},
      {"list_models", {Role::Reader, "list models", {"filter"}, [](Args& a, S& s, const P&, bool&) -> json {
                         return s.list_models(a.get<platform::ModelFilter>("filter"));
                       }}},
      {"delete_model_version",
       {Role::Contributor, "delete models", {"name", "version"}, [](Args& a, S& s, const P&, bool&) -> json {
          s.delete_model_version(a.get<std::string>("name"), a.get<int64_t>("version"));
          return nullptr;
        }}},
      {"create_environment_version",
       {Role::Contributor, "register environments", {"environment"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          auto e = a.get<platform::EnvironmentVersion>("environment");
          platform::check_environment_name(e.name);
          normalize_environment(e);
          e.created_by = who.user;
          bool created = false;
          auto v = s.create_environment_version(e, &created);
          return {{"version", v}, {"created", created}};
        }}},
      {"find_environment",
       {Role::Reader, "read environments", {"name", "version"}, [](Args& a, S& s, const P&, bool&) -> json {
          return s.find_environment(a.get<std::string>("name"),
                                    a.get_or<std::optional<int64_t>>("version", std::nullopt));
        }}},
      {"list_environments",
       {Role::Reader, "list environments", {}, [](Args&, S& s, const P&, bool&) -> json {
          return s.list_environments();
        }}},
      {"set_environment_archived",
       {Role::Contributor, "archive environments", {"name", "version", "archived"}, [](Args& a, S& s, const P&, bool&) -> json {
          s.set_environment_archived(a.get<std::string>("name"), a.get<int64_t>("version"),
                                     a.get<bool>("archived"));
          return nullptr;
        }}},
      {"create_user",
       {Role::Owner, "add users", {"user"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          auto u = a.get<platform::User>("user");
          platform::check_user_name(u.name);
          u.created_by = who.user;
          return s.create_user(u);
        }}},
      {"find_user", {Role::Owner, "read users", {"name"}, [](Args& a, S& s, const P&, bool&) -> json {
                       return s.find_user(a.get<std::string>("name"));
                     }}},
      {"list_users", {Role::Owner, "list users", {}, [](Args&, S& s, const P&, bool&) -> json {
                        return s.list_users();
                      }}},
      {"update_user", {Role::Owner, "change users", {"user"}, [](Args& a, S& s, const P&, bool&) -> json {
                         s.update_user(a.get<platform::User>("user"));
                         return nullptr;
                       }}},
      {"create_token",
       {Role::Owner, "create tokens", {"token"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          // The client made the secret and sends only its hash (the secret never travels),
          // at this server's cost: a costlier one would let one request exhaust the server.
          const auto t = a.get<platform::ApiToken>("token");
          check_token(t);
          return token_view(s.create_token(t));
        }}},
      {"find_token", {Role::Owner, "read tokens", {"id"}, [](Args& a, S& s, const P&, bool&) -> json {
                        auto t = s.find_token(a.get<std::string>("id"));
                        return t ? token_view(*t) : json(nullptr);
                      }}},
      {"list_tokens",
       {Role::Owner, "list tokens", {"user"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          json out = json::array();
          for (auto& t : s.list_tokens(a.get_or<std::optional<std::string>>("user", std::nullopt)))
            out.push_back(token_view(t));
          return out;
        }}},
      {"revoke_token",
       {Role::Owner, "revoke tokens", {"id"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          return s.revoke_token(a.get<std::string>("id"), platform::now_seconds());
        }}},
      {"create_experiment",
       {Role::Contributor, "create experiments", {"name", "tags"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          const std::string name = a.get<std::string>("name");
          platform::check_experiment_name(name);
          const auto tags = a.get<Strings>("tags");
          check_tags(tags, "experiment tags");
          return s.create_experiment(name, tags);
        }}},
      {"find_experiment",
       {Role::Reader, "read experiments", {"name"}, [](Args& a, S& s, const P&, bool&) -> json {
          return s.find_experiment(a.get<std::string>("name"));
        }}},
      {"find_experiment_by_id",
       {Role::Reader, "read experiments", {"id"}, [](Args& a, S& s, const P&, bool&) -> json {
          return s.find_experiment_by_id(a.get<int64_t>("id"));
        }}},
      {"list_experiment_records",
       {Role::Reader, "list experiments", {}, [](Args&, S& s, const P&, bool&) -> json {
          return s.list_experiment_records();
        }}},
      {"update_experiment",
       {Role::Contributor, "change experiments", {"id", "deleted", "tags"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          const auto tags = a.get<Strings>("tags");
          check_tags(tags, "experiment tags");
          s.update_experiment(a.get<int64_t>("id"),
                              a.get_or<std::optional<bool>>("deleted", std::nullopt), tags);
          return nullptr;
        }}},
      {"log_params",
       {Role::Contributor, "log params", {"run_id", "params"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          const auto params = a.get<Strings>("params");
          check_tags(params, "params");
          s.log_params(a.get<std::string>("run_id"), params);
          return nullptr;
        }}},
      {"run_params", {Role::Reader, "read runs", {"run_id"}, [](Args& a, S& s, const P&, bool&) -> json {
                        return s.run_params(a.get<std::string>("run_id"));
                      }}},
      {"log_batch",
       {Role::Contributor, "log metrics, params and tags", {"run_id", "metrics", "params", "tags"}, [](Args& a, S& s, const P&, bool&) -> json {
          const auto metrics = a.get<std::vector<platform::MetricPoint>>("metrics");
          check_metrics(metrics);
          const auto params = a.get<Strings>("params");
          const auto tags = a.get<Strings>("tags");
          check_tags(params, "params");
          check_tags(tags, "tags");
          s.log_batch(a.get<std::string>("run_id"), metrics, params, tags);
          return nullptr;
        }}},
      {"set_run_deleted",
       {Role::Contributor, "delete runs", {"run_id", "deleted"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          s.set_run_deleted(a.get<std::string>("run_id"),
                            a.get<bool>("deleted") ? std::optional<double>(platform::now_seconds())
                                                   : std::nullopt);
          return nullptr;
        }}},
      {"deleted_runs", {Role::Reader, "list runs", {}, [](Args&, S& s, const P&, bool&) -> json {
                          return s.deleted_runs();
                        }}},
      {"search_runs", {Role::Reader, "search runs", {"search"}, [](Args& a, S& s, const P&, bool&) -> json {
                         return s.search_runs(a.get<platform::RunSearch>("search"));
                       }}},
      {"count_runs", {Role::Reader, "search runs", {"search"}, [](Args& a, S& s, const P&, bool&) -> json {
                        return s.count_runs(a.get<platform::RunSearch>("search"));
                      }}},
      {"create_registered_model",
       {Role::Contributor, "register models", {"model"}, [](Args& a, S& s, const P&, bool&) -> json {
          const auto m = a.get<platform::RegisteredModel>("model");
          platform::check_model_name(m.name);
          return s.create_registered_model(m);
        }}},
      {"find_registered_model",
       {Role::Reader, "read models", {"name"}, [](Args& a, S& s, const P&, bool&) -> json {
          return s.find_registered_model(a.get<std::string>("name"));
        }}},
      {"list_registered_models",
       {Role::Reader, "list models", {}, [](Args&, S& s, const P&, bool&) -> json {
          return s.list_registered_models();
        }}},
      {"delete_registered_model",
       {Role::Contributor, "delete models", {"name"}, [](Args& a, S& s, const P&, bool&) -> json {
          return s.delete_registered_model(a.get<std::string>("name"));
        }}},
      {"create_compute",
       {Role::Owner, "create compute targets", {"target"},
        [](Args& a, S& s, const P& who, bool& wake) -> json {
          const auto t = a.get<platform::ComputeTarget>("target");
          platform::check_compute_name(t.name);
          s.create_compute(t);
          return nullptr;
        }}},
      {"update_compute",
       {Role::Owner, "change compute targets", {"target"}, [](Args& a, S& s, const P&, bool& wake) -> json {
          s.update_compute(a.get<platform::ComputeTarget>("target"));
          wake = true;  // a new limit applies now
          return nullptr;
        }}},
      {"find_compute", {Role::Reader, "read compute", {"name"}, [](Args& a, S& s, const P&, bool&) -> json {
                          return s.find_compute(a.get<std::string>("name"));
                        }}},
      {"list_computes", {Role::Reader, "list compute", {}, [](Args&, S& s, const P&, bool&) -> json {
                           return s.list_computes();
                         }}},
      {"metric_series", {Role::Reader, "read metrics", {"run_id", "name"}, [](Args& a, S& s, const P&, bool&) -> json {
                           return s.metric_series(a.get<std::string>("run_id"),
                                                  a.get<std::string>("name"));
                         }}},
      {"latest_metrics", {Role::Reader, "read metrics", {"run_id"}, [](Args& a, S& s, const P&, bool&) -> json {
                            return s.latest_metrics(a.get<std::string>("run_id"));
                          }}},
  };
  return table;
}

const Method* find_method(const std::string& name) {
  for (const auto* table : {&methods(), &endpoint_methods()})
    if (const auto it = table->find(name); it != table->end()) return &it->second;
  return nullptr;
}

}  // namespace

std::vector<std::string> store_method_names() {
  std::vector<std::string> names;
  for (const auto* table : {&methods(), &endpoint_methods()})
    for (const auto& [name, m] : *table) names.push_back(name);
  return names;
}

std::vector<std::string> server_only_store_methods() {
  // An endpoint's process is observed and its record removed by the server's agent.
  return {"set_process", "set_endpoint_status", "remove_endpoint"};
}

void register_store_routes(http::Router& router, ServerContext& context) {
  router.add("POST", std::string(kWorkspacePrefix) + "/store/{method}",
             [&context](http::Request& r) {
               const std::string name = r.param("method");
               const Method* method = find_method(name);
               if (!method) {
                 // Authenticated first: who may not read the workspace learns nothing of it.
                 authorize(context, r, Role::Reader, "use the store");
                 for (const auto& only : server_only_store_methods())
                   if (name == only)
                     throw Error(ErrorKind::Permission,
                                 "store call '" + name + "' is made by the server's agent only");
                 throw Error(ErrorKind::NotFound, "unknown store call '" + name + "'");
               }
               Scope s = authorize(context, r, method->role, method->action);
               allow_only(r, {});
               json body;
               try {
                 body = r.body.empty() ? json::object() : json::parse(r.body);
               } catch (const json::exception&) {
                 throw Error("store call '" + name + "': the body is not valid JSON");
               }
               Args args(body, name, method->params, s.ws());
               args.check();
               bool wake = false;
               json result = method->run(args, s.ws().store(), s.principal, wake);
               if (wake) context.wake_agent(s.served);
               return http::Response::json({{"result", std::move(result)}});
             },
             {.max_body = kMaxStoreCall});
}

}  // namespace glia::server::api
