// The endpoint's routes over a real saved model (Router::dispatch, as the server calls it):
// readiness, the three scoring formats against the model's own predictions, keys (401 with
// WWW-Authenticate; health open), body limits (413), reloads (settings at once, a new model
// swapped in with no failed request under load, a failed reload keeping the old), /metrics and
// the access log.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "glia/glia.hpp"
#include "glia/saving.hpp"
#include "glia/serving/bearer_keys.hpp"
#include "glia/serving/endpoint.hpp"
#include "saved_reference_mlp.hpp"
#include "temp_dir.hpp"

namespace glia::serving {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void save_mlp(const fs::path& dir, uint64_t seed) {
  auto net = std::make_shared<Sequential>("mlp");
  net->add(std::make_shared<InputLayer>(Shape{4}, "in"));
  net->add(std::make_shared<Dense>(3, DenseOptions{.activation = "softmax", .name = "out"}));
  net->initialize_weights(seed);
  fs::create_directories(dir);
  save_model(*net, (dir / "model.keras").string());
}

std::vector<float> predict(const fs::path& dir, const std::vector<float>& row) {
  LoadedModel m = load_model(dir.string());
  Tensor x({1, 4});
  for (int i = 0; i < 4; ++i) x[i] = row[static_cast<size_t>(i)];
  const Tensor y = m.model->predict(x);
  return {y[0], y[1], y[2]};
}

class ServingEndpoint : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("serving");
    save_mlp(dir_ / "v1", 1);
    save_mlp(dir_ / "v2", 2);
    o_.name = "svc";
    o_.generation = 1;
    o_.model_name = "mnist";
    o_.model_version = 1;
    o_.model_dir = (dir_ / "v1").string();
    o_.max_queue_delay_us = 100;
    o_.max_body_bytes = 2000;
    o_.max_rows = 5;
    o_.auth_mode = "key";
    o_.key_sha256 = {key_sha256_hex("k1")};
    o_.access_log = (dir_ / "access.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void start() {
    ep_ = std::make_unique<Endpoint>(o_);
    ep_->add_routes(router_);
  }

  http::Response call(const std::string& method, const std::string& target,
                      const std::string& body = "", const std::string& key = "k1",
                      bool length = true) {
    http::Request r;
    r.method = method;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) {
      const std::string query = target.substr(q + 1);
      r.query.emplace(query.substr(0, query.find('=')), query.substr(query.find('=') + 1));
    }
    if (!key.empty()) r.headers.emplace("Authorization", "Bearer " + key);
    if (length) r.headers.emplace("Content-Length", std::to_string(body.size()));
    for (const auto& [k, v] : headers_) r.headers.emplace(k, v);
    auto b = std::make_shared<std::string>(body);
    r.read_body = [b](const http::ChunkReceiver& receive) {
      // In pieces, as a socket delivers it.
      for (size_t at = 0; at < b->size(); at += 700)
        if (!receive(b->data() + at, std::min<size_t>(700, b->size() - at))) return false;
      return true;
    };
    const auto t0 = std::chrono::steady_clock::now();
    http::Response res = router_.dispatch(r);
    ep_->on_request(r, res.status,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return res;
  }

  fs::path dir_;
  ServeOptions o_;
  http::Router router_;
  std::unique_ptr<Endpoint> ep_;
  std::vector<std::pair<std::string, std::string>> headers_;  // sent with every call
};

const std::vector<float> kRow = {0.2f, -1.0f, 0.5f, 3.0f};
const std::string kSeed = R"({"data": [[0.2, -1.0, 0.5, 3.0]]})";

int argmax3(const std::vector<float>& p) {
  return static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
}

TEST_F(ServingEndpoint, NotReadyUntilLoaded) {
  start();
  EXPECT_EQ(call("GET", "/v2/health/live", "", "").status, 200);
  EXPECT_EQ(call("GET", "/v2/health/ready", "", "").status, 503);
  EXPECT_EQ(call("GET", "/v2/models/mnist/ready", "", "").status, 503);
  EXPECT_EQ(call("POST", "/score", kSeed).status, 503);
  ep_->load();
  EXPECT_EQ(call("GET", "/v2/health/ready", "", "").status, 200);
  EXPECT_EQ(call("GET", "/ping", "", "").status, 200);
  EXPECT_EQ(ep_->served_generation(), 1);
}

TEST_F(ServingEndpoint, ScoresEveryFormatAsTheModelDoes) {
  start();
  ep_->load();
  const auto p = predict(dir_ / "v1", kRow);
  http::Response r = call("POST", "/score", kSeed);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), json::array({argmax3(p)}));
  r = call("POST", "/score?probabilities=true", kSeed);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NEAR(json::parse(r.body)["probabilities"][0][1].get<float>(), p[1], 1e-6);
  r = call("POST", "/invocations", R"({"inputs": [[0.2, -1.0, 0.5, 3.0]]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NEAR(json::parse(r.body)["predictions"][0][2].get<float>(), p[2], 1e-6);
  r = call("POST", "/v2/models/mnist/infer",
           R"({"inputs": [{"name": "in", "shape": [1, 4], "datatype": "FP32",
               "data": [0.2, -1.0, 0.5, 3.0]}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["outputs"][1]["data"][0], argmax3(p));
  EXPECT_EQ(call("POST", "/v2/models/mnist/versions/1/infer",
                 R"({"inputs": [{"name": "in", "shape": [1, 4], "datatype": "FP32",
                     "data": [0.2, -1.0, 0.5, 3.0]}]})")
                .status,
            200);
  EXPECT_EQ(call("POST", "/v2/models/other/infer", "{}").status, 404);
  EXPECT_EQ(call("GET", "/v2/models/mnist/versions/9").status, 404);
  EXPECT_EQ(json::parse(call("GET", "/v2/models/mnist").body)["inputs"][0]["name"], "in");
  // Bad requests: 400 with glia_http's error body.
  r = call("POST", "/score", R"({"data": [[1, 2, 3]]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["kind"], "invalid_argument");
  EXPECT_EQ(call("POST", "/score", R"({"data": [[1,2,3,4],[1,2,3,4],[1,2,3,4],[1,2,3,4],
                                     [1,2,3,4],[1,2,3,4]]})")
                .status,
            400);
  EXPECT_EQ(call("POST", "/score?probabilities=maybe", kSeed).status, 400);
  headers_ = {{"Content-Type", "text/csv"}};
  EXPECT_EQ(call("POST", "/invocations", "a,b,c,d\n1,2,3,4\n").status, 415);
  headers_.clear();
  // A query parameter a route does not take is refused, not ignored.
  EXPECT_EQ(call("POST", "/score?verbose=1", kSeed).status, 400);
  EXPECT_EQ(
      call("POST", "/invocations?format=split", R"({"inputs": [[0.2, -1.0, 0.5, 3.0]]})").status,
      400);
}

TEST_F(ServingEndpoint, KeysGuardEveryRouteButHealth) {
  start();
  ep_->load();
  for (const std::string key : {"", "wrong"}) {
    const http::Response r = call("POST", "/score", kSeed, key);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.headers.count("WWW-Authenticate"), 1u);
    EXPECT_EQ(call("GET", "/metrics", "", key).status, 401);
    EXPECT_EQ(call("POST", "/invocations", "{}", key).status, 401);
    EXPECT_EQ(call("GET", "/v2/models/mnist", "", key).status, 401);
    EXPECT_EQ(call("GET", "/v2/health/ready", "", key).status, 200);
    EXPECT_EQ(call("GET", "/v2/health/live", "", key).status, 200);
  }
  EXPECT_EQ(call("GET", "/metrics").status, 200);
}

TEST_F(ServingEndpoint, BodiesOverTheLimitAre413) {
  start();
  ep_->load();
  std::string big = R"({"data": [[)" + std::string(3000, ' ') + "1,2,3,4]]}";
  EXPECT_EQ(call("POST", "/score", big).status, 413);               // by Content-Length
  EXPECT_EQ(call("POST", "/score", big, "k1", false).status, 413);  // as it grows
  EXPECT_EQ(call("POST", "/score", kSeed, "k1", false).status, 200);
}

TEST_F(ServingEndpoint, ReloadAppliesSettingsAtOnceAndSwapsTheModel) {
  start();
  ep_->load();
  // Keys and limits only: applied at once, the model kept.
  ServeOptions next = o_;
  next.generation = 2;
  next.key_sha256 = {key_sha256_hex("k2")};
  next.max_body_bytes = 30;
  std::vector<std::string> reports;
  ep_->reload(next, [&](const std::string& s) { reports.push_back(s); });
  EXPECT_EQ(reports, std::vector<std::string>{"ready"});
  EXPECT_EQ(ep_->served_generation(), 2);
  EXPECT_EQ(call("POST", "/score", kSeed, "k1").status, 401);
  EXPECT_EQ(call("POST", "/score", kSeed, "k2").status, 413);
  next.max_body_bytes = 2000;
  next.generation = 3;
  ep_->reload(next);
  EXPECT_EQ(call("POST", "/score", kSeed, "k2").status, 200);

  // A new model version, swapped in while clients score: no request fails.
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0}, answered{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&] {
      while (!stop) {
        const http::Response r = call("POST", "/score", kSeed, "k2");
        if (r.status != 200) ++failed;
        ++answered;
      }
    });
  while (answered < 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  next.generation = 4;
  next.model_version = 2;
  next.model_dir = (dir_ / "v2").string();
  reports.clear();
  ep_->reload(next, [&](const std::string& s) { reports.push_back(s); });
  const int at_swap = answered;
  while (answered < at_swap + 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop = true;
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ((reports), (std::vector<std::string>{"loading", "ready"}));
  EXPECT_EQ(ep_->served_generation(), 4);
  EXPECT_EQ(ep_->served_model_version(), 2);
  const auto p2 = predict(dir_ / "v2", kRow);
  const http::Response r = call("POST", "/score?probabilities=true", kSeed, "k2");
  EXPECT_NEAR(json::parse(r.body)["probabilities"][0][0].get<float>(), p2[0], 1e-6);
  EXPECT_EQ(json::parse(call("GET", "/v2/models/mnist", "", "k2").body)["versions"][0], "2");

  // A model that does not load: refused, the old one goes on.
  next.generation = 5;
  next.model_version = 3;
  next.model_dir = (dir_ / "missing").string();
  EXPECT_THROW(ep_->reload(next), Error);
  EXPECT_EQ(ep_->served_generation(), 4);
  EXPECT_EQ(ep_->served_model_version(), 2);
  EXPECT_EQ(call("POST", "/score", kSeed, "k2").status, 200);
  // Options out of range: refused, nothing changes.
  next.max_rows = 0;
  EXPECT_THROW(ep_->reload(next), Error);
  EXPECT_EQ(call("POST", "/score", kSeed, "k2").status, 200);
  EXPECT_NE(ep_->metrics_text().find("glia_endpoint_reloads_total{result=\"failed\"} 2"),
            std::string::npos);
}

TEST_F(ServingEndpoint, MetricsAndAccessLog) {
  start();
  ep_->load();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(call("POST", "/score", kSeed).status, 200);
  ASSERT_EQ(call("POST", "/score", "{").status, 400);
  ASSERT_EQ(call("GET", "/nowhere").status, 404);
  const std::string m = call("GET", "/metrics").body;
  EXPECT_NE(m.find("glia_endpoint_requests_total{route=\"/score\",code=\"200\"} 3"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("glia_endpoint_requests_total{route=\"/score\",code=\"400\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("glia_endpoint_requests_total{route=\"other\",code=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("glia_endpoint_batch_size_count 3"), std::string::npos);
  EXPECT_NE(m.find("glia_endpoint_queue_seconds_count 3"), std::string::npos);
  EXPECT_NE(m.find("glia_endpoint_request_duration_seconds_count{route=\"/score\"} 4"),
            std::string::npos);
  EXPECT_NE(m.find("glia_endpoint_model_version{endpoint=\"svc\",model=\"mnist\",version=\"1\","
                   "generation=\"1\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("glia_endpoint_queue_depth 0"), std::string::npos);
  std::ifstream log(dir_ / "access.log");
  std::vector<std::string> lines;
  for (std::string line; std::getline(log, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_NE(lines[0].find(" POST /score 200 "), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].substr(lines[0].size() - 2), " 1");  // rows
  EXPECT_NE(lines[4].find(" GET /nowhere 404 "), std::string::npos) << lines[4];
  EXPECT_NE(lines[5].find(" GET /metrics 200 "), std::string::npos) << lines[5];
}

TEST_F(ServingEndpoint, RefusesBadOptions) {
  o_.key_sha256.clear();
  EXPECT_THROW(start(), Error);
  o_.auth_mode = "none";
  o_.instances = 0;
  EXPECT_THROW(start(), Error);
  o_.instances = 1;
  o_.max_queue_delay_us = 5000;
  o_.request_timeout_ms = 5;
  EXPECT_THROW(start(), Error);
  o_.request_timeout_ms = 1000;
  o_.instances = 2;
  o_.threads_per_instance = 2;
  start();
  ep_->load();
  EXPECT_EQ(call("POST", "/score", kSeed, "").status, 200);  // auth none
}

// The realm of WWW-Authenticate is the endpoint's name as an HTTP quoted-string: a name with a
// quote or a line break (a config written by hand) made a header the server refuses, so every
// request without a valid key was answered 500 instead of 401.
TEST_F(ServingEndpoint, TheRealmIsAQuotedStringWhateverTheName) {
  o_.name = "a\"b\\c\nd";
  start();
  ep_->load();
  const http::Response r = call("POST", "/score", kSeed, "wrong");
  EXPECT_EQ(r.status, 401);
  ASSERT_EQ(r.headers.count("WWW-Authenticate"), 1u);
  const std::string value = r.headers.find("WWW-Authenticate")->second;
  EXPECT_EQ(value.find_first_of("\r\n"), std::string::npos) << value;
  EXPECT_EQ(value, R"(Bearer realm="a\"b\\c\\nd")");
}

}  // namespace
}  // namespace glia::serving
