// The metric history answer cache (server/api/history_cache.hpp): answers are used only while
// the series' last point is unchanged, and the memory it holds is bounded in bytes (an answer may
// hold up to 100,000 points, several MB), not only in entries.
#include "server/api/history_cache.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace glia::server::api {
namespace {

platform::MetricPoint point(int64_t step, double value) {
  return {"loss", step, value, 1.5};
}

TEST(HistoryCache, AnAnswerIsUsedOnlyWhileTheSeriesLastPointIsTheSame) {
  HistoryCache cache(4, 1 << 20);
  cache.put("a", point(3, 0.5), "A");
  EXPECT_EQ(cache.find("a", point(3, 0.5)).value_or(""), "A");
  EXPECT_FALSE(cache.find("b", point(3, 0.5)));
  EXPECT_FALSE(cache.find("a", point(4, 0.5)));  // the series grew: dropped
  EXPECT_FALSE(cache.find("a", point(3, 0.5)));
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
  cache.put("n", point(1, std::nan("")), "N");
  EXPECT_TRUE(cache.find("n", point(1, std::nan(""))));
  EXPECT_FALSE(cache.find("n", point(1, 0.0)));
}

TEST(HistoryCache, TheBytesHeldStayWithinTheBudget) {
  HistoryCache cache(32, 4 << 20);
  const std::string mb(1 << 20, 'x');
  for (int i = 0; i < 10; ++i) cache.put("k" + std::to_string(i), point(i, 1), mb);
  EXPECT_LE(cache.bytes(), size_t{4} << 20);
  EXPECT_EQ(cache.entries(), 3u);              // 3 MB and their keys: a fourth would pass 4 MiB
  EXPECT_TRUE(cache.find("k9", point(9, 1)));  // the most recent are kept
  EXPECT_FALSE(cache.find("k0", point(0, 1)));
  // An answer larger than the whole budget is not kept (nor does it push the others out).
  cache.put("big", point(1, 1), std::string(5 << 20, 'y'));
  EXPECT_FALSE(cache.find("big", point(1, 1)));
  EXPECT_EQ(cache.entries(), 3u);
  // Replacing an entry counts its bytes once.
  cache.put("k9", point(10, 1), "small");
  EXPECT_LE(cache.bytes(), (size_t{2} << 20) + 100);
}

TEST(HistoryCache, TheServersCacheHoldsAtMost32MiB) {
  // 32 answers of 100,000 points each (~7 MB apiece) would otherwise hold over 200 MB.
  HistoryCache& cache = history_cache();
  const std::string answer(size_t{7} << 20, 'p');
  for (int i = 0; i < 40; ++i) cache.put("test-run-" + std::to_string(i), point(i, 1), answer);
  EXPECT_LE(cache.bytes(), size_t{32} << 20);
  EXPECT_TRUE(cache.find("test-run-39", point(39, 1)));
  for (int i = 0; i < 40; ++i) cache.put("test-run-" + std::to_string(i), point(i, 1), "");
}

}  // namespace
}  // namespace glia::server::api
