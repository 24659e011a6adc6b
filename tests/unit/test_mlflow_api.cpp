// MLflow's REST API over a real workspace, through the router (src/server/mlflow): experiments,
// runs, log-batch limits, params logged once, search, artifacts into run files, the registry, and
// MLflow's error bodies. The caller's role comes from a test header here; the live server's
// tokens are checked end to end by tests/mlflow/run.sh.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <limits>

#include "glia/error.hpp"
#include "glia/http/router.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/workspace.hpp"
#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {
namespace {

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

TEST_F(MlflowApi, ExperimentsAreCreatedFoundAndRefusedTwice) {
  const json created =
      ok("POST", "/api/2.0/mlflow/experiments/create",
         {{"name", "vision"}, {"tags", json::array({{{"key", "team"}, {"value", "cv"}}})}});
  const std::string id = created["experiment_id"];
  const json e = ok("GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name=vision");
  EXPECT_EQ(e["experiment"]["experiment_id"], id);
  EXPECT_EQ(e["experiment"]["lifecycle_stage"], "active");
  EXPECT_EQ(e["experiment"]["tags"][0]["value"], "cv");
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/experiments/create", {{"name", "vision"}})),
            "RESOURCE_ALREADY_EXISTS");
  EXPECT_EQ(refused(call("GET", "/api/2.0/mlflow/experiments/get?experiment_id=999")),
            "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(refused(call("GET", "/ajax-api/2.0/mlflow/experiments/get-by-name?experiment_name=x")),
            "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(ok("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")["experiment"]["name"],
            "Default");
  ok("POST", "/api/2.0/mlflow/experiments/delete", {{"experiment_id", id}});
  const json active = ok("POST", "/api/2.0/mlflow/experiments/search", json::object());
  ASSERT_EQ(active["experiments"].size(), 1u);  // Default only
  const json deleted = ok("POST", "/api/2.0/mlflow/experiments/search",
                          {{"view_type", "DELETED_ONLY"}, {"filter", "name LIKE 'vis%'"}});
  ASSERT_EQ(deleted["experiments"].size(), 1u);
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/runs/create", {{"experiment_id", id}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/experiments/create", {{"name", "a b/c"}})),
            "INVALID_PARAMETER_VALUE");
}

TEST_F(MlflowApi, RunsLogAndEndAsGliaRuns) {
  const std::string id = new_run();
  platform::Store& store = ws_->store();
  EXPECT_EQ(store.get_run(id).status, platform::RunStatus::Running);
  EXPECT_EQ(store.get_run(id).experiment, "Default");
  ok("POST", "/api/2.0/mlflow/runs/log-batch",
     {{"run_id", id},
      {"metrics",
       json::array(
           {{{"key", "loss"}, {"value", 0.5}, {"timestamp", 1700000001000}, {"step", 1}},
            {{"key", "loss"}, {"value", 0.25}, {"timestamp", 1700000002000}, {"step", 2}}})},
      {"params", json::array({{{"key", "lr"}, {"value", "0.1"}}})},
      {"tags", json::array({{{"key", "stage"}, {"value", "dev"}}})}});
  ok("POST", "/api/2.0/mlflow/runs/log-metric",
     {{"run_id", id}, {"key", "acc"}, {"value", "NaN"}, {"timestamp", 1700000003000}});
  const auto series = store.metric_series(id, "loss");
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[1].step, 2);
  EXPECT_DOUBLE_EQ(series[1].wall_time, 1700000002.0);
  EXPECT_EQ(store.run_params(id).at("lr"), "0.1");
  EXPECT_EQ(store.get_run(id).tags.at("stage"), "dev");

  const json run = ok("GET", "/api/2.0/mlflow/runs/get?run_id=" + id)["run"];
  EXPECT_EQ(run["info"]["status"], "RUNNING");
  EXPECT_EQ(run["info"]["start_time"], start_ms_);
  EXPECT_EQ(run["info"]["artifact_uri"], "mlflow-artifacts:/0/" + id + "/artifacts");
  bool saw_nan = false;
  for (const json& m : run["data"]["metrics"]) saw_nan = saw_nan || m["value"] == "NaN";
  EXPECT_TRUE(saw_nan);
  const json history =
      ok("GET", "/api/2.0/mlflow/metrics/get-history?run_id=" + id + "&metric_key=loss");
  ASSERT_EQ(history["metrics"].size(), 2u);
  EXPECT_EQ(history["metrics"][0]["timestamp"], 1700000001000);

  ok("POST", "/api/2.0/mlflow/runs/update",
     {{"run_id", id}, {"status", "FINISHED"}, {"end_time", start_ms_ + 9000}});
  const auto ended = store.get_run(id);
  EXPECT_EQ(ended.status, platform::RunStatus::Completed);
  EXPECT_EQ(to_millis(*ended.ended_at), start_ms_ + 9000);
  EXPECT_EQ(
      refused(call("POST", "/api/2.0/mlflow/runs/update", {{"run_id", id}, {"status", "RUNNING"}})),
      "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(call("GET", "/api/2.0/mlflow/runs/get?run_id=nope")),
            "RESOURCE_DOES_NOT_EXIST");
}

TEST_F(MlflowApi, NegativeStepsAreKeptAsMlflowKeepsThem) {
  const std::string id = new_run();
  platform::Store& store = ws_->store();
  constexpr int64_t kLowest = std::numeric_limits<int64_t>::min();
  ok("POST", "/api/2.0/mlflow/runs/log-metric",
     {{"run_id", id}, {"key", "m"}, {"value", 1}, {"timestamp", 1}, {"step", -5}});
  ok("POST", "/api/2.0/mlflow/runs/log-batch",
     {{"run_id", id},
      {"metrics", json::array({{{"key", "m"}, {"value", 2}, {"timestamp", 2}, {"step", "-3"}},
                               {{"key", "m"},
                                {"value", 3},
                                {"timestamp", 3},
                                {"step", std::to_string(kLowest + 1)}}})}});
  const auto series = store.metric_series(id, "m");  // by step
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0].step, kLowest + 1);
  EXPECT_EQ(series[1].step, -5);
  EXPECT_EQ(series[2].step, -3);
  const json history =
      ok("GET", "/api/2.0/mlflow/metrics/get-history?run_id=" + id + "&metric_key=m");
  ASSERT_EQ(history["metrics"].size(), 3u);
  EXPECT_EQ(history["metrics"][0]["step"], kLowest + 1);
  EXPECT_EQ(history["metrics"][1]["step"], -5);
  // The lowest int64 is the store's "next step" marker: refused, never stored as another step.
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/runs/log-metric",
                         {{"run_id", id},
                          {"key", "m"},
                          {"value", 4},
                          {"timestamp", 4},
                          {"step", std::to_string(kLowest)}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(
      refused(call(
          "POST", "/api/2.0/mlflow/runs/log-batch",
          {{"run_id", id},
           {"metrics",
            json::array({{{"key", "m"}, {"value", 5}, {"timestamp", 5}},
                         {{"key", "m"}, {"value", 6}, {"timestamp", 6}, {"step", kLowest}}})}})),
      "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(store.metric_series(id, "m").size(), 3u);
}

TEST_F(MlflowApi, LogBatchEnforcesMlflowsLimitsWritingNothing) {
  const std::string id = new_run();
  auto metrics = [](size_t n) {
    json a = json::array();
    for (size_t i = 0; i < n; ++i)
      a.push_back({{"key", "m"}, {"value", 1.0}, {"timestamp", 1}, {"step", i}});
    return a;
  };
  auto kvs = [](size_t n, size_t value_size = 1) {
    json a = json::array();
    for (size_t i = 0; i < n; ++i)
      a.push_back({{"key", "k" + std::to_string(i)}, {"value", std::string(value_size, 'v')}});
    return a;
  };
  const std::string batch = "/api/2.0/mlflow/runs/log-batch";
  EXPECT_EQ(refused(call("POST", batch, {{"run_id", id}, {"metrics", metrics(1001)}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(call("POST", batch, {{"run_id", id}, {"params", kvs(101)}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(call("POST", batch, {{"run_id", id}, {"tags", kvs(101)}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(
      refused(call(
          "POST", batch,
          {{"run_id", id}, {"metrics", metrics(801)}, {"params", kvs(100)}, {"tags", kvs(100)}})),
      "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(call("POST", batch, {{"run_id", id}, {"params", kvs(1, 6001)}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(call("POST", batch, {{"run_id", id}, {"tags", kvs(1, 8001)}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(
      refused(call("POST", batch,
                   {{"run_id", id},
                    {"params", json::array({{{"key", std::string(251, 'k')}, {"value", "1"}}})}})),
      "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(call(
                "POST", batch,
                {{"run_id", id},
                 {"metrics", json::array({{{"key", "../x"}, {"value", 1}, {"timestamp", 1}}})}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_TRUE(ws_->store().metric_series(id, "m").empty());
  EXPECT_TRUE(ws_->store().run_params(id).empty());
  // At the limits: accepted.
  ok("POST", batch,
     {{"run_id", id},
      {"metrics", metrics(800)},
      {"params", kvs(100, 6000)},
      {"tags", kvs(100, 8000)}});
  EXPECT_EQ(ws_->store().metric_series(id, "m").size(), 800u);
}

// A NUL byte in a param or tag value: refused before anything is written, on every store
// (PostgreSQL's text cannot hold one; a batch whose tags failed there after its metrics were
// stored left a partial batch, and the client's retry logged the metrics twice).
TEST_F(MlflowApi, ANulByteInAValueIsRefusedWritingNothing) {
  const std::string id = new_run();
  const std::string batch = "/api/2.0/mlflow/runs/log-batch";
  const json metric = json::array({{{"key", "m"}, {"value", 1}, {"timestamp", 1}}});
  const std::string nul("a\0b", 3);
  EXPECT_EQ(refused(call("POST", batch,
                         {{"run_id", id},
                          {"metrics", metric},
                          {"params", json::array({{{"key", "p"}, {"value", "1"}}})},
                          {"tags", json::array({{{"key", "t"}, {"value", nul}}})}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(call("POST", batch,
                         {{"run_id", id},
                          {"metrics", metric},
                          {"params", json::array({{{"key", "p"}, {"value", nul}}})}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/runs/set-tag",
                         {{"run_id", id}, {"key", "t"}, {"value", nul}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/runs/log-parameter",
                         {{"run_id", id}, {"key", "p"}, {"value", nul}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_TRUE(ws_->store().metric_series(id, "m").empty());
  EXPECT_TRUE(ws_->store().run_params(id).empty());
  EXPECT_FALSE(ws_->store().get_run(id).tags.count("t"));
  EXPECT_EQ(refused(call(
                "POST", "/api/2.0/mlflow/experiments/create",
                {{"name", "with-nul"}, {"tags", json::array({{{"key", "t"}, {"value", nul}}})}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_FALSE(ws_->store().find_experiment("with-nul"));
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/experiments/set-experiment-tag",
                         {{"experiment_id", "0"}, {"key", nul}, {"value", "v"}})),
            "INVALID_PARAMETER_VALUE");
}

// An integer past int64 (a JSON number nlohmann reads as unsigned) is refused, not wrapped to a
// negative step.
TEST_F(MlflowApi, AnIntegerPastInt64IsRefusedNotWrapped) {
  const std::string id = new_run();
  const json big = json::parse("18446744073709551615");
  EXPECT_EQ(
      refused(call("POST", "/api/2.0/mlflow/runs/log-metric",
                   {{"run_id", id}, {"key", "m"}, {"value", 1}, {"timestamp", 1}, {"step", big}})),
      "INVALID_PARAMETER_VALUE");
  EXPECT_TRUE(ws_->store().metric_series(id, "m").empty());
  ok("POST", "/api/2.0/mlflow/runs/log-metric",
     {{"run_id", id},
      {"key", "m"},
      {"value", 1},
      {"timestamp", 1},
      {"step", json::parse("9223372036854775807")}});
  EXPECT_EQ(ws_->store().metric_series(id, "m").at(0).step, INT64_MAX);
}

TEST_F(MlflowApi, AParamLoggedAgainWithAnotherValueIsRefused) {
  const std::string id = new_run();
  ok("POST", "/api/2.0/mlflow/runs/log-parameter", {{"run_id", id}, {"key", "lr"}, {"value", "1"}});
  ok("POST", "/api/2.0/mlflow/runs/log-parameter", {{"run_id", id}, {"key", "lr"}, {"value", "1"}});
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/runs/log-parameter",
                         {{"run_id", id}, {"key", "lr"}, {"value", "2"}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(
      refused(call("POST", "/api/2.0/mlflow/runs/log-batch",
                   {{"run_id", id},
                    {"metrics", json::array({{{"key", "m"}, {"value", 1}, {"timestamp", 1}}})},
                    {"params", json::array({{{"key", "lr"}, {"value", "3"}}})}})),
      "INVALID_PARAMETER_VALUE");
  EXPECT_TRUE(ws_->store().metric_series(id, "m").empty());  // the batch wrote nothing
  EXPECT_EQ(ws_->store().run_params(id).at("lr"), "1");
}

TEST_F(MlflowApi, SearchFiltersOrdersAndPages) {
  const std::string exp =
      ok("POST", "/api/2.0/mlflow/experiments/create", {{"name", "sweep"}})["experiment_id"];
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(new_run(exp));
    ok("POST", "/api/2.0/mlflow/runs/log-batch",
       {{"run_id", ids.back()},
        {"metrics", json::array({{{"key", "acc"}, {"value", 0.5 + 0.1 * i}, {"timestamp", 1}}})},
        {"params", json::array({{{"key", "opt"}, {"value", i % 2 ? "adam" : "sgd"}}})}});
  }
  const json found = ok("POST", "/api/2.0/mlflow/runs/search",
                        {{"experiment_ids", {exp}},
                         {"filter", "metrics.acc > 0.55 AND params.opt = 'adam'"},
                         {"order_by", {"metrics.acc DESC"}}});
  ASSERT_EQ(found["runs"].size(), 2u);
  EXPECT_EQ(found["runs"][0]["info"]["run_id"], ids[3]);
  EXPECT_EQ(found["runs"][1]["info"]["run_id"], ids[1]);
  const json page1 =
      ok("POST", "/api/2.0/mlflow/runs/search",
         {{"experiment_ids", {exp}}, {"max_results", 3}, {"order_by", {"metrics.acc ASC"}}});
  ASSERT_EQ(page1["runs"].size(), 3u);
  EXPECT_EQ(page1["runs"][0]["info"]["run_id"], ids[0]);
  const json page2 = ok("POST", "/api/2.0/mlflow/runs/search",
                        {{"experiment_ids", {exp}},
                         {"max_results", 3},
                         {"order_by", {"metrics.acc ASC"}},
                         {"page_token", page1["next_page_token"]}});
  ASSERT_EQ(page2["runs"].size(), 1u);
  EXPECT_FALSE(page2.contains("next_page_token"));
  ok("POST", "/api/2.0/mlflow/runs/delete", {{"run_id", ids[0]}});
  EXPECT_EQ(ok("POST", "/api/2.0/mlflow/runs/search", {{"experiment_ids", {exp}}})["runs"].size(),
            3u);
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/runs/search",
                         {{"experiment_ids", {exp}}, {"filter", "metrics.acc = 'high'"}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/runs/search",
                         {{"experiment_ids", {exp}}, {"filter", "attributes.color = 'red'"}})),
            "INVALID_PARAMETER_VALUE");
}

TEST_F(MlflowApi, SearchResolvesStatusLifecycleExperimentAndArtifactUri) {
  const std::string exp =
      ok("POST", "/api/2.0/mlflow/experiments/create", {{"name", "resolved"}})["experiment_id"];
  const std::string a = new_run(exp), b = new_run(exp);
  ok("POST", "/api/2.0/mlflow/runs/update", {{"run_id", a}, {"status", "FINISHED"}});
  ok("POST", "/api/2.0/mlflow/runs/delete", {{"run_id", b}});
  auto search = [&](const json& extra) {
    json body = {{"experiment_ids", {exp}}, {"run_view_type", "ALL"}};
    body.update(extra);
    std::vector<std::string> out;
    const json found = ok("POST", "/api/2.0/mlflow/runs/search", body);
    for (const json& r : found["runs"]) out.push_back(r["info"]["run_id"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(search({{"filter", "attributes.status = 'FINISHED'"}}), V{a});
  EXPECT_EQ(search({{"filter", "attributes.status LIKE 'FIN%'"}}), V{a});
  EXPECT_EQ(search({{"filter", "attributes.status != 'FINISHED'"}}), V{b});
  EXPECT_EQ(search({{"filter", "attributes.lifecycle_stage = 'deleted'"}}), V{b});
  EXPECT_EQ(search({{"filter", "attributes.experiment_id = '" + exp + "'"}}).size(), 2u);
  EXPECT_EQ(search({{"filter", "attributes.experiment_id != '" + exp + "'"}}), V{});
  EXPECT_EQ(search({{"filter", "attributes.artifact_uri = '" + artifact_uri(exp, a) + "'"}}), V{a});
  EXPECT_EQ(search({{"filter", "attributes.artifact_uri != '" + artifact_uri(exp, a) + "'"}}),
            V{b});
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/runs/search",
                         {{"experiment_ids", {exp}}, {"order_by", {"attributes.status"}}})),
            "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/runs/search",
                         {{"experiment_ids", {exp}}, {"page_token", "not-a-token"}})),
            "INVALID_PARAMETER_VALUE");
}

TEST_F(MlflowApi, ARunNeverStartsBeforeItWasMade) {
  const json run = ok("POST", "/api/2.0/mlflow/runs/create",
                      {{"experiment_id", "0"}, {"start_time", 1000}})["run"];
  const auto record = ws_->store().get_run(run["info"]["run_id"]);
  EXPECT_EQ(run["info"]["start_time"], to_millis(record.created_at));
  const auto history = ws_->store().status_history(record.id);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_LE(history[0].at, history[1].at);
}

TEST_F(MlflowApi, EndpointsGliaLacksAnswerAsMlflowDoes) {
  const http::Response r = call("POST", "/api/2.0/mlflow/runs/log-inputs", {{"run_id", "x"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body).at("error_code"), "ENDPOINT_NOT_FOUND");
  // Glia keeps no logged models: a search finds none.
  EXPECT_EQ(
      ok("POST", "/api/2.0/mlflow/logged-models/search", {{"experiment_ids", {"0"}}})["models"],
      json::array());
}

TEST_F(MlflowApi, RolesAreChecked) {
  EXPECT_EQ(refused(call("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", {}, "")),
            "UNAUTHENTICATED");
  EXPECT_EQ(refused(call("POST", "/api/2.0/mlflow/experiments/create", {{"name", "x"}}, "reader")),
            "PERMISSION_DENIED");
  EXPECT_FALSE(ws_->store().find_experiment("x").has_value());
  EXPECT_EQ(call("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", {}, "reader").status,
            200);
}

// The bytes a streamed response writes.
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
