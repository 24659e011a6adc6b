// The REST routes the web view added: the runs search (filter, sort, pages, total, bad input) and
// a run's Server-Sent Events (the events in order for a run that logs points and ends; a client
// that goes away ends the stream), through Router::dispatch on a real workspace.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "glia/platform/clock.hpp"
#include "glia/platform/downsample.hpp"
#include "server_api_fixture.hpp"

namespace glia::server {
namespace {

using nlohmann::json;
using testing_api::ServerApiTest;
using namespace std::chrono_literals;

class WebviewApiTest : public ServerApiTest {
 protected:
  // Runs s0..s{n-1} in experiment "sweep": acc = i / 10 (s3 has none), lr param, team tag.
  void seed(int n) {
    auto& store = ws().store();
    for (int i = 0; i < n; ++i) {
      platform::NewRun run;
      run.experiment = "sweep";
      run.command = "x";
      run.tags = {{"team", i % 2 ? "b" : "a"}};
      const std::string id = store.create_run(run).id;
      store.set_status(id, platform::RunStatus::Running, 1000.0 + i);
      if (i != 3) store.log_metrics(id, {{"acc", 0, i / 10.0, 1000.0 + i}});
      store.log_params(id, {{"lr", std::to_string(i)}});
      ids_.push_back(id);
    }
  }
  json search(const std::string& query, int status = 200) {
    const auto r = call("GET", api_ + "/runs/search?" + query, reader_);
    EXPECT_EQ(r.status, status) << query << ": " << r.body;
    return r.status == 200 ? body_of(r) : json();
  }
  std::vector<std::string> ids_;
};

TEST_F(WebviewApiTest, SearchMarksSweepsAndTheirTrials) {
  platform::NewRun sweep;
  sweep.experiment = "tuning";
  sweep.command = "x";
  sweep.job_type = "sweep";
  const std::string sweep_id = ws().store().create_run(sweep).id;
  platform::NewRun trial;
  trial.experiment = "tuning";
  trial.command = "x";
  trial.parent_id = sweep_id;
  trial.trial_index = 0;
  trial.trial_parameters = "{}";
  const std::string trial_id = ws().store().create_run(trial).id;
  int marked = 0;
  const json found = search("experiment=tuning");
  for (const auto& r : found["runs"]) {
    if (r["id"] == sweep_id && r.value("job_type", json()) == "sweep") ++marked;
    if (r["id"] == trial_id && r.value("parent", "") == sweep_id) ++marked;
  }
  EXPECT_EQ(marked, 2) << found.dump();
}

TEST_F(WebviewApiTest, SearchFiltersSortsPagesAndCounts) {
  seed(8);
  json all = search("experiment=sweep&order_by=metrics.acc DESC");
  EXPECT_EQ(all["total"], 8);
  ASSERT_EQ(all["runs"].size(), 8u);
  EXPECT_EQ(all["runs"][0]["id"], ids_[7]);
  EXPECT_EQ(all["runs"][0]["metrics"]["acc"], 0.7);
  EXPECT_EQ(all["runs"][0]["params"]["lr"], "7");
  EXPECT_EQ(all["runs"][7]["id"], ids_[3]);  // no acc: last
  // What the table marks a sweep and a trial by: job_type always, parent for a trial.
  ASSERT_TRUE(all["runs"][0].contains("job_type"));
  EXPECT_TRUE(all["runs"][0]["job_type"].is_null());
  EXPECT_FALSE(all["runs"][0].contains("parent"));
  EXPECT_EQ(all["next_page_token"], "");

  json f = search("experiment=sweep&filter=metrics.acc > 0.35 and tags.team = 'a'");
  EXPECT_EQ(f["total"], 2);  // s4, s6
  std::set<std::string> got;
  for (const auto& r : f["runs"]) got.insert(r["id"]);
  EXPECT_EQ(got, (std::set<std::string>{ids_[4], ids_[6]}));

  // Pages of 3 in params.lr order (text), two clauses (comma and repeated), each run once.
  std::vector<std::string> paged;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    json p = search("experiment=sweep&order_by=params.lr,attributes.run_id DESC&limit=3" +
                    (token.empty() ? "" : "&page_token=" + token));
    EXPECT_EQ(p["total"], 8);
    for (const auto& r : p["runs"]) paged.push_back(r["id"]);
    token = p["next_page_token"];
    if (token.empty()) break;
  }
  EXPECT_EQ(paged, ids_);
  json repeated = search("experiment=sweep&order_by=params.lr&order_by=attributes.run_id&limit=2");
  EXPECT_EQ(repeated["runs"][0]["id"], ids_[0]);

  // Every experiment when none is named; the status attribute is Glia's.
  EXPECT_EQ(search("")["total"], 10);  // + the fixture's two runs
  EXPECT_EQ(search("filter=attributes.status = 'Queued'")["total"], 1);
  EXPECT_EQ(search("limit=1")["runs"].size(), 1u);

  search("filter=metrics.acc >", 400);
  search("filter=bogus.x = 1", 400);
  search("filter=metrics.acc = 'text'", 400);
  search("filter=attributes.nothing = 'x'", 400);
  search("order_by=attributes.nothing", 400);
  search("order_by=metrics.acc,", 400);
  search("limit=0", 400);
  search("limit=1001", 400);
  search("page_token=zz", 400);
  search("unknown=1", 400);
  search("experiment=none", 404);
  EXPECT_EQ(call("GET", api_ + "/runs/search", "").status, 401);
}

// A sink that keeps the events (thread-safe to read while the stream writes) and can go away.
class EventSink : public http::BodySink {
 public:
  bool write(const char* data, size_t size) override {
    std::lock_guard lock(mu_);
    if (gone_after_ >= 0 && writes_ >= gone_after_) return false;
    ++writes_;
    bytes_.append(data, size);
    return true;
  }
  bool stopping() const override { return stopping_; }
  std::string bytes() {
    std::lock_guard lock(mu_);
    return bytes_;
  }
  // The events' names in order.
  std::vector<std::string> names() {
    std::vector<std::string> out;
    const std::string all = bytes();
    for (size_t p = all.find("event: "); p != std::string::npos; p = all.find("event: ", p + 1))
      out.push_back(all.substr(p + 7, all.find('\n', p) - p - 7));
    return out;
  }
  int gone_after_ = -1;  // writes accepted before the client goes (-1: never)
  std::atomic<bool> stopping_{false};

 private:
  std::mutex mu_;
  int writes_ = 0;
  std::string bytes_;
};

TEST_F(WebviewApiTest, PagesWithTiesAndMissingValuesHoldEveryRunOnceAsTheTotalSays) {
  // Ties in the first key (one start time for all, so only the id breaks them), runs without the
  // metric and a NaN latest value (no value), pages crossing from the runs with the metric to
  // those without, a filter on the metric ordered by.
  auto& store = ws().store();
  std::set<std::string> want, want_filtered;
  for (int i = 0; i < 23; ++i) {
    platform::NewRun run;
    run.experiment = "ties";
    run.command = "x";
    const std::string id = store.create_run(run).id;
    store.set_status(id, platform::RunStatus::Running, 5000.0);
    if (i % 4 == 1)
      store.log_metrics(id, {{"acc", 0, std::nan(""), 1.0}});
    else if (i % 4 != 3)
      store.log_metrics(id, {{"acc", 0, i % 3 ? 0.5 : 0.25, 1.0}});
    if (i % 4 != 1 && i % 4 != 3 && i % 3) want_filtered.insert(id);
    want.insert(id);
  }
  for (const std::string order :
       {"metrics.acc DESC", "metrics.acc", "attributes.start_time", "metrics.acc DESC, params.x"}) {
    for (const std::string filter : {"", "&filter=metrics.acc >= 0.5"}) {
      for (int limit : {1, 2, 3, 5}) {
        std::vector<std::string> paged;
        std::string token;
        int64_t total = -1;
        for (int page = 0; page < 40; ++page) {
          json p = search("experiment=ties&order_by=" + order + filter + "&limit=" +
                          std::to_string(limit) + (token.empty() ? "" : "&page_token=" + token));
          total = p["total"];
          for (const auto& r : p["runs"]) paged.push_back(r["id"]);
          token = p["next_page_token"];
          if (token.empty()) break;
        }
        const auto& expected = filter.empty() ? want : want_filtered;
        const std::set<std::string> unique(paged.begin(), paged.end());
        EXPECT_EQ(unique.size(), paged.size()) << order << filter << " limit " << limit;
        EXPECT_EQ(unique, expected) << order << filter << " limit " << limit;
        EXPECT_EQ(total, static_cast<int64_t>(expected.size())) << order << filter;
      }
    }
  }
}

TEST_F(WebviewApiTest, EventsStreamHelloRunMetricsThenEnd) {
  auto& store = ws().store();
  store.set_status(run_, platform::RunStatus::Running, platform::now_seconds());
  store.log_metrics(run_, {{"loss", 0, 2.0, 1.0}});  // before: the page loads it itself
  const auto r = call("GET", api_ + "/runs/" + run_ + "/events", reader_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/event-stream");
  ASSERT_TRUE(r.stream);
  EventSink sink;
  auto done = std::async(std::launch::async, [&] { return r.stream(sink); });
  for (int i = 0; i < 100 && sink.names().size() < 2; ++i) std::this_thread::sleep_for(20ms);
  store.log_metrics(run_, {{"loss", 1, 1.5, 2.0}, {"acc", 1, 0.5, 2.0}});
  for (int i = 0; i < 100 && sink.names().size() < 3; ++i) std::this_thread::sleep_for(20ms);
  store.log_metrics(run_, {{"loss", 2, 1.0, 3.0}});
  store.set_status(run_, platform::RunStatus::Completed, platform::now_seconds());
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(done.get());
  const auto names = sink.names();
  ASSERT_GE(names.size(), 5u) << sink.bytes();
  EXPECT_EQ(names[0], "hello");
  EXPECT_EQ(names[1], "run");
  EXPECT_EQ(names.back(), "end");
  EXPECT_EQ(std::count(names.begin(), names.end(), "run"), 2);  // and on the status change
  // Every point logged after hello, once, in order; none logged before it.
  std::vector<std::pair<std::string, int64_t>> points;
  const std::string all = sink.bytes();
  for (size_t p = all.find("event: metrics\ndata: "); p != std::string::npos;
       p = all.find("event: metrics\ndata: ", p + 1)) {
    const size_t start = p + 21;
    const json data = json::parse(all.substr(start, all.find('\n', start) - start));
    for (const auto& [name, list] : data["points"].items())
      for (const auto& point : list) points.emplace_back(name, point["step"].get<int64_t>());
  }
  std::sort(points.begin(), points.end());
  EXPECT_EQ(points,
            (std::vector<std::pair<std::string, int64_t>>{{"acc", 1}, {"loss", 1}, {"loss", 2}}));
  EXPECT_NE(all.find(R"("status":"Completed")"), std::string::npos);
}

TEST_F(WebviewApiTest, EventsSendAPointLoggedAgainAsItWasBeforeTheEnd) {
  // A point logged again exactly (same step, value and time: a final value logged twice) leaves
  // the latest value as it was; the run's last poll must still find it in the series.
  auto& store = ws().store();
  store.set_status(run_, platform::RunStatus::Running, platform::now_seconds());
  const auto r = call("GET", api_ + "/runs/" + run_ + "/events", reader_);
  ASSERT_EQ(r.status, 200) << r.body;
  EventSink sink;
  auto done = std::async(std::launch::async, [&] { return r.stream(sink); });
  for (int i = 0; i < 100 && sink.names().size() < 2; ++i) std::this_thread::sleep_for(20ms);
  store.log_metrics(run_, {{"acc", 5, 0.9, 7.0}});
  for (int i = 0; i < 100 && sink.names().size() < 3; ++i) std::this_thread::sleep_for(20ms);
  ASSERT_EQ(sink.names().size(), 3u) << sink.bytes();
  store.log_metrics(run_, {{"acc", 5, 0.9, 7.0}});
  store.set_status(run_, platform::RunStatus::Completed, platform::now_seconds());
  ASSERT_EQ(done.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(done.get());
  size_t sent = 0;
  const std::string all = sink.bytes();
  for (size_t p = all.find("event: metrics\ndata: "); p != std::string::npos;
       p = all.find("event: metrics\ndata: ", p + 1)) {
    const size_t start = p + 21;
    sent += json::parse(all.substr(start, all.find('\n', start) - start))["points"]["acc"].size();
  }
  EXPECT_EQ(sent, store.metric_series(run_, "acc").size()) << all;
  EXPECT_EQ(sink.names().back(), "end");
}

TEST_F(WebviewApiTest, EventsEndOnceTheirTokenIsRevoked) {
  // A revoke takes effect on the very next call (platform::Authenticator): a page left open on a
  // live run must not go on receiving it for hours on a token revoked (or a user disabled).
  auto& store = ws().store();
  store.set_status(run_, platform::RunStatus::Running, platform::now_seconds());
  const auto r = call("GET", api_ + "/runs/" + run_ + "/events?log_tail=0", reader_);
  ASSERT_EQ(r.status, 200) << r.body;
  EventSink sink;
  auto done = std::async(std::launch::async, [&] { return r.stream(sink); });
  for (int i = 0; i < 100 && sink.names().size() < 2; ++i) std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(store.revoke_token(*platform::token_id_of(reader_), platform::now_seconds()));
  ASSERT_EQ(done.wait_for(15s), std::future_status::ready) << sink.bytes();
  done.get();
  store.log_metrics(run_, {{"loss", 0, 1.0, 1.0}});
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(sink.names(), (std::vector<std::string>{"hello", "run"}));
}

TEST_F(WebviewApiTest, EventsEndWhenTheClientGoesOrTheServerStops) {
  auto& store = ws().store();
  store.set_status(run_, platform::RunStatus::Running, platform::now_seconds());
  {
    const auto r = call("GET", api_ + "/runs/" + run_ + "/events?log_tail=0", reader_);
    EventSink sink;
    sink.gone_after_ = 2;  // hello and run, then the client is gone
    auto done = std::async(std::launch::async, [&] { return r.stream(sink); });
    std::this_thread::sleep_for(300ms);
    store.log_metrics(run_, {{"loss", 0, 1.0, 1.0}});  // the next write fails
    ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
    EXPECT_FALSE(done.get());
  }
  {
    const auto r = call("GET", api_ + "/runs/" + run_ + "/events", reader_);
    EventSink sink;
    auto done = std::async(std::launch::async, [&] { return r.stream(sink); });
    std::this_thread::sleep_for(300ms);
    sink.stopping_ = true;
    ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
    EXPECT_TRUE(done.get());
    EXPECT_EQ(sink.names(), (std::vector<std::string>{"hello", "run"}));
  }
  EXPECT_EQ(call("GET", api_ + "/runs/nope/events", reader_).status, 404);
  EXPECT_EQ(call("GET", api_ + "/runs/" + run_ + "/events?log_tail=-1", reader_).status, 400);
  EXPECT_EQ(call("GET", api_ + "/runs/" + run_ + "/events", "").status, 401);
}

// A downsampled history is kept for the next request only while the series is unchanged: a point
// logged since (even at an earlier step) is in the next answer.
TEST_F(WebviewApiTest, ADownsampledHistoryKeptIsReadAgainOnceTheSeriesGrows) {
  auto& store = ws().store();
  std::vector<platform::MetricPoint> points;
  for (int i = 0; i < 100; ++i) points.push_back({"loss", i, 1.0 / (i + 1), 1.0 + i});
  store.log_metrics(run_, points);
  const std::string url = api_ + "/runs/" + run_ + "/metrics/loss?max_points=10";
  const json first = body_of(call("GET", url, reader_));
  EXPECT_EQ(first["total"], 100);
  EXPECT_EQ(body_of(call("GET", url, reader_)), first);
  store.log_metrics(run_, {{"loss", 50, 99.0, 200.0}});  // a spike in the middle
  const json grown = body_of(call("GET", url, reader_));
  EXPECT_EQ(grown["total"], 101);
  double highest = 0;
  for (const auto& p : grown["points"]) highest = std::max(highest, p["value"].get<double>());
  EXPECT_EQ(highest, 99.0);
  // Another size or method is another answer.
  EXPECT_LE(body_of(call("GET", url + "&method=lttb", reader_))["points"].size(), 10u);
  EXPECT_EQ(body_of(call("GET", api_ + "/runs/" + run_ + "/metrics/loss?max_points=20",
                         reader_))["points"]
                .size(),
            20u);
}

// method=minmax is answered from the store's block summaries: exactly downsample_minmax_blocks
// of the whole series, also after a point logged out of step order.
TEST_F(WebviewApiTest, AMinMaxHistoryIsTheBlockDownsampleOfTheWholeSeries) {
  auto& store = ws().store();
  std::vector<platform::MetricPoint> points;
  for (int i = 0; i < 20000; ++i)
    points.push_back({"loss", i, static_cast<double>((i * 7919) % 1009), 1.0 + i});
  store.log_metrics(run_, points);
  const std::string url = api_ + "/runs/" + run_ + "/metrics/loss?max_points=20&method=minmax";
  auto expect_exact = [&] {
    const auto series = store.metric_series(run_, "loss");
    std::vector<platform::SeriesPoint> xy;
    for (const auto& m : series) xy.push_back({static_cast<double>(m.step), m.value});
    const auto want = platform::downsample_minmax_blocks(xy, 20);
    const json got = body_of(call("GET", url, reader_));
    EXPECT_EQ(got["total"], series.size());
    EXPECT_TRUE(got["downsampled"]);
    EXPECT_EQ(got["method"], "minmax");
    ASSERT_EQ(got["points"].size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got["points"][i]["step"], series[want[i]].step) << i;
      EXPECT_EQ(got["points"][i]["value"], series[want[i]].value) << i;
    }
  };
  expect_exact();
  store.log_metrics(run_, {{"loss", 12345, 5000.0, 1.0}});  // out of step order: a spike
  expect_exact();
  store.log_metrics(run_, {{"loss", 30000, -5.0, 2.0}});
  expect_exact();
}

}  // namespace
}  // namespace glia::server

namespace glia::server {
namespace {

TEST_F(WebviewApiTest, TablesAnswerEachTablesCountAndLastRows) {
  seed(1);
  platform::TrackingBatch batch;
  for (int i = 0; i < 5; ++i)
    batch.rows.push_back({"confusion", json{{"epoch", i}, {"loss", 1.0 / (i + 1)}}.dump(), 1.0});
  batch.rows.push_back({"other", R"({"a": "x"})", 1.0});
  ASSERT_TRUE(ws().store().apply_tracking(ids_[0], batch, 1));
  const std::string path = api_ + "/runs/" + ids_[0] + "/tables";
  auto r = call("GET", path + "?last=2", reader_);
  ASSERT_EQ(r.status, 200) << r.body;
  const json t = body_of(r)["tables"];
  EXPECT_EQ(t["confusion"]["total"], 5);
  EXPECT_EQ(t["confusion"]["rows"],
            json::parse(R"([{"epoch": 3, "loss": 0.25}, {"epoch": 4, "loss": 0.2}])"));
  EXPECT_EQ(t["other"]["rows"], json::parse(R"([{"a": "x"}])"));
  EXPECT_EQ(call("GET", path + "?last=0", reader_).status, 400);
  EXPECT_EQ(call("GET", path + "?nope=1", reader_).status, 400);
  EXPECT_EQ(call("GET", api_ + "/runs/nosuchrun/tables", reader_).status, 404);
  EXPECT_EQ(call("GET", path, "").status, 401);
}

}  // namespace
}  // namespace glia::server

namespace glia::server {
namespace {

TEST_F(WebviewApiTest, RunFilesAreNeverRunAsPagesAndImagesKeepTheirType) {
  const std::string files = api_ + "/runs/" + run_ + "/files/";
  ASSERT_EQ(call("PUT", files + "outputs/acc.PNG", contributor_, "\x89PNG...").status, 201);
  ASSERT_EQ(call("PUT", files + "outputs/page.html", contributor_, "<script>1</script>").status,
            201);
  ASSERT_EQ(call("PUT", files + "outputs/x.svg", contributor_, "<svg/>").status, 201);
  auto header = [](const http::Response& r, const std::string& name) {
    const auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
  };
  const auto png = call("GET", files + "outputs/acc.PNG", reader_);
  EXPECT_EQ(png.content_type, "image/png");
  for (const char* path : {"outputs/page.html", "outputs/x.svg"}) {
    const auto r = call("GET", files + path, reader_);
    EXPECT_EQ(r.content_type, "application/octet-stream") << path;
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(header(r, "Content-Security-Policy").rfind("sandbox", 0), 0u) << path;
  }
}

}  // namespace
}  // namespace glia::server
