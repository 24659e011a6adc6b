// The REST API's handlers, driven through Router::dispatch on a real temporary workspace with real
// users and tokens: authorization, the views (the CLI's JSON), filters, batches all or none,
// uploads (traversal refused with nothing written), ranges, cancel, compute writes, and the
// OpenAPI document checked against the routes both ways.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

#include "glia/http/router.hpp"
#include "glia/platform/access.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/endpoints.hpp"
#include "glia/platform/json_views.hpp"
#include "server/api/api.hpp"
#include "server/routes.hpp"
#include "server_api_fixture.hpp"

namespace glia::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using testing_api::ServerApiTest;

TEST_F(ServerApiTest, NoTokenIs401WrongRoleIs403OtherWorkspacesAre404) {
  EXPECT_EQ(call("GET", api_ + "/runs", "").status, 401);
  EXPECT_EQ(call("GET", api_ + "/runs", "glia_bogus_token").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/workspaces/elsewhere/runs", "").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/workspaces/elsewhere/runs", reader_).status, 404);
  // MLflow's API under /mlflow/{ws} alike: no token is a 401 before the workspace's name is
  // looked at (a 404 there would tell a caller without a token which workspaces exist).
  const std::string search = "/api/2.0/mlflow/experiments/search";
  EXPECT_EQ(call("GET", "/mlflow/elsewhere" + search, "").status, 401);
  EXPECT_EQ(call("GET", "/mlflow/team" + search, "").status, 401);
  EXPECT_EQ(call("GET", "/mlflow/elsewhere" + search, reader_).status, 404);
  EXPECT_EQ(call("GET", "/mlflow/team" + search, reader_).status, 200);
  EXPECT_EQ(call("GET", api_ + "/runs", reader_).status, 200);
  const auto denied = call("POST", api_ + "/runs/" + run_ + "/metrics", reader_,
                           R"([{"name": "loss", "value": 1}])");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(body_of(denied)["error"]["kind"], "permission_denied");
  EXPECT_TRUE(ws().store().latest_metrics(run_).empty());
  EXPECT_EQ(call("POST", api_ + "/computes", contributor_, R"({"name": "gpu"})").status, 403);
  EXPECT_EQ(call("POST", api_ + "/runs/" + run_ + "/cancel", reader_).status, 403);
}

TEST_F(ServerApiTest, BodiesAreTheCliJsonViews) {
  const auto show = call("GET", api_ + "/runs/" + run_, reader_);
  ASSERT_EQ(show.status, 200) << show.body;
  EXPECT_EQ(body_of(show), platform::run_show_json(ws(), run_));
  EXPECT_EQ(body_of(call("GET", api_ + "/jobs/" + run_, reader_)), body_of(show));
  const auto computes = call("GET", api_ + "/computes/local", reader_);
  EXPECT_EQ(body_of(computes), platform::compute_json(ws(), ws().store().get_compute("local")));
  EXPECT_EQ(body_of(call("GET", api_ + "/runs/nope", reader_)).at("error").at("kind"), "not_found");
}

TEST_F(ServerApiTest, ListsRunsWithTheCliFiltersAndRefusesBadOnes) {
  auto ids = [&](const std::string& query) {
    const auto r = call("GET", api_ + "/runs" + query, reader_);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::vector<std::string> out;
    for (const auto& run : body_of(r)) out.push_back(run["id"]);
    return out;
  };
  EXPECT_EQ(ids("?experiment=exp"), std::vector<std::string>{run_});
  EXPECT_EQ(ids("?status=Queued"), std::vector<std::string>{run_});
  EXPECT_EQ(ids("?limit=1&oldest_first=true"), std::vector<std::string>{run_});
  EXPECT_EQ(ids("?limit=1"), std::vector<std::string>{other_});
  EXPECT_EQ(ids("?compute=nowhere").size(), 0u);
  for (const char* bad : {"?limit=0", "?limit=x", "?status=Sleeping", "?oldest_first=yes",
                          "?colour=red", "?limit=1&limit=2"})
    EXPECT_EQ(call("GET", api_ + "/runs" + bad, reader_).status, 400) << bad;
  EXPECT_EQ(call("GET", api_ + "/runs?parent=nope", reader_).status, 404);
}

TEST_F(ServerApiTest, AMetricBatchRetriedWithItsIdempotencyKeyIsLoggedOnce) {
  const std::string metrics = api_ + "/runs/" + run_;
  const std::string batch = R"([{"name": "loss", "value": 1}, {"name": "loss", "value": 2}])";
  const http::Headers key = {{"Idempotency-Key", "\"8e03978e-40d5-43e8-bc93-6894a57f9324\""}};
  const auto first = call("POST", metrics + "/metrics", contributor_, batch, key);
  ASSERT_EQ(first.status, 201) << first.body;
  // The retry (its first answer lost): the same answer, and the values are stored once.
  const auto retry = call("POST", metrics + "/metrics", contributor_, batch, key);
  EXPECT_EQ(retry.status, 201) << retry.body;
  EXPECT_EQ(body_of(retry), body_of(first));
  EXPECT_EQ(ws().store().metric_series(run_, "loss").size(), 2u);
  // The key reused for another body: 409, nothing written.
  const auto other =
      call("POST", metrics + "/metrics", contributor_, R"([{"name": "loss", "value": 3}])", key);
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_EQ(ws().store().metric_series(run_, "loss").size(), 2u);
  // A bare key is taken too; without a key every POST is applied.
  const http::Headers bare = {{"Idempotency-Key", "retry-me"}};
  EXPECT_EQ(call("POST", metrics + "/metrics", contributor_, batch, bare).status, 201);
  EXPECT_EQ(call("POST", metrics + "/metrics", contributor_, batch, bare).status, 201);
  EXPECT_EQ(ws().store().metric_series(run_, "loss").size(), 4u);
  EXPECT_EQ(call("POST", metrics + "/metrics", contributor_, batch).status, 201);
  EXPECT_EQ(ws().store().metric_series(run_, "loss").size(), 6u);
  // A key that is not 1-255 printable characters: 400, nothing written.
  for (const std::string& bad : {std::string("\"\""), std::string(256, 'k'), std::string("a\tb")}) {
    const auto refused =
        call("POST", metrics + "/metrics", contributor_, batch, {{"Idempotency-Key", bad}});
    EXPECT_EQ(refused.status, 400) << bad << ": " << refused.body;
  }
  EXPECT_EQ(ws().store().metric_series(run_, "loss").size(), 6u);
}

TEST_F(ServerApiTest, MetricBatchesAreAllOrNoneAndHistoriesDownsample) {
  const std::string metrics = api_ + "/runs/" + run_ + "/metrics";
  // The second value is not a number: nothing of the batch is stored.
  const auto bad = call("POST", metrics, contributor_,
                        R"([{"name": "loss", "value": 1}, {"name": "loss", "value": "x"}])");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(ws().store().latest_metrics(run_).empty());
  for (const char* refused : {R"([])", R"({"name": "loss"})", R"([{"name": "", "value": 1}])",
                              R"([{"name": "a", "value": 1, "colour": 2}])",
                              R"([{"name": "a", "value": 1, "step": -1}])"})
    EXPECT_EQ(call("POST", metrics, contributor_, refused).status, 400) << refused;
  json batch = json::array();
  for (int i = 0; i < 1000; ++i)
    batch.push_back({{"name", "loss"}, {"value", 1000 - i}, {"step", i}});
  batch.push_back({{"name", "acc"}, {"value", 0.5}});
  const auto ok = call("POST", metrics, contributor_, batch.dump());
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(body_of(ok)["logged"], 1001);
  const json latest = body_of(call("GET", metrics, reader_));
  EXPECT_EQ(latest["loss"]["step"], 999);
  EXPECT_EQ(latest["acc"]["value"], 0.5);

  const json whole = body_of(call("GET", metrics + "/loss", reader_));
  EXPECT_EQ(whole["points"].size(), 1000u);
  EXPECT_FALSE(whole["downsampled"]);
  for (const char* method : {"lttb", "minmax"}) {
    const auto r = call("GET", metrics + "/loss?max_points=50&method=" + method, reader_);
    ASSERT_EQ(r.status, 200) << r.body;
    const json j = body_of(r);
    EXPECT_TRUE(j["downsampled"]);
    EXPECT_EQ(j["total"], 1000);
    EXPECT_LE(j["points"].size(), 50u);
    EXPECT_EQ(j["points"].front()["step"], 0);
    EXPECT_EQ(j["points"].back()["step"], 999);
  }
  EXPECT_EQ(call("GET", metrics + "/loss?max_points=2", reader_).status, 400);
  EXPECT_EQ(call("GET", metrics + "/loss?max_points=10&method=mean", reader_).status, 400);
  EXPECT_EQ(call("GET", metrics + "/nothing", reader_).status, 404);
}

TEST_F(ServerApiTest, UploadsAreStreamedTraversalsRefusedWithNothingWritten) {
  const std::string files = api_ + "/runs/" + run_ + "/files/";
  std::string bytes;
  for (int i = 0; i < 5000; ++i) bytes += static_cast<char>(i * 7);
  const auto put = call("PUT", files + "outputs/model/weights.bin", contributor_, bytes);
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(body_of(put)["size"], 5000);
  ASSERT_EQ(ws().store().run_files(run_).size(), 1u);
  const auto blobs_before = std::distance(fs::recursive_directory_iterator(ws().artifacts_path()),
                                          fs::recursive_directory_iterator());
  for (const char* bad : {"../escape", "outputs/../../escape", "outputs//x", "./x"}) {
    const auto r = call("PUT", files + bad, contributor_, "evil");
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  EXPECT_EQ(ws().store().run_files(run_).size(), 1u);
  EXPECT_EQ(std::distance(fs::recursive_directory_iterator(ws().artifacts_path()),
                          fs::recursive_directory_iterator()),
            blobs_before);
  EXPECT_FALSE(fs::exists(dir_ / "ws" / "escape"));
  EXPECT_EQ(call("PUT", files + "x.txt", reader_, "x").status, 403);
  // No body at all is refused; an empty file says so with Content-Length: 0.
  EXPECT_EQ(call("PUT", files + "empty.txt", contributor_, "").status, 400);
  EXPECT_EQ(call("PUT", files + "empty.txt", contributor_, "", {{"Content-Length", "0"}}).status,
            201);
  ASSERT_EQ(ws().store().run_files(run_).size(), 2u);

  const json list = body_of(call("GET", api_ + "/runs/" + run_ + "/files", reader_));
  EXPECT_EQ(list, platform::run_files_json(ws().store().run_files(run_)));
  const auto whole = call("GET", files + "outputs/model/weights.bin", reader_);
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(streamed(whole), bytes);
  const auto part =
      call("GET", files + "outputs/model/weights.bin", reader_, "", {{"Range", "bytes=100-199"}});
  ASSERT_EQ(part.status, 206);
  EXPECT_EQ(streamed(part), bytes.substr(100, 100));
  EXPECT_EQ(
      call("GET", files + "outputs/model/weights.bin", reader_, "", {{"Range", "bytes=9000-"}})
          .status,
      416);
  EXPECT_EQ(call("GET", files + "missing.bin", reader_).status, 404);
}

// Regression: "outputs/a.txt" and "outputs/a.txt/b.txt" were both stored (201), and the run could
// then not be downloaded. Refused before the body is read: nothing is stored.
TEST_F(ServerApiTest, AnUploadMakingAPathAFileAndAFolderIsAConflict) {
  const std::string files = api_ + "/runs/" + run_ + "/files/";
  ASSERT_EQ(call("PUT", files + "outputs/a.txt", contributor_, "hello").status, 201);
  ASSERT_EQ(call("PUT", files + "outputs/m/model.json", contributor_, "{}").status, 201);
  const auto blobs_before = std::distance(fs::recursive_directory_iterator(ws().artifacts_path()),
                                          fs::recursive_directory_iterator());
  for (const char* bad : {"outputs/a.txt/b.txt", "outputs/m", "outputs/m/model.json/x"}) {
    const auto r = call("PUT", files + bad, contributor_, "world");
    EXPECT_EQ(r.status, 409) << bad << ": " << r.body;
    EXPECT_EQ(body_of(r)["error"]["kind"], "conflict") << bad;
  }
  EXPECT_EQ(ws().store().run_files(run_).size(), 2u);
  EXPECT_EQ(std::distance(fs::recursive_directory_iterator(ws().artifacts_path()),
                          fs::recursive_directory_iterator()),
            blobs_before);
  EXPECT_EQ(call("PUT", files + "outputs/a.txt", contributor_, "again").status, 201);  // replaced
}

TEST_F(ServerApiTest, CancelTagsAndComputeWrites) {
  const auto tags =
      call("PATCH", api_ + "/runs/" + run_ + "/tags", contributor_, R"({"stage": "tuned"})");
  ASSERT_EQ(tags.status, 200) << tags.body;
  EXPECT_EQ(body_of(tags)["tags"], json({{"stage", "tuned"}, {"team", "ml"}}));
  // An empty tag name, or a NUL byte in a name or value (which PostgreSQL cannot store): a 400 on
  // every store, nothing written.
  for (const char* bad : {R"({"": "x", "ok": "1"})", R"({"ok": "1", "a\u0000b": "x"})",
                          R"({"ok": "1", "ab": "x\u0000y"})"}) {
    const auto r = call("PATCH", api_ + "/runs/" + run_ + "/tags", contributor_, bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  EXPECT_FALSE(ws().store().get_run(run_).tags.count("ok"));
  EXPECT_EQ(call("PATCH", api_ + "/runs/" + run_ + "/tags", contributor_, R"({"a": 1})").status,
            400);

  const auto cancel = call("POST", api_ + "/runs/" + run_ + "/cancel", contributor_);
  ASSERT_EQ(cancel.status, 202) << cancel.body;
  EXPECT_EQ(body_of(cancel)["status"], "CancelRequested");
  ws().store().set_status(run_, platform::RunStatus::Canceled, platform::now_seconds());
  const auto again = call("POST", api_ + "/runs/" + run_ + "/cancel", contributor_);
  EXPECT_EQ(again.status, 409);
  // A run its own program logs to (not a job) is not canceled here.
  EXPECT_EQ(call("POST", api_ + "/runs/" + other_ + "/cancel", contributor_).status, 400);

  const auto created = call("POST", api_ + "/computes", owner_,
                            R"({"name": "gpu", "max_concurrent": 3, "description": "big"})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(ws().store().get_compute("gpu").max_concurrent, 3);
  EXPECT_EQ(call("POST", api_ + "/computes", owner_, R"({"name": "gpu"})").status, 409);
  EXPECT_EQ(call("POST", api_ + "/computes", owner_, R"({"name": "a/b"})").status, 400);
  EXPECT_EQ(call("POST", api_ + "/computes", owner_, R"({"name": "c", "speed": 1})").status, 400);
  const auto updated = call("PATCH", api_ + "/computes/gpu", owner_, R"({"threads_per_job": 4})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(ws().store().get_compute("gpu").threads_per_job, 4);
  EXPECT_EQ(call("PATCH", api_ + "/computes/gpu", owner_, "{}").status, 400);
  EXPECT_EQ(call("PATCH", api_ + "/computes/none", owner_, R"({"description": "x"})").status, 404);
}

// A header read as one value and sent twice is refused: a second Idempotency-Key is not dropped
// (a retry with it would be applied again), nor a second Authorization.
TEST_F(ServerApiTest, ASingleValuedHeaderSentTwiceIs400) {
  const std::string metrics = api_ + "/runs/" + run_ + "/metrics";
  const std::string batch = R"([{"name": "m", "value": 1}])";
  auto r = call("POST", metrics, contributor_, batch,
                {{"Idempotency-Key", "k3"}, {"Idempotency-Key", "k4"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(body_of(r)["error"]["message"].get<std::string>().find("Idempotency-Key"),
            std::string::npos)
      << r.body;
  EXPECT_TRUE(ws().store().latest_metrics(run_).empty());
  r = call("GET", api_ + "/runs", reader_, "", {{"Authorization", "Bearer " + owner_}});
  EXPECT_EQ(r.status, 400) << r.body;
}

// A number beyond a double (1e400) is valid JSON syntax the parser cannot hold: a 400 on every
// route that reads a JSON body (they all read it through Request::json_body), never a 500.
TEST_F(ServerApiTest, ANumberBeyondADoubleInAnyBodyIs400) {
  const std::string metrics = api_ + "/runs/" + run_ + "/metrics";
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> calls = {
      {"POST", metrics, contributor_, R"([{"name": "m", "value": 1e400}])"},
      {"PATCH", api_ + "/runs/" + run_ + "/tags", contributor_, R"({"a": "b", "x": 1e400})"},
      {"POST", api_ + "/computes", owner_, R"({"name": "gpu", "max_concurrent": 1e400})"},
      {"POST", api_ + "/endpoints", contributor_, R"({"name": "e", "model": "m:1", "x": -1e400})"},
      {"POST", "/ui/login", "", R"({"token": "t", "x": 1e400})"}};
  for (const auto& [method, path, token, body] : calls) {
    http::Headers ui = {{"X-Glia-UI", "1"}};
    const auto r = call(method, path, token, body, ui);
    EXPECT_EQ(r.status, 400) << method << " " << path << ": " << r.body;
    EXPECT_EQ(body_of(r)["error"]["kind"], "invalid_argument") << r.body;
  }
  EXPECT_TRUE(ws().store().latest_metrics(run_).empty());
  // MLflow's routes (served at the root for the one workspace): INVALID_PARAMETER_VALUE.
  const std::string mlflow = "/api/2.0/mlflow/";
  for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
           {"experiments/create", R"({"name": "e1", "unused": 1e400})"},
           {"runs/log-metric",
            R"({"run_id": ")" + run_ + R"(", "key": "m", "value": 1e400, "timestamp": 1})"},
           {"runs/log-batch", R"({"run_id": ")" + run_ + R"(", "metrics": [{"value": 1e400}]})"}}) {
    const auto r = call("POST", mlflow + path, contributor_, body);
    EXPECT_EQ(r.status, 400) << path << ": " << r.body;
    EXPECT_EQ(body_of(r)["error_code"], "INVALID_PARAMETER_VALUE") << r.body;
  }
}

// An endpoint setting of the wrong type, or out of its range, is refused naming the setting's own
// range (instances: 1 to 64), read from the platform's table that create and update check.
TEST_F(ServerApiTest, AnEndpointSettingOfTheWrongTypeNamesItsRange) {
  for (const auto& range : platform::endpoint_setting_ranges()) {
    const std::string expected = std::string("'") + range.name + "': expected an integer " +
                                 std::to_string(range.min) + " to " + std::to_string(range.max);
    for (const json& value : {json(2.5), json("2")}) {
      const json body = {{"name", "e"}, {"model", "m:1"}, {range.name, value}};
      const auto r = call("POST", api_ + "/endpoints", contributor_, body.dump());
      EXPECT_EQ(r.status, 400) << r.body;
      EXPECT_EQ(body_of(r)["error"]["message"], expected) << r.body;
    }
  }
}

// The tag mlflow.runName repeats the run's display name, set once: the REST API refuses another
// value as MLflow's set-tag does, so both APIs show one name.
TEST_F(ServerApiTest, TheRunNameTagCannotRenameARun) {
  const std::string tags = api_ + "/runs/" + run_ + "/tags";
  const std::string name = ws().store().get_run(run_).display_name;
  const auto r = call("PATCH", tags, contributor_, R"({"mlflow.runName": "renamed", "a": "b"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(body_of(r)["error"]["kind"], "invalid_argument");
  const auto run = ws().store().get_run(run_);
  EXPECT_EQ(run.tags.count("mlflow.runName"), 0u);
  EXPECT_EQ(run.tags.count("a"), 0u);  // nothing of the refused body
  const auto mlflow =
      call("POST", "/api/2.0/mlflow/runs/set-tag", contributor_,
           json{{"run_id", run_}, {"key", "mlflow.runName"}, {"value", "renamed"}}.dump());
  EXPECT_EQ(mlflow.status, 400) << mlflow.body;
  EXPECT_EQ(call("PATCH", tags, contributor_, json{{"mlflow.runName", name}}.dump()).status, 200);
}

// The OpenAPI document and the routes, both ways: a route added without documenting it (or a
// documented path left without a route) fails here.
TEST_F(ServerApiTest, OpenApiDocumentsExactlyTheRoutes) {
  const auto r = call("GET", "/api/v1/openapi.json", "");  // no token needed
  ASSERT_EQ(r.status, 200);
  const json doc = body_of(r);
  EXPECT_EQ(doc, api::openapi_document());
  std::set<std::pair<std::string, std::string>> routes, documented;
  for (auto [method, pattern] : router_.routes()) {
    if (pattern.rfind("/api/v1/", 0) != 0) continue;
    pattern = std::regex_replace(pattern, std::regex(R"(\{(\w+)\.\.\.\})"), "{$1}");
    for (char& c : method) c = static_cast<char>(std::tolower(c));
    routes.emplace(method, pattern);
  }
  for (const auto& [path, operations] : doc.at("paths").items())
    for (const auto& [method, op] : operations.items()) documented.emplace(method, path);
  for (const auto& route : routes)
    EXPECT_TRUE(documented.count(route)) << route.first << " " << route.second << " undocumented";
  for (const auto& op : documented)
    EXPECT_TRUE(routes.count(op)) << op.first << " " << op.second << " documented, no route";
  // Every $ref names a schema that exists.
  const std::string text = doc.dump();
  const std::regex ref(R"#("\$ref":"#/components/schemas/(\w+)")#");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), ref); it != std::sregex_iterator();
       ++it)
    EXPECT_TRUE(doc["components"]["schemas"].contains((*it)[1].str())) << (*it)[1].str();
}

}  // namespace
}  // namespace glia::server
