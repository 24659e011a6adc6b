// Runs and jobs: list (the CLI's filters), show (also best:SWEEP), tags, cancel.
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/json_views.hpp"
#include "glia/platform/sweep_runs.hpp"
#include "server/api/api.hpp"
#include "server/run_name_tag.hpp"

namespace glia::server::api {

using platform::Role;

namespace {

constexpr size_t kMaxTags = 100;
constexpr size_t kMaxTagBytes = 4096;

http::Response list_runs(ServerContext& context, http::Request& r) {
  Scope s = authorize(context, r, Role::Reader, "list runs");
  allow_only(r, {"experiment", "status", "compute", "parent", "limit", "oldest_first"});
  platform::RunFilter f;
  f.experiment = query_text(r, "experiment");
  if (auto status = query_text(r, "status")) f.status = platform::parse_run_status(*status);
  f.compute = query_text(r, "compute");
  f.parent_id = query_text(r, "parent");
  f.limit = query_int(r, "limit", 1, 100000).value_or(50);
  f.oldest_first = query_bool(r, "oldest_first").value_or(false);
  auto& store = s.ws().store();
  if (f.parent_id) store.get_run(*f.parent_id);  // an unknown parent is an error, as in the CLI
  nlohmann::json out = nlohmann::json::array();
  for (const auto& run : store.list_runs(f)) out.push_back(platform::run_json(run));
  return http::Response::json(out);
}

http::Response show_run(ServerContext& context, http::Request& r) {
  Scope s = authorize(context, r, Role::Reader, "read runs");
  allow_only(r, {});
  const std::string id = platform::resolve_run_reference(s.ws().store(), r.param("id"));
  return http::Response::json(platform::run_show_json(s.ws(), id));
}

}  // namespace

void register_run_routes(http::Router& router, ServerContext& context) {
  const std::string p = kWorkspacePrefix;
  for (const char* what : {"/runs", "/jobs"}) {
    router.add("GET", p + what, [&context](http::Request& r) { return list_runs(context, r); });
    router.add("GET", p + what + "/{id}",
               [&context](http::Request& r) { return show_run(context, r); });
  }

  router.add(
      "PATCH", p + "/runs/{id}/tags",
      [&context](http::Request& r) {
        Scope s = authorize(context, r, Role::Contributor, "set tags");
        allow_only(r, {});
        auto& store = s.ws().store();
        const platform::RunRecord run = store.get_run(r.param("id"));
        const nlohmann::json body = r.json_body();
        if (!body.is_object() || body.empty() || body.size() > kMaxTags)
          throw Error("request body: expected a JSON object of 1 to " + std::to_string(kMaxTags) +
                      " tags, each a string");
        std::map<std::string, std::string> tags;
        for (const auto& [key, value] : body.items()) {
          if (key.empty() || key.size() > 255)
            throw Error("tag name " + quote_bytes(key) + ": expected 1 to 255 bytes");
          // PostgreSQL cannot store a NUL byte: refused on every store alike.
          if (key.find('\0') != std::string::npos)
            throw Error("tag name " + quote_bytes(key) + " holds a NUL byte");
          if (!value.is_string() || value.get_ref<const std::string&>().size() > kMaxTagBytes)
            throw Error("tag " + quote_bytes(key) + ": expected a string of at most " +
                        std::to_string(kMaxTagBytes) + " bytes");
          if (value.get_ref<const std::string&>().find('\0') != std::string::npos)
            throw Error("tag " + quote_bytes(key) + ": the value holds a NUL byte");
          tags[key] = value.get<std::string>();
        }

        check_run_name_tag(run, tags);  // as MLflow's set-tag: the name is set once
        store.set_tags(r.param("id"), tags);
        return http::Response::json(platform::run_json(store.get_run(r.param("id"))));
      },
      {.max_body = 1 << 20});

  router.add("POST", p + "/runs/{id}/cancel",
             [&context](http::Request& r) {
               Scope s = authorize(context, r, Role::Contributor, "cancel jobs");
               allow_only(r, {});
               const platform::RunRecord run =
                   platform::request_job_cancel(s.ws().store(), r.param("id"));
               context.wake_agent(s.served);
               return http::Response::json(platform::run_json(run), 202);
             },
             {.max_body = 0});
}

}  // namespace glia::server::api
