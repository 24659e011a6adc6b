// MLflow's REST API over a Glia workspace (docs/mlflow.md): what the files of src/server/mlflow/
// share. Handlers take a Call — the request, the workspace it names and the check of the caller's
// role — so they know nothing of how the server finds workspaces or users.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "glia/error.hpp"
#include "glia/http/message.hpp"
#include "glia/http/router.hpp"
#include "glia/platform/store.hpp"
#include "glia/platform/workspace.hpp"
#include "server/run_name_tag.hpp"

namespace glia::server::mlflow {

using nlohmann::json;

/// One request to an MLflow route, with the workspace it addresses.
struct Call {
  Call(http::Request& r, platform::Workspace& w,
       std::function<std::string(platform::Role, const std::string&)> check)
      : request(r), ws(w), authorize(std::move(check)) {}
  http::Request& request;
  platform::Workspace& ws;
  /// Checks the caller may do `action` with role `need` in the workspace and returns the user's
  /// name; throws glia::Error (Unauthenticated, Permission) otherwise.
  std::function<std::string(platform::Role need, const std::string& action)> authorize;

  std::string reader(const std::string& action) const {
    return authorize(platform::Role::Reader, action);
  }
  std::string contributor(const std::string& action) const {
    return authorize(platform::Role::Contributor, action);
  }
  /// The request's fields: the JSON body of a POST/PATCH/DELETE, else the query string.
  const json& fields();

 private:
  std::optional<json> fields_;
};

using Handler = std::function<http::Response(Call&)>;

/// A route of the API: method and path below the API's root ("runs/create"), buffered or
/// streamed.
struct Endpoint {
  std::string method;
  std::string path;
  Handler handler;
  /// Below /api/ (and /ajax-api/): MLflow's tracking and registry API, its artifact proxy or its
  /// version 3 API.
  const char* base = kTracking;
  static constexpr const char* kTracking = "2.0/mlflow/";
  static constexpr const char* kArtifacts = "2.0/mlflow-artifacts/";
  static constexpr const char* kV3 = "3.0/mlflow/";
  bool stream_body = false;
  uint64_t max_body = 8u << 20;
};

// ---- errors.cpp: MLflow's error bodies ----
/// MLflow's error code and HTTP status for a kind: {"RESOURCE_DOES_NOT_EXIST", 404}, ...
struct MlflowError {
  const char* code;
  int status;
};
MlflowError mlflow_error(ErrorKind kind);
/// {"error_code": CODE, "message": MESSAGE} with the code's status.
http::Response error_response(ErrorKind kind, const std::string& message);
/// The HTTP layer's refusals with a status of their own (413, 416, a GET's body) in MLflow's body:
/// every MLflow route's RouteOptions::error_body.
http::Response refusal_response(int status, ErrorKind kind, const std::string& message);
/// Runs a handler, turning every error into MLflow's error body (never throws).
http::Response run_handler(const Handler& handler, Call& call);

// ---- fields.cpp: reading a request's fields ----
/// A required string field: INVALID_PARAMETER_VALUE naming it when missing or not a string.
std::string required_string(const json& fields, const std::string& name);
std::optional<std::string> optional_string(const json& fields, const std::string& name);
/// An integer field, as a JSON number or a decimal string (proto3 JSON sends int64 as either).
std::optional<int64_t> optional_int(const json& fields, const std::string& name);
/// A double field: a number or "NaN", "Infinity", "-Infinity" (proto3 JSON), or a numeric string.
double required_double(const json& fields, const std::string& name);
/// A repeated string field (a JSON list, or one value of the query string).
std::vector<std::string> string_list(const json& fields, const std::string& name);
/// A list of {"key", "value"} objects as a map; a missing field is empty.
std::map<std::string, std::string> key_values(const json& fields, const std::string& name);
/// A double as proto3 JSON writes it (NaN and infinities as strings).
json json_double(double v);
/// Seconds since the epoch as MLflow's milliseconds.
int64_t to_millis(double seconds);

/// A page of a search: max_results (default `fallback`, at most `most`) from the offset a
/// page_token carries (our tokens are the offset in decimal).
struct Page {
  size_t offset = 0, size = 0;
  /// The token of the page after this one among `total` results; "" when this is the last.
  std::string next_token(size_t total) const;
};
Page page_of(const json& fields, size_t fallback, size_t most);
/// ViewType: ACTIVE_ONLY (default), DELETED_ONLY or ALL, as a name or its number (1, 2, 3).
enum class View { Active, Deleted, All };
View view_of(const json& fields, const std::string& name);
/// Whether a record with this lifecycle is in the view.
inline bool in_view(View v, bool deleted) {
  return v == View::All || (v == View::Deleted) == deleted;
}

// ---- mapping.cpp: Glia's records as MLflow's messages ----
/// MLflow's status of a Glia run: SCHEDULED, RUNNING, FINISHED, FAILED, KILLED.
std::string mlflow_status(platform::RunStatus status);
/// The Glia status an MLflow status asks for (FINISHED → Completed, ...); INVALID_PARAMETER_VALUE
/// for another name.
platform::RunStatus glia_status(const std::string& mlflow_status);
/// The experiment MLflow calls "0" (its default) is Glia's experiment "Default".
constexpr const char* kDefaultExperiment = "Default";
std::string experiment_id_text(const platform::ExperimentRecord& e);
/// The experiment an MLflow id names ("0" creates Default on first use); RESOURCE_DOES_NOT_EXIST
/// for an unknown one.
platform::ExperimentRecord experiment_by_id(platform::Store& store, const std::string& id);
/// The record of a Glia experiment name (every run's experiment has one).
platform::ExperimentRecord experiment_by_name(platform::Store& store, const std::string& name);
json experiment_json(const platform::ExperimentRecord& e);
/// Where a run's MLflow artifacts live for the client: mlflow-artifacts:/<exp>/<run>/artifacts,
/// which it resolves against its tracking URI (so through this server's artifact routes).
std::string artifact_uri(const std::string& experiment_id, const std::string& run_id);
/// Where MLflow's artifact path `path` of a run lands among the run's files: "outputs/<path>".
constexpr const char* kArtifactRoot = "outputs";
/// The run, or RESOURCE_DOES_NOT_EXIST naming it.
platform::RunRecord run_by_id(platform::Store& store, const std::string& id);
/// A run as MLflow's Run message (info, data with the latest metric values, params and tags).
/// `metrics` and `params`, when given, are the run's as already read (else read here).
json run_json(platform::Store& store, const platform::RunRecord& run, const std::string& exp_id,
              bool deleted, const std::map<std::string, platform::MetricPoint>* metrics = nullptr,
              const std::map<std::string, std::string>* params = nullptr);
/// The run a request names by run_id (or the older run_uuid).
std::string run_id_of(const json& fields);
/// Whether the run is marked deleted.
bool run_is_deleted(platform::Store& store, const std::string& run_id);
json run_info_json(const platform::RunRecord& run, const std::string& exp_id, bool deleted);
// MLflow's run name tag (kRunNameTag): server/run_name_tag.hpp, shared with the REST API.
/// MLflow's user tag.
constexpr const char* kUserTag = "mlflow.user";

// ---- the routes of each concept ----
std::vector<Endpoint> experiment_endpoints();
std::vector<Endpoint> run_endpoints();
std::vector<Endpoint> logging_endpoints();
std::vector<Endpoint> search_endpoints();
std::vector<Endpoint> artifact_endpoints();
std::vector<Endpoint> registry_endpoints();
std::vector<Endpoint> logged_model_endpoints();
std::vector<Endpoint> server_info_endpoints();

/// Every endpoint of the API.
std::vector<Endpoint> all_endpoints();

/// How the server gives a request its workspace and checks its caller (register_mlflow_routes
/// binds ServerContext to it; unit tests bind a workspace of their own).
struct Binding {
  std::function<platform::Workspace&(http::Request&)> workspace;
  std::function<std::string(http::Request&, platform::Role need, const std::string& action)>
      authorize;
};

/// Adds every endpoint under `root` ("" or "/mlflow/{ws}"): `ROOT/api/2.0/mlflow/...`,
/// `ROOT/ajax-api/2.0/mlflow/...` and the artifact proxy `ROOT/api/2.0/mlflow-artifacts/...`
/// (also under ajax-api).
void mount(http::Router& router, const std::string& root, const Binding& binding);

}  // namespace glia::server::mlflow
