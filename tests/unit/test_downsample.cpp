// Server-side downsampling of metric series for charts: min/max buckets and LTTB.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "glia/error.hpp"
#include "glia/platform/downsample.hpp"

namespace glia::platform {
namespace {

std::vector<SeriesPoint> series(size_t n, double (*f)(size_t)) {
  std::vector<SeriesPoint> out;
  for (size_t i = 0; i < n; ++i) out.push_back({static_cast<double>(i), f(i)});
  return out;
}

bool ascending_unique(const std::vector<size_t>& v) {
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] <= v[i - 1]) return false;
  return true;
}

TEST(Downsample, ShortSeriesAreKeptWhole) {
  const auto s = series(5, [](size_t i) { return static_cast<double>(i); });
  EXPECT_EQ(downsample_minmax(s, 10), (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(downsample_lttb(s, 5), (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(downsample_lttb({}, 10).empty());
}

TEST(Downsample, MinMaxKeepsEverySpikeAndTheEnds) {
  // A flat series with one high and one low spike in the middle of long buckets.
  auto s = series(10000, [](size_t) { return 1.0; });
  s[3217].y = 50;
  s[7001].y = -40;
  const auto kept = downsample_minmax(s, 20);
  EXPECT_LE(kept.size(), 20u);
  EXPECT_TRUE(ascending_unique(kept));
  EXPECT_EQ(kept.front(), 0u);
  EXPECT_EQ(kept.back(), 9999u);
  EXPECT_NE(std::find(kept.begin(), kept.end(), 3217u), kept.end());
  EXPECT_NE(std::find(kept.begin(), kept.end(), 7001u), kept.end());
}

TEST(Downsample, MinMaxNeverPicksNaNAsAnExtreme) {
  auto s = series(100, [](size_t i) { return static_cast<double>(i % 7); });
  for (size_t i = 1; i < 99; i += 2) s[i].y = std::numeric_limits<double>::quiet_NaN();
  for (size_t i : downsample_minmax(s, 10))
    if (i != 0 && i != 99) {
      EXPECT_FALSE(std::isnan(s[i].y)) << i;
    }
}

TEST(Downsample, LttbGivesExactlyTheBudgetAndFollowsTheShape) {
  const auto s = series(5000, [](size_t i) { return std::sin(static_cast<double>(i) / 200.0); });
  const auto kept = downsample_lttb(s, 100);
  ASSERT_EQ(kept.size(), 100u);
  EXPECT_TRUE(ascending_unique(kept));
  EXPECT_EQ(kept.front(), 0u);
  EXPECT_EQ(kept.back(), 4999u);
  // The peaks of the sine wave (y close to ±1) survive.
  double hi = -2, lo = 2;
  for (size_t i : kept) {
    hi = std::max(hi, s[i].y);
    lo = std::min(lo, s[i].y);
  }
  EXPECT_GT(hi, 0.99);
  EXPECT_LT(lo, -0.99);
}

TEST(Downsample, LttbPicksTheOutlierOfABucket) {
  auto s = series(1000, [](size_t) { return 0.0; });
  s[501].y = 100;
  const auto kept = downsample_lttb(s, 10);
  EXPECT_NE(std::find(kept.begin(), kept.end(), 501u), kept.end());
}

TEST(Downsample, TooFewPointsAskedAreRaisedToTheMinimum) {
  const auto s = series(50, [](size_t i) { return static_cast<double>(i * i); });
  EXPECT_EQ(downsample_lttb(s, 1).size(), kMinDownsamplePoints);
  EXPECT_LE(downsample_minmax(s, 0).size(), kMinDownsamplePoints);
}

TEST(Downsample, MinMaxBlocksIsMinMaxWhenBucketsAreWholeBlocks) {
  // n - 2 = buckets * 3 blocks of 8: each of downsample_minmax's buckets is three whole blocks.
  const auto s = series(2 + 4 * 3 * 8, [](size_t i) { return std::sin(static_cast<double>(i)); });
  EXPECT_EQ(downsample_minmax_blocks(s, 10, 8), downsample_minmax(s, 10));
  // Fewer blocks than buckets: downsample_minmax itself.
  const auto t = series(500, [](size_t i) { return std::cos(static_cast<double>(i)); });
  EXPECT_EQ(downsample_minmax_blocks(t, 100, 64), downsample_minmax(t, 100));
}

TEST(Downsample, MinMaxBlocksKeepsTheEndsEverySpikeAndTheBudget) {
  auto s = series(10007, [](size_t i) { return static_cast<double>(i % 7); });
  s[5000].y = 1e6;
  s[7001].y = -1e6;
  s[3].y = std::nan("");
  for (size_t max_points : {4u, 10u, 101u, 1000u}) {
    const auto kept = downsample_minmax_blocks(s, max_points, 16);
    EXPECT_LE(kept.size(), max_points);
    EXPECT_EQ(kept.front(), 0u);
    EXPECT_EQ(kept.back(), s.size() - 1);
    EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
    EXPECT_EQ(std::adjacent_find(kept.begin(), kept.end()), kept.end());
    EXPECT_NE(std::find(kept.begin(), kept.end(), 5000u), kept.end()) << max_points;
    EXPECT_NE(std::find(kept.begin(), kept.end(), 7001u), kept.end()) << max_points;
    EXPECT_EQ(std::find(kept.begin(), kept.end(), 3u), kept.end()) << max_points;
  }
}

TEST(Downsample, MethodNames) {
  EXPECT_EQ(parse_downsample_method("lttb"), DownsampleMethod::Lttb);
  EXPECT_EQ(parse_downsample_method("minmax"), DownsampleMethod::MinMax);
  try {
    parse_downsample_method("average");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  }
}

}  // namespace
}  // namespace glia::platform
