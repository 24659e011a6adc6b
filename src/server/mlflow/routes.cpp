// Every endpoint of the MLflow API, mounted under a root with the binding that gives requests
// their workspace and checks callers.
#include <cstdio>

#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

std::vector<Endpoint> all_endpoints() {
  std::vector<Endpoint> all;
  for (auto part : {experiment_endpoints(), run_endpoints(), logging_endpoints(),
                    search_endpoints(), artifact_endpoints(), registry_endpoints(),
                    logged_model_endpoints(), server_info_endpoints()})
    all.insert(all.end(), part.begin(), part.end());
  return all;
}

void mount(http::Router& router, const std::string& root, const Binding& binding) {
  for (const Endpoint& e : all_endpoints()) {
    http::RouteOptions options;
    options.max_body = e.max_body;
    options.stream_body = e.stream_body;
    options.error_body = refusal_response;
    const Handler handler = e.handler;
    http::Handler h = [binding, handler](http::Request& request) {
      try {  // an unknown workspace or a failed check: MLflow's error body too
        platform::Workspace& ws = binding.workspace(request);
        Call call{request, ws, [&](platform::Role need, const std::string& action) {
                    return binding.authorize(request, need, action);
                  }};
        return run_handler(handler, call);
      } catch (const Error& err) {
        return error_response(err.kind(), err.what());
      }
    };
    for (const char* api : {"/api/", "/ajax-api/"})
      router.add(e.method, root + api + e.base + e.path, h, options);
  }
  // Anything else under MLflow's prefixes: MLflow's own answer for an endpoint it lacks, and a
  // line in the server's log naming it (what a client needed that Glia does not serve).
  http::Handler missing = [](http::Request& request) {
    std::fprintf(stderr, "glia server: mlflow: not supported: %s %s\n", request.method.c_str(),
                 request.path.c_str());
    return http::Response::json(
        {{"error_code", "ENDPOINT_NOT_FOUND"},
         {"message", "Glia does not serve MLflow's " + request.method + " " + request.path +
                         " (docs/mlflow.md lists what it serves)"}},
        404);
  };
  for (const char* prefix :
       {"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/", "/api/2.0/mlflow-artifacts/",
        "/ajax-api/2.0/mlflow-artifacts/", "/api/3.0/mlflow/", "/ajax-api/3.0/mlflow/"})
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"})
      router.add(method, root + prefix + "{rest...}", missing, {.error_body = refusal_response});
}

}  // namespace glia::server::mlflow
