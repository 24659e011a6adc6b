// Every endpoint of the MLflow API, mounted under a root with the binding that gives requests
// their workspace and checks callers.
#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

std::vector<Endpoint> all_endpoints() {
  std::vector<Endpoint> all;
  for (auto part : {experiment_endpoints(), run_endpoints(), logging_endpoints(),
                    search_endpoints(), artifact_endpoints(), registry_endpoints()})
    all.insert(all.end(), part.begin(), part.end());
  return all;
}

void mount(http::Router& router, const std::string& root, const Binding& binding) {
  for (const Endpoint& e : all_endpoints()) {
    http::RouteOptions options;
    options.max_body = e.max_body;
    options.stream_body = e.stream_body;
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
    for (const char* api : {"/api/2.0/", "/ajax-api/2.0/"}) {
      const std::string base = root + api + (e.artifacts ? "mlflow-artifacts/" : "mlflow/");
      router.add(e.method, base + e.path, h, options);
    }
  }
}

}  // namespace glia::server::mlflow
