// MLflow's error bodies: {"error_code", "message"} with MLflow's status for each Glia ErrorKind,
// from the one mapping below (docs/mlflow.md, "Errors").
#include <exception>
#include <iostream>

#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {

MlflowError mlflow_error(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument:
      return {"INVALID_PARAMETER_VALUE", 400};
    case ErrorKind::NotFound:
      return {"RESOURCE_DOES_NOT_EXIST", 404};
    case ErrorKind::Conflict:
      return {"RESOURCE_ALREADY_EXISTS", 400};
    case ErrorKind::Permission:
      return {"PERMISSION_DENIED", 403};
    case ErrorKind::Unauthenticated:
      return {"UNAUTHENTICATED", 401};
    case ErrorKind::Unavailable:
    case ErrorKind::NoSpace:  // trying again once space is freed may work
      return {"TEMPORARILY_UNAVAILABLE", 503};
    case ErrorKind::Corrupt:
    case ErrorKind::Internal:
      return {"INTERNAL_ERROR", 500};
  }
  return {"INTERNAL_ERROR", 500};
}

http::Response error_response(ErrorKind kind, const std::string& message) {
  const MlflowError e = mlflow_error(kind);
  http::Response r = http::Response::json({{"error_code", e.code}, {"message", message}}, e.status);
  if (kind == ErrorKind::Unauthenticated) r.set_header("WWW-Authenticate", "Bearer");
  return r;
}

http::Response refusal_response(int status, ErrorKind kind, const std::string& message) {
  http::Response r = error_response(kind, message);
  r.status = status;  // 413, 416: the HTTP layer's status, MLflow's body
  return r;
}

http::Response run_handler(const Handler& handler, Call& call) {
  try {
    return handler(call);
  } catch (const Error& e) {
    return error_response(e.kind(), e.what());
  } catch (const std::exception& e) {
    // Nothing of the inside goes to the client; the server's log gets it.
    std::cerr << "glia server: mlflow " << call.request.method << " " << call.request.path
              << ": internal error: " << e.what() << "\n";
    return error_response(ErrorKind::Internal, "internal error");
  }
}

}  // namespace glia::server::mlflow
