// MLflow's artifacts and model registry over a real workspace, through the router: artifacts are
// run files, model versions come from them, and their sources and tags are checked as MLflow does.
#include "mlflow_api_fixture.hpp"

namespace glia::server::mlflow {
namespace {

using namespace testing_mlflow;

std::string body_of(const http::Response& r) {
  if (!r.stream) return r.body;
  struct Sink : http::BodySink {
    std::string bytes;
    bool write(const char* d, size_t n) override {
      bytes.append(d, n);
      return true;
    }
    bool stopping() const override { return false; }
  } sink;
  EXPECT_TRUE(r.stream(sink));
  return sink.bytes;
}

TEST_F(MlflowApi, ArtifactsAreRunFilesAndModelVersionsComeFromThem) {
  const std::string id = new_run();
  const std::string root = "/api/2.0/mlflow-artifacts/artifacts/0/" + id + "/artifacts/";
  auto put = [&](const std::string& path, const std::string& bytes) {
    http::Request r;
    r.method = "PUT";
    r.path = root + path;
    r.headers.emplace("X-Test-Role", "contributor");
    r.read_body = [bytes](const http::ChunkReceiver& receive) {
      for (size_t i = 0; i < bytes.size(); i += 3)  // in small chunks
        if (!receive(bytes.data() + i, std::min<size_t>(3, bytes.size() - i))) return false;
      return true;
    };
    return router_.dispatch(r);
  };
  EXPECT_EQ(put("model/MLmodel", "flavors: {}\n").status, 200);
  EXPECT_EQ(put("model/weights.bin", "0123456789").status, 200);
  EXPECT_EQ(put("notes.txt", "hello").status, 200);
  EXPECT_EQ(refused(put("../escape.txt", "x")), "INVALID_PARAMETER_VALUE");
  // A path is a file or a folder, never both (regression: both were stored, 200).
  EXPECT_EQ(refused(put("model", "a file onto a folder")), "RESOURCE_ALREADY_EXISTS");
  EXPECT_EQ(refused(put("notes.txt/inner", "a file under a file")), "RESOURCE_ALREADY_EXISTS");

  const auto files = ws_->store().run_files(id);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, "outputs/model/MLmodel");
  EXPECT_EQ(files[2].path, "outputs/notes.txt");

  const json top = ok("GET", "/api/2.0/mlflow-artifacts/artifacts?path=0/" + id + "/artifacts");
  ASSERT_EQ(top["files"].size(), 2u);
  EXPECT_EQ(top["files"][0]["path"], "model");
  EXPECT_EQ(top["files"][0]["is_dir"], true);
  EXPECT_EQ(top["files"][1]["file_size"], 5);
  const json sub =
      ok("GET", "/api/2.0/mlflow-artifacts/artifacts?path=0/" + id + "/artifacts/model");
  ASSERT_EQ(sub["files"].size(), 2u);
  EXPECT_EQ(sub["files"][1]["path"], "weights.bin");

  const http::Response got = call("GET", root + "model/weights.bin");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(body_of(got), "0123456789");
  EXPECT_EQ(refused(call("GET", root + "missing.bin")), "RESOURCE_DOES_NOT_EXIST");

  // register_model("runs:/<id>/model", "digits"): the model first, then a version of the run's
  // files under outputs/model (the run has not ended: MLflow's artifacts are stored as logged).
  const std::string source = "mlflow-artifacts:/0/" + id + "/artifacts/model";
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/model-versions/create",
                         {{"name", "digits"}, {"source", source}})),
            "RESOURCE_DOES_NOT_EXIST");
  ok("POST", "/api/2.0/mlflow/registered-models/create", {{"name", "digits"}});
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/registered-models/create", {{"name", "digits"}})),
            "RESOURCE_ALREADY_EXISTS");
  const json v = ok("POST", "/api/2.0/mlflow/model-versions/create",
                    {{"name", "digits"}, {"source", source}, {"run_id", id}})["model_version"];
  EXPECT_EQ(v["version"], "1");
  EXPECT_EQ(v["status"], "READY");
  EXPECT_EQ(v["source"], source);
  const auto m = ws_->store().find_model("digits", 1);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->file_count, 2);
  EXPECT_EQ(m->source_path, "outputs/model");
  EXPECT_EQ(*m->run_id, id);
  const json again = ok("GET", "/api/2.0/mlflow/model-versions/get?name=digits&version=1");
  EXPECT_EQ(again["model_version"]["run_id"], id);
  const json search = ok("GET", "/api/2.0/mlflow/model-versions/search?filter=name='digits'");
  EXPECT_EQ(search["model_versions"].size(), 1u);
  const json from_runs =
      ok("POST", "/api/2.0/mlflow/model-versions/create",
         {{"name", "digits"}, {"source", "runs:/" + id + "/model"}})["model_version"];
  EXPECT_EQ(from_runs["version"], "2");
  EXPECT_EQ(
      ok("GET",
         "/api/2.0/mlflow/registered-models/get?name=digits")["registered_model"]["latest_versions"]
                                                             [0]["version"],
      "2");
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/model-versions/create",
                         {{"name", "digits"}, {"source", "s3://bucket/model"}})),
            "INVALID_PARAMETER_VALUE");
}

TEST_F(MlflowApi, AModelVersionSourceMustNameAnExistingRunInItsExperiment) {
  const std::string other =
      ok("POST", "/api/2.0/mlflow/experiments/create", {{"name", "other"}})["experiment_id"];
  const std::string id = new_run();  // in experiment 0
  ASSERT_EQ(put_artifact("0", id, "model/MLmodel", "flavors: {}\n").status, 200);
  ok("POST", "/api/2.0/mlflow/registered-models/create", {{"name", "digits"}});
  auto create = [&](const std::string& source) {
    return call("POST", "/api/2.0/mlflow/model-versions/create",
                {{"name", "digits"}, {"source", source}});
  };
  // The run is in experiment 0, not in the one the artifact URI names.
  EXPECT_EQ(refused(create("mlflow-artifacts:/" + other + "/" + id + "/artifacts/model")),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(
      refused(create("mlflow-artifacts://host:5000/" + other + "/" + id + "/artifacts/model")),
      "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(create("mlflow-artifacts:/12345/" + id + "/artifacts/model")),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(create("mlflow-artifacts:/0/no_such_run/artifacts/model")),
            "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(refused(create("runs:/no_such_run/model")), "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(refused(create("mlflow-artifacts://0/" + id + "/artifacts/model")),  // no experiment
            "INVALID_PARAMETER_VALUE");
  EXPECT_FALSE(ws_->store().find_model("digits", std::nullopt).has_value());
  // The run's own experiment, by its MLflow id: registered.
  const json v = json::parse(create("mlflow-artifacts:/0/" + id + "/artifacts/model").body);
  EXPECT_EQ(v["model_version"]["version"], "1");
}

TEST_F(MlflowApi, ModelVersionTagsFollowMlflowsLimitsRegisteringNothingElse) {
  const std::string id = new_run();
  ASSERT_EQ(put_artifact("0", id, "model/MLmodel", "flavors: {}\n").status, 200);
  ok("POST", "/api/2.0/mlflow/registered-models/create", {{"name", "digits"}});
  auto create = [&](const std::string& key, const std::string& value) {
    return call("POST", "/api/2.0/mlflow/model-versions/create",
                {{"name", "digits"},
                 {"source", "runs:/" + id + "/model"},
                 {"tags", json::array({{{"key", key}, {"value", value}}})}});
  };
  for (const std::string& key :
       {std::string(), std::string(251, 'k'), std::string("a/../b"), std::string("a//b"),
        std::string("a/"), std::string("./a"), std::string("tab\tkey"), std::string("semi;colon")})
    EXPECT_EQ(refused(create(key, "v")), "INVALID_PARAMETER_VALUE") << key;
  EXPECT_EQ(refused(create("k", std::string(100001, 'v'))), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(create("k", std::string("nul\0byte", 8))), "INVALID_PARAMETER_VALUE");
  EXPECT_FALSE(ws_->store().find_model("digits", std::nullopt).has_value());
  // At the limits: kept as given.
  const std::string key = std::string(249, 'k') + ".";
  const json v = json::parse(create(key, std::string(100000, 'v')).body).at("model_version");
  EXPECT_EQ(v["version"], "1");
  EXPECT_EQ(ws_->store().find_model("digits", 1)->tags.at(key).size(), 100000u);
  // The same name rule for a run's tags: "a..b" reads as itself, "a/" does not (MLflow's rule).
  ok("POST", "/api/2.0/mlflow/runs/set-tag", {{"run_id", id}, {"key", "v1..2"}, {"value", "x"}});
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/runs/set-tag",
                         {{"run_id", id}, {"key", "a/"}, {"value", "x"}})),
            "INVALID_PARAMETER_VALUE");
}

}  // namespace
}  // namespace glia::server::mlflow
