// The stores' metric block summaries (migration 14): after every kind of write (log_metrics,
// log_metrics_once, log_batch, tracking batches, steps out of order), a min/max downsample read
// from the summaries is exactly downsample_minmax_blocks of the whole series.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "glia/platform/downsample.hpp"
#include "store_contract.hpp"

namespace glia::platform::testing_store {
namespace {

// Points with repeated values (ties), spikes and a few NaN, from a fixed seed.
std::vector<MetricPoint> points(const std::string& name, int64_t first_step, size_t count,
                                unsigned seed, bool implied = false) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<MetricPoint> out;
  for (size_t i = 0; i < count; ++i) {
    const int r = pick(gen);
    double v = static_cast<double>(pick(gen) % 20) / 4.0;
    if (r == 0) v = std::numeric_limits<double>::quiet_NaN();
    if (r == 1) v = 1000.0 + pick(gen);
    if (r == 2) v = -1000.0 - pick(gen);
    const int64_t step = implied ? MetricPoint::kNextStep : first_step + static_cast<int64_t>(i);
    out.push_back({name, step, v, 1000.0 + static_cast<double>(i)});
  }
  return out;
}

bool same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

// What the summaries must answer: downsample_minmax_blocks of the whole series. Returns whether
// the store answered from its summaries.
bool expect_exact(Store& store, const std::string& run, const std::string& name,
                  size_t max_points) {
  const auto series = store.metric_series(run, name);
  std::vector<SeriesPoint> xy;
  for (const auto& m : series) xy.push_back({static_cast<double>(m.step), m.value});
  const auto want = downsample_minmax_blocks(xy, max_points);
  const auto got = store.metric_series_minmax(run, name, max_points);
  EXPECT_EQ(got.total, static_cast<int64_t>(series.size())) << name << " max " << max_points;
  EXPECT_EQ(got.points.size(), want.size()) << name << " max " << max_points;
  if (got.points.size() != want.size()) return got.from_blocks;
  for (size_t i = 0; i < want.size(); ++i) {
    const MetricPoint& w = series[want[i]];
    const MetricPoint& g = got.points[i];
    EXPECT_EQ(g.step, w.step) << name << " max " << max_points << " point " << i;
    EXPECT_TRUE(same(g.value, w.value)) << name << " point " << i << ": " << g.value;
    EXPECT_EQ(g.wall_time, w.wall_time) << name << " point " << i;
    EXPECT_EQ(g.name, name);
  }
  return got.from_blocks;
}

// Sizes where the blocks answer (few buckets) and where the whole series is read; the first must
// be answered from summaries kept up to date by the writes (`kept`) or not.
void expect_exact_all(Store& store, const std::string& run, const std::string& name,
                      bool kept = true) {
  EXPECT_EQ(expect_exact(store, run, name, 10), kept) << name << ": answered from the blocks";
  for (size_t max_points : {3u, 4u, 11u, 50u, 2000u, 100000u})
    expect_exact(store, run, name, max_points);
}

class MetricBlocks : public StoreContract {};

TEST_P(MetricBlocks, EveryKindOfWriteKeepsTheSummaryExact) {
  const std::string id = new_run().id;
  store_->log_metrics(id, points("loss", 0, 3000, 1));
  expect_exact_all(*store_, id, "loss");
  // Batches that end inside a block, start inside one, and span several.
  store_->log_metrics(id, points("loss", 3000, 7, 2));
  expect_exact_all(*store_, id, "loss");
  store_->log_metrics(id, points("loss", 0, 1100, 3, /*implied=*/true));
  expect_exact_all(*store_, id, "loss");
  store_->log_metrics_once(id, points("loss", 4107, 900, 4), "k1", "f1", "{}");
  expect_exact_all(*store_, id, "loss");
  store_->log_batch(id, points("loss", 5007, 1500, 5), {{"p", "1"}}, {});
  expect_exact_all(*store_, id, "loss");
  TrackingBatch batch;
  batch.metrics = points("loss", 6507, 1300, 6);
  ASSERT_TRUE(store_->apply_tracking(id, batch, 10, std::nullopt));
  expect_exact_all(*store_, id, "loss");
  // Same step again (kept in logging order): still in stored order.
  store_->log_metrics(id, {{"loss", 7806, 9.0, 1.0}, {"loss", 7806, -9.0, 2.0}});
  expect_exact_all(*store_, id, "loss");
  EXPECT_EQ(store_->metric_series_minmax(id, "loss", 10).total, 7809);
}

TEST_P(MetricBlocks, SeriesStartedByEachKindOfWrite) {
  const std::string id = new_run().id;
  store_->log_metrics_once(id, points("a", 0, 2600, 7), "k", "f", "{}");
  store_->log_batch(id, points("b", 0, 2600, 8), {}, {});
  TrackingBatch batch;
  batch.metrics = points("c", 0, 2600, 9);
  ASSERT_TRUE(store_->apply_tracking(id, batch, 5, std::nullopt));
  store_->log_metrics(id, points("d", 0, 2600, 10, /*implied=*/true));
  for (const char* name : {"a", "b", "c", "d"}) expect_exact_all(*store_, id, name);
  EXPECT_EQ(store_->metric_series_minmax(id, "none", 10).total, 0);
  EXPECT_TRUE(store_->metric_series_minmax(id, "none", 10).points.empty());
}

// What a live view reads: the points from an index on, and the series' length (also for an
// unknown name, and past the end), equal to the whole series' tail in every case.
TEST_P(MetricBlocks, TheSeriesFromAnIndexIsTheWholeSeriesTail) {
  const std::string id = new_run().id;
  store_->log_metrics(id, points("loss", 0, 1500, 21));
  store_->log_metrics(id, {{"loss", 7, 42.0, 1.0}});  // out of order: in the middle
  const auto all = store_->metric_series(id, "loss");
  ASSERT_EQ(all.size(), 1501u);
  for (size_t from : {size_t{0}, size_t{1}, size_t{8}, size_t{1500}, size_t{1501}, SIZE_MAX}) {
    size_t total = 0;
    const auto tail = store_->metric_series_from(id, "loss", from, total);
    EXPECT_EQ(total, all.size()) << from;
    ASSERT_EQ(tail.size(), from >= all.size() ? 0 : all.size() - from) << from;
    for (size_t i = 0; i < tail.size(); ++i) {
      EXPECT_EQ(tail[i].step, all[from + i].step) << from << " " << i;
      EXPECT_TRUE(same(tail[i].value, all[from + i].value)) << from << " " << i;
      EXPECT_EQ(tail[i].wall_time, all[from + i].wall_time);
      EXPECT_EQ(tail[i].name, "loss");
    }
  }
  size_t total = 7;
  EXPECT_TRUE(store_->metric_series_from(id, "nothing", 0, total).empty());
  EXPECT_EQ(total, 0u);
}

TEST_P(MetricBlocks, StepsOutOfOrderAreNeverAnsweredWrong) {
  const std::string id = new_run().id;
  store_->log_metrics(id, points("loss", 100, 3000, 11));
  expect_exact_all(*store_, id, "loss");
  // A step lower than the series' highest lands in the middle of the stored order.
  store_->log_metrics(id, {{"loss", 50, 5000.0, 1.0}, {"loss", 1500, -5000.0, 2.0}});
  expect_exact_all(*store_, id, "loss", /*kept=*/false);  // read whole, summarized again
  expect_exact_all(*store_, id, "loss");
  // Points logged after it, in order or not, with and without a read in between.
  store_->log_metrics(id, points("loss", 3100, 700, 12));
  store_->log_metrics(id, points("loss", 10, 40, 13));
  expect_exact_all(*store_, id, "loss", false);
  store_->log_metrics(id, points("loss", 3800, 1200, 14));
  expect_exact_all(*store_, id, "loss");
  // Out of order within one batch.
  store_->log_metrics(id, {{"loss", 9000, 1.0, 1.0}, {"loss", 8000, 2.0, 2.0}});
  expect_exact_all(*store_, id, "loss", false);
  expect_exact_all(*store_, id, "loss");
}

TEST_P(MetricBlocks, AlignedBucketsAnswerWhatTheFullDownsampleDoes) {
  const std::string id = new_run().id;
  // 2 + 4 buckets * 2 blocks of 512: downsample_minmax's buckets are whole blocks.
  store_->log_metrics(id, points("loss", 0, 2 + 4 * 2 * kMinMaxBlock, 15));
  const auto series = store_->metric_series(id, "loss");
  std::vector<SeriesPoint> xy;
  for (const auto& m : series) xy.push_back({static_cast<double>(m.step), m.value});
  const auto want = downsample_minmax(xy, 10);
  const auto got = store_->metric_series_minmax(id, "loss", 10);
  ASSERT_EQ(got.points.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got.points[i].step, series[want[i]].step);
}

TEST_P(MetricBlocks, SummariesLastAcrossReopening) {
  const std::string id = new_run().id;
  store_->log_metrics(id, points("loss", 0, 2500, 16));
  store_.reset();
  store_ = GetParam().open(dir_);
  store_->log_metrics(id, points("loss", 2500, 800, 17));
  expect_exact_all(*store_, id, "loss");
}

INSTANTIATE_TEST_SUITE_P(AllStores, MetricBlocks, testing::ValuesIn(kStores),
                         [](const testing::TestParamInfo<StoreKind>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace glia::platform::testing_store
