// POST /api/v1/workspaces/{ws}/jobs: submits a command or sweep job sent as its YAML text, with
// the snapshot of its code folder uploaded before as blobs (PUT .../blobs/{sha256}, the manifest
// last) — what `glia job submit` does on the server's machine (platform::submit_job_text).
#include "glia/error.hpp"
#include "glia/platform/environment.hpp"
#include "glia/platform/input_limits.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/json_views.hpp"
#include "server/api/api.hpp"

namespace glia::server::api {

using nlohmann::json;
using platform::Role;

void register_job_routes(http::Router& router, ServerContext& context) {
  router.add("POST", std::string(kWorkspacePrefix) + "/jobs",
             [&context](http::Request& r) {
               Scope s = authorize(context, r, Role::Contributor, "submit jobs");
               allow_only(r, {});
               const json body = json_object_body(r, {"job", "code_snapshot", "set"});
               if (!body.contains("job") || !body["job"].is_string())
                 throw Error("'job' must be the job's YAML text (a string)");
               std::optional<std::string> snapshot;
               if (body.contains("code_snapshot") && !body["code_snapshot"].is_null()) {
                 if (!body["code_snapshot"].is_string())
                   throw Error("'code_snapshot' must be the SHA-256 of the code folder's manifest");
                 snapshot = body["code_snapshot"].get<std::string>();
               }
               std::vector<std::string> sets;
               if (body.contains("set")) {
                 if (!body["set"].is_array())
                   throw Error("'set' must be a list of KEY=VALUE strings");
                 for (const auto& v : body["set"]) {
                   if (!v.is_string()) throw Error("'set' must be a list of KEY=VALUE strings");
                   sets.push_back(v.get<std::string>());
                 }
               }
               platform::SubmitOptions options;
               options.environment =
                   platform::current_environment();  // the server's: jobs run here
               if (!context.agent_command.empty())
                 options.extra_path.push_back(
                     std::filesystem::path(context.agent_command.front()).parent_path());
               options.submitter_name = s.principal.user;
               const platform::RunRecord run = platform::submit_job_text(
                   s.ws(), body["job"].get<std::string>(), snapshot, sets, options);
               context.wake_agent(s.served);
               return http::Response::json(platform::run_json(run), 201);
             },
             {.max_body = platform::kMaxJobFileBytes + (1u << 16)});
}

}  // namespace glia::server::api
