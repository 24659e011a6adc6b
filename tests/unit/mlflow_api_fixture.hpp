// The fixture the MLflow API tests share (test_mlflow_api.cpp, test_mlflow_registry.cpp): a real
// workspace behind MLflow's routes, called through the router with the caller's role in a header.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <limits>
#include <string>

#include "glia/error.hpp"
#include "glia/http/router.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/workspace.hpp"
#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow::testing_mlflow {

namespace fs = std::filesystem;
using platform::Role;

class MlflowApi : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("glia-mlflow-api-" + std::to_string(::getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    ws_ = std::make_unique<platform::Workspace>(platform::Workspace::init(dir_));
    Binding b;
    b.workspace = [this](http::Request&) -> platform::Workspace& { return *ws_; };
    b.authorize = [](http::Request& r, Role need, const std::string& action) {
      const auto role = r.header("X-Test-Role");
      if (!role) throw Error(ErrorKind::Unauthenticated, "no token");
      if (platform::parse_role(*role) < need)
        throw Error(ErrorKind::Permission, "may not " + action);
      return std::string("tester");
    };
    mount(router_, "", b);
  }
  void TearDown() override {
    ws_.reset();
    fs::remove_all(dir_);
  }

  http::Response call(const std::string& method, const std::string& path, const json& body = {},
                      const std::string& role = "contributor") {
    http::Request r;
    r.method = method;
    const auto q = path.find('?');
    r.path = path.substr(0, q);
    if (q != std::string::npos) {
      std::string rest = path.substr(q + 1);
      while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string kv = rest.substr(0, amp);
        const auto eq = kv.find('=');
        r.query.emplace(kv.substr(0, eq), kv.substr(eq + 1));
        rest = amp == std::string::npos ? "" : rest.substr(amp + 1);
      }
    }
    if (!body.is_null()) r.body = body.dump();
    if (!role.empty()) r.headers.emplace("X-Test-Role", role);
    return router_.dispatch(r);
  }
  json ok(const std::string& method, const std::string& path, const json& body = {}) {
    const http::Response r = call(method, path, body);
    EXPECT_EQ(r.status, 200) << method << " " << path << ": " << r.body;
    return r.body.empty() ? json() : json::parse(r.body);
  }
  // The error code of a refused call (checking the status matches it).
  std::string refused(const http::Response& r) {
    const json body = json::parse(r.body);
    const std::string code = body.at("error_code");
    EXPECT_FALSE(body.at("message").get<std::string>().empty());
    EXPECT_EQ(r.status, code == "RESOURCE_DOES_NOT_EXIST" ? 404
                        : code == "PERMISSION_DENIED"     ? 403
                        : code == "UNAUTHENTICATED"       ? 401
                                                          : 400)
        << r.body;
    return code;
  }
  std::string new_run(const std::string& experiment_id = "0") {
    return ok(
        "POST", "/api/2.0/mlflow/runs/create",
        {{"experiment_id", experiment_id}, {"start_time", start_ms_}})["run"]["info"]["run_id"];
  }

  // PUT an artifact into a run through the artifact proxy, in small chunks.
  http::Response put_artifact(const std::string& experiment_id, const std::string& run_id,
                              const std::string& path, const std::string& bytes) {
    http::Request r;
    r.method = "PUT";
    r.path = "/api/2.0/mlflow-artifacts/artifacts/" + experiment_id + "/" + run_id + "/artifacts/" +
             path;
    r.headers.emplace("X-Test-Role", "contributor");
    r.read_body = [bytes](const http::ChunkReceiver& receive) {
      for (size_t i = 0; i < bytes.size(); i += 3)
        if (!receive(bytes.data() + i, std::min<size_t>(3, bytes.size() - i))) return false;
      return true;
    };
    return router_.dispatch(r);
  }

  // A start time a minute ahead: a run starts when its client says, never before it was made.
  const int64_t start_ms_ = to_millis(platform::now_seconds()) + 60000;
  fs::path dir_;
  std::unique_ptr<platform::Workspace> ws_;
  http::Router router_;
};

}  // namespace glia::server::mlflow::testing_mlflow
