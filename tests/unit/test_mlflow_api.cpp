// MLflow's REST API over a real workspace, through the router (src/server/mlflow): experiments,
// runs, log-batch limits, params logged once, search, and MLflow's error bodies. The caller's role
// comes from a test header here; the live server's tokens are checked end to end by
// tests/mlflow/run.sh.
#include "mlflow_api_fixture.hpp"

namespace glia::server::mlflow {
namespace {

using namespace testing_mlflow;

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

// What the HTTP layer refuses on MLflow's routes (413 before a body is read, 416 for a Range
// past the end, a GET's body) carries MLflow's body too: every route, derived from the router,
// words those refusals as MLflow does.
TEST_F(MlflowApi, TheHttpLayersRefusalsAreMlflowBodies) {
  for (const auto& [method, pattern] : router_.routes()) {
    const auto m = router_.match(method, pattern);
    ASSERT_TRUE(m.handler) << method << " " << pattern;
    ASSERT_TRUE(m.options.error_body) << method << " " << pattern;
    const http::Response r = m.options.error_body(413, ErrorKind::InvalidArgument, "too large");
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(json::parse(r.body),
              json({{"error_code", "INVALID_PARAMETER_VALUE"}, {"message", "too large"}}));
  }
  const std::string run = new_run();
  ASSERT_EQ(put_artifact("0", run, "x.txt", "hi").status, 200);
  http::Request get;
  get.method = "GET";
  get.path = "/api/2.0/mlflow-artifacts/artifacts/0/" + run + "/artifacts/x.txt";
  get.headers = {{"X-Test-Role", "reader"}, {"Range", "bytes=100-200"}};
  const http::Response r = router_.dispatch(get);
  EXPECT_EQ(r.status, 416) << r.body;
  EXPECT_EQ(json::parse(r.body).at("error_code"), "INVALID_PARAMETER_VALUE") << r.body;
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

}  // namespace
}  // namespace glia::server::mlflow
