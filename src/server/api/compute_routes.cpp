// Compute targets: list and show (readers), create and update (owners).
#include "glia/error.hpp"
#include "glia/platform/json_views.hpp"
#include "glia/platform/local_agent.hpp"
#include "server/api/api.hpp"

namespace glia::server::api {

using platform::Role;

namespace {

// A Slurm target's settings from a request body (check_compute refuses them on a local target).
void read_slurm_settings(const nlohmann::json& body, platform::ComputeTarget& t) {
  for (auto [key, field] : {std::pair{"partition", &t.partition},
                            {"account", &t.account},
                            {"qos", &t.qos},
                            {"time_limit", &t.time_limit}})
    if (body.contains(key)) *field = body_text(body, key);
  if (body.contains("max_nodes"))
    t.max_nodes = body["max_nodes"].is_null()
                      ? std::nullopt
                      : std::optional<int64_t>(body_int(body, "max_nodes", 1, 100000));
}

}  // namespace

void register_compute_routes(http::Router& router, ServerContext& context) {
  const std::string p = std::string(kWorkspacePrefix) + "/computes";
  router.add("GET", p, [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "list compute targets");
    allow_only(r, {});
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : s.ws().store().list_computes())
      out.push_back(platform::compute_json(s.ws(), t));
    return http::Response::json(out);
  });
  router.add("GET", p + "/{name}", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "read compute targets");
    allow_only(r, {});
    return http::Response::json(
        platform::compute_json(s.ws(), s.ws().store().get_compute(r.param("name"))));
  });
  router.add("POST", p,
             [&context](http::Request& r) {
               Scope s = authorize(context, r, Role::Owner, "create compute targets");
               allow_only(r, {});
               const auto body = json_object_body(
                   r, {"name", "type", "max_concurrent", "description", "threads_per_job",
                       "partition", "max_nodes", "account", "qos", "time_limit"});
               if (!body.contains("name")) throw Error("request body: 'name' is required");
               platform::ComputeTarget t;
               t.name = body_text(body, "name");
               platform::check_compute_name(t.name);
               if (body.contains("type")) t.type = body_text(body, "type");
               if (body.contains("max_concurrent"))
                 t.max_concurrent = body_int(body, "max_concurrent", 1, 4096);
               if (body.contains("description")) t.description = body_text(body, "description");
               if (body.contains("threads_per_job") && !body["threads_per_job"].is_null())
                 t.threads_per_job = body_int(body, "threads_per_job", 1, 4096);
               read_slurm_settings(body, t);
               s.ws().store().create_compute(t);
               return http::Response::json(
                   platform::compute_json(s.ws(), s.ws().store().get_compute(t.name)), 201);
             },
             {.max_body = 64 << 10});
  router.add("PATCH", p + "/{name}",
             [&context](http::Request& r) {
               Scope s = authorize(context, r, Role::Owner, "change compute targets");
               allow_only(r, {});
               const auto body =
                   json_object_body(r, {"max_concurrent", "description", "threads_per_job",
                                        "partition", "max_nodes", "account", "qos", "time_limit"});
               if (body.empty())
                 throw Error(
                     "request body: nothing to change (give max_concurrent, description and/or "
                     "threads_per_job)");
               auto t = s.ws().store().get_compute(r.param("name"));
               if (body.contains("max_concurrent"))
                 t.max_concurrent = body_int(body, "max_concurrent", 1, 4096);
               if (body.contains("description")) t.description = body_text(body, "description");
               if (body.contains("threads_per_job")) {  // null or 0: a share of the cores
                 const auto& v = body["threads_per_job"];
                 const int64_t n = v.is_null() ? 0 : body_int(body, "threads_per_job", 0, 4096);
                 t.threads_per_job = n > 0 ? std::optional<int64_t>(n) : std::nullopt;
               }
               read_slurm_settings(body, t);
               s.ws().store().update_compute(t);
               context.wake_agent(s.served);  // the agent applies the new limit now
               return http::Response::json(platform::compute_json(s.ws(), t));
             },
             {.max_body = 64 << 10});
}

}  // namespace glia::server::api
