// The remote store protocol: POST /api/v1/workspaces/{ws}/store/{method} runs one Store method
// on the served workspace's store, for a workspace a client opened with `glia workspace connect`
// (src/remote/remote_store.cpp is the other end; docs/server.md "Remote workspaces"). The body is
// the method's arguments as a JSON object, the answer {"result": ...}; records travel in the
// store's JSON (glia/platform/store_json.hpp). Each method needs a role, checked like every
// route; what only the server may do (recording a job's process) is refused.
#include <sys/types.h>
#include <unistd.h>

#include <functional>
#include <map>

#include "glia/error.hpp"
#include "glia/platform/store_json.hpp"
#include "server/api/api.hpp"

namespace glia::server::api {

using nlohmann::json;
using platform::Role;

namespace {

constexpr uint64_t kMaxStoreCall = uint64_t{64} << 20;  // one call's arguments: 64 MiB

/// The arguments of one call, read by name.
class Args {
 public:
  Args(const json& j, std::string method) : j_(j), method_(std::move(method)) {
    if (!j_.is_object())
      throw Error("store call '" + method_ + "': the body must be a JSON object of arguments");
  }
  template <typename T>
  T get(const char* key) {
    const auto it = j_.find(key);
    if (it == j_.end()) throw Error("store call '" + method_ + "': missing argument '" + key + "'");
    return read<T>(*it, key);
  }
  template <typename T>
  T get_or(const char* key, T fallback) {
    const auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return fallback;
    return read<T>(*it, key);
  }
  /// Refuses an argument the method does not take, before anything runs.
  void check(const std::vector<const char*>& params) const {
    for (const auto& [key, value] : j_.items()) {
      bool known = false;
      for (const char* p : params) known = known || key == p;
      if (!known) throw Error("store call '" + method_ + "': unknown argument '" + key + "'");
    }
  }

 private:
  template <typename T>
  T read(const json& v, const char* key) const {
    try {
      return v.get<T>();
    } catch (const Error& e) {
      throw Error("store call '" + method_ + "': argument '" + key + "': " + e.what());
    } catch (const json::exception&) {
      throw Error("store call '" + method_ + "': argument '" + key + "' has the wrong type");
    }
  }
  const json& j_;
  std::string method_;
};

using Strings = std::map<std::string, std::string>;

struct Method {
  Role role;
  const char* action;
  std::vector<const char*> params;  // every argument it takes (others are refused)
  /// Runs the call; `wake` is set when the workspace's agent has new work (a job queued, a
  /// cancel requested).
  std::function<json(Args&, platform::Store&, const platform::Principal&, bool& wake)> run;
};

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
                       return s.list_runs(a.get<platform::RunFilter>("filter"));
                     }}},
      {"sweep_trials", {Role::Reader, "read sweeps", {"sweep_id"}, [](Args& a, S& s, const P&, bool&) -> json {
                          return s.sweep_trials(a.get<std::string>("sweep_id"));
                        }}},
      {"experiments", {Role::Reader, "list experiments", {}, [](Args&, S& s, const P&, bool&) -> json {
                         return s.experiments();
                       }}},
      {"set_status",
       {Role::Contributor, "change a run's status", {"status", "id", "at", "exit_code", "error"},
        [](Args& a, S& s, const P&, bool& wake) -> json {
          const auto status = a.get<platform::RunStatus>("status");
          s.set_status(a.get<std::string>("id"), status, a.get<double>("at"),
                       a.get_or<std::optional<int>>("exit_code", std::nullopt),
                       a.get_or<std::string>("error", ""));
          wake = status == platform::RunStatus::Queued;
          return nullptr;
        }}},
      {"status_history",
       {Role::Reader, "read runs", {"id"}, [](Args& a, S& s, const P&, bool&) -> json {
          return s.status_history(a.get<std::string>("id"));
        }}},
      {"request_cancel",
       {Role::Contributor, "cancel jobs", {"id", "properties", "at"}, [](Args& a, S& s, const P&, bool& wake) -> json {
          const bool requested = s.request_cancel(
              a.get<std::string>("id"), a.get<Strings>("properties"), a.get<double>("at"));
          wake = requested;
          return requested;
        }}},
      {"set_tags", {Role::Contributor, "tag runs", {"id", "tags"}, [](Args& a, S& s, const P&, bool&) -> json {
                      s.set_tags(a.get<std::string>("id"), a.get<Strings>("tags"));
                      return nullptr;
                    }}},
      {"add_properties",
       {Role::Contributor, "add run properties", {"id", "properties"}, [](Args& a, S& s, const P&, bool&) -> json {
          s.add_properties(a.get<std::string>("id"), a.get<Strings>("properties"));
          return nullptr;
        }}},
      {"log_metrics",
       {Role::Contributor, "log metrics", {"run_id", "points"}, [](Args& a, S& s, const P&, bool&) -> json {
          s.log_metrics(a.get<std::string>("run_id"),
                        a.get<std::vector<platform::MetricPoint>>("points"));
          return nullptr;
        }}},
      {"log_metrics_once",
       {Role::Contributor, "log metrics", {"run_id", "points", "key", "fingerprint", "answer"}, [](Args& a, S& s, const P&, bool&) -> json {
          return s.log_metrics_once(a.get<std::string>("run_id"),
                                    a.get<std::vector<platform::MetricPoint>>("points"),
                                    a.get<std::string>("key"), a.get<std::string>("fingerprint"),
                                    a.get<std::string>("answer"));
        }}},
      {"apply_tracking",
       {Role::Contributor, "log to runs", {"run_id", "batch", "new_offset", "expected_offset"}, [](Args& a, S& s, const P&, bool&) -> json {
          return s.apply_tracking(a.get<std::string>("run_id"),
                                  a.get<platform::TrackingBatch>("batch"),
                                  a.get<int64_t>("new_offset"),
                                  a.get_or<std::optional<int64_t>>("expected_offset", std::nullopt));
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
       {Role::Contributor, "add run files", {"run_id", "files"}, [](Args& a, S& s, const P&, bool&) -> json {
          s.add_run_files(a.get<std::string>("run_id"),
                          a.get<std::vector<platform::RunFile>>("files"));
          return nullptr;
        }}},
      {"run_files", {Role::Reader, "list run files", {"run_id"}, [](Args& a, S& s, const P&, bool&) -> json {
                       return s.run_files(a.get<std::string>("run_id"));
                     }}},
      {"create_dataset_version",
       {Role::Contributor, "register datasets", {"dataset", "force_new"}, [](Args& a, S& s, const P& who, bool&) -> json {
          auto d = a.get<platform::DatasetVersion>("dataset");
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
       {Role::Contributor, "record run inputs", {"inputs"}, [](Args& a, S& s, const P&, bool&) -> json {
          s.add_run_inputs(a.get<std::vector<platform::RunInput>>("inputs"));
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
       {Role::Contributor, "register models", {"model"}, [](Args& a, S& s, const P& who, bool&) -> json {
          auto m = a.get<platform::ModelVersion>("model");
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
        [](Args& a, S& s, const P& who, bool&) -> json {
          auto e = a.get<platform::EnvironmentVersion>("environment");
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
      {"create_user", {Role::Owner, "add users", {"user"}, [](Args& a, S& s, const P& who, bool&) -> json {
                         auto u = a.get<platform::User>("user");
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
       {Role::Owner, "create tokens", {"token"}, [](Args& a, S& s, const P&, bool&) -> json {
          // The client made the secret and sends only its hash (the secret never travels).
          return token_view(s.create_token(a.get<platform::ApiToken>("token")));
        }}},
      {"find_token", {Role::Owner, "read tokens", {"id"}, [](Args& a, S& s, const P&, bool&) -> json {
                        auto t = s.find_token(a.get<std::string>("id"));
                        return t ? token_view(*t) : json(nullptr);
                      }}},
      {"list_tokens", {Role::Owner, "list tokens", {}, [](Args& a, S& s, const P&, bool&) -> json {
                         json out = json::array();
                         for (auto& t : s.list_tokens(a.get_or<std::optional<std::string>>(
                                  "user", std::nullopt)))
                           out.push_back(token_view(t));
                         return out;
                       }}},
      {"revoke_token", {Role::Owner, "revoke tokens", {"id", "at"}, [](Args& a, S& s, const P&, bool&) -> json {
                          return s.revoke_token(a.get<std::string>("id"), a.get<double>("at"));
                        }}},
      {"create_experiment",
       {Role::Contributor, "create experiments", {"name", "tags"}, [](Args& a, S& s, const P&, bool&) -> json {
          return s.create_experiment(a.get<std::string>("name"), a.get<Strings>("tags"));
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
       {Role::Contributor, "change experiments", {"id", "deleted", "tags"}, [](Args& a, S& s, const P&, bool&) -> json {
          s.update_experiment(a.get<int64_t>("id"),
                              a.get_or<std::optional<bool>>("deleted", std::nullopt),
                              a.get<Strings>("tags"));
          return nullptr;
        }}},
      {"log_params", {Role::Contributor, "log params", {"run_id", "params"}, [](Args& a, S& s, const P&, bool&) -> json {
                        s.log_params(a.get<std::string>("run_id"), a.get<Strings>("params"));
                        return nullptr;
                      }}},
      {"run_params", {Role::Reader, "read runs", {"run_id"}, [](Args& a, S& s, const P&, bool&) -> json {
                        return s.run_params(a.get<std::string>("run_id"));
                      }}},
      {"log_batch",
       {Role::Contributor, "log metrics, params and tags", {"run_id", "metrics", "params", "tags"}, [](Args& a, S& s, const P&, bool&) -> json {
          s.log_batch(a.get<std::string>("run_id"),
                      a.get<std::vector<platform::MetricPoint>>("metrics"),
                      a.get<Strings>("params"), a.get<Strings>("tags"));
          return nullptr;
        }}},
      {"set_run_deleted",
       {Role::Contributor, "delete runs", {"run_id", "at"}, [](Args& a, S& s, const P&, bool&) -> json {
          s.set_run_deleted(a.get<std::string>("run_id"),
                            a.get_or<std::optional<double>>("at", std::nullopt));
          return nullptr;
        }}},
      {"deleted_runs", {Role::Reader, "list runs", {}, [](Args&, S& s, const P&, bool&) -> json {
                          return s.deleted_runs();
                        }}},
      {"search_runs", {Role::Reader, "search runs", {"search"}, [](Args& a, S& s, const P&, bool&) -> json {
                         return s.search_runs(a.get<platform::RunSearch>("search"));
                       }}},
      {"create_registered_model",
       {Role::Contributor, "register models", {"model"}, [](Args& a, S& s, const P&, bool&) -> json {
          return s.create_registered_model(a.get<platform::RegisteredModel>("model"));
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
       {Role::Owner, "create compute targets", {"target"}, [](Args& a, S& s, const P&, bool&) -> json {
          s.create_compute(a.get<platform::ComputeTarget>("target"));
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

}  // namespace

std::vector<std::string> store_method_names() {
  std::vector<std::string> names;
  for (const auto& [name, m] : methods()) names.push_back(name);
  return names;
}

std::vector<std::string> server_only_store_methods() {
  return {"set_process"};
}

void register_store_routes(http::Router& router, ServerContext& context) {
  router.add("POST", std::string(kWorkspacePrefix) + "/store/{method}",
             [&context](http::Request& r) {
               const std::string name = r.param("method");
               const auto& table = methods();
               const auto it = table.find(name);
               if (it == table.end()) {
                 // Authenticated first: who may not read the workspace learns nothing of it.
                 authorize(context, r, Role::Reader, "use the store");
                 for (const auto& only : server_only_store_methods())
                   if (name == only)
                     throw Error(ErrorKind::Permission,
                                 "store call '" + name + "' is made by the server's agent only");
                 throw Error(ErrorKind::NotFound, "unknown store call '" + name + "'");
               }
               Scope s = authorize(context, r, it->second.role, it->second.action);
               allow_only(r, {});
               json body;
               try {
                 body = r.body.empty() ? json::object() : json::parse(r.body);
               } catch (const json::exception&) {
                 throw Error("store call '" + name + "': the body is not valid JSON");
               }
               Args args(body, name);
               args.check(it->second.params);
               bool wake = false;
               json result = it->second.run(args, s.ws().store(), s.principal, wake);
               if (wake) context.wake_agent(s.served);
               return http::Response::json({{"result", std::move(result)}});
             },
             {.max_body = kMaxStoreCall});
}

}  // namespace glia::server::api
