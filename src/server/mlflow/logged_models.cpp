// What MLflow 3 clients ask besides tracking: logged models — Glia keeps none (a model is a run's
// artifacts, registered as a version), so a search finds none; the client searches them when it
// lists a run's artifacts under a path; creating one is not supported (docs/mlflow.md) — and
// the server's capabilities (server-info).
#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

namespace {

http::Response search(Call& call) {
  call.reader("search logged models");
  const json& f = call.fields();
  for (const std::string& id : string_list(f, "experiment_ids"))
    experiment_by_id(call.ws.store(), id);  // an unknown experiment is still refused
  return http::Response::json({{"models", json::array()}});
}

}  // namespace

std::vector<Endpoint> logged_model_endpoints() {
  return {
      {"POST", "logged-models/search", search},
  };
}

}  // namespace glia::server::mlflow

namespace glia::server::mlflow {

namespace {

// What the client asks before it moves artifacts: no multipart or presigned transfers (the
// proxy streams whole files, with byte ranges on downloads).
http::Response server_info(Call& call) {
  call.reader("read the server's capabilities");
  return http::Response::json({{"store_type", "glia"},
                               {"artifact_serving_enabled", true},
                               {"multipart_uploads_enabled", false},
                               {"multipart_downloads_enabled", false},
                               {"artifacts_presigned_only", false},
                               {"workspaces_enabled", false}});
}

}  // namespace

std::vector<Endpoint> server_info_endpoints() {
  return {
      {"GET", "server-info", server_info, Endpoint::kV3},
  };
}

}  // namespace glia::server::mlflow
