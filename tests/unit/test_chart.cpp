#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "glia/error.hpp"
#include "glia/platform/chart.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ChartTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("glia-chart-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  const std::vector<ChartSeries> series_ = {{"val_loss", {0, 1, 2}, {0.5, 0.4, 0.38}},
                                            {"val_accuracy", {0, 1, 2}, {0.84, 0.86, 0.87}}};
  fs::path dir_;
};

TEST_F(ChartTest, WritesPngAndSvg) {
  write_line_chart(series_, {.title = "Accuracy vs Loss"}, (dir_ / "c.png").string());
  const std::string png = read(dir_ / "c.png");
  ASSERT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  write_line_chart(series_, {.title = "Accuracy vs Loss"}, (dir_ / "c.svg").string());
  EXPECT_NE(read(dir_ / "c.svg").find("<svg"), std::string::npos);
  for (const auto& e : fs::directory_iterator(dir_))  // no temporary files left behind
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

TEST_F(ChartTest, SinglePointAndFlatSeriesDraw) {
  write_line_chart({{"one", {3}, {1.0}}}, {}, (dir_ / "one.png").string());
  EXPECT_TRUE(fs::exists(dir_ / "one.png"));
}

TEST_F(ChartTest, BadInputIsAClearError) {
  EXPECT_THROW(write_line_chart(series_, {}, (dir_ / "c.gif").string()), Error);
  EXPECT_THROW(write_line_chart({{"empty", {}, {}}}, {}, (dir_ / "e.png").string()), Error);
  EXPECT_THROW(write_line_chart({{"bad", {1, 2}, {1}}}, {}, (dir_ / "b.png").string()), Error);
  EXPECT_THROW(write_line_chart(series_, {}, (dir_ / "missing" / "c.png").string()), Error);
  EXPECT_THROW(check_chart_path("x.jpg"), Error);
  EXPECT_NO_THROW(check_chart_path("x.svg"));
}

// The seed's chart had Accuracy and val_accuracy in one colour: the palette repeated after 6.
TEST(ChartStyle, NoTwoSeriesShareALook) {
  const size_t n = max_chart_series();
  ASSERT_GE(n, 40u);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j)
      EXPECT_FALSE(series_style(i) == series_style(j)) << i << " " << j;
  for (size_t i = 0; i < 10; ++i)  // the first ten differ by colour alone, all solid
    for (size_t j = i + 1; j < 10; ++j) {
      EXPECT_FALSE(series_style(i).color == series_style(j).color) << i << " " << j;
      EXPECT_TRUE(series_style(i).dash.empty());
    }
  EXPECT_THROW(series_style(n), Error);
}

TEST_F(ChartTest, TheSvgDrawsEachSeriesInItsOwnStyle) {
  std::vector<ChartSeries> many;
  for (int k = 0; k < 12; ++k)
    many.push_back({"s" + std::to_string(k), {0, 1, 2}, {0.1 * k, 0.1 * k + 0.05, 0.1 * k}});
  write_line_chart(many, {}, (dir_ / "many.svg").string());
  const std::string svg = read(dir_ / "many.svg");
  // Each data line (and its legend sample) is a path stroked 2 wide: its style is its look.
  std::set<std::string> looks;
  for (size_t at = svg.find("stroke-width:2;"); at != std::string::npos;
       at = svg.find("stroke-width:2;", at + 1)) {
    const size_t begin = svg.rfind("style=\"", at), end = svg.find('"', at);
    looks.insert(svg.substr(begin, end - begin));
  }
  EXPECT_GE(looks.size(), 12u) << svg.substr(0, 2000);
  std::vector<ChartSeries> too_many(max_chart_series() + 1, {"x", {0}, {0}});
  EXPECT_THROW(write_line_chart(too_many, {}, (dir_ / "too.png").string()), Error);
  EXPECT_FALSE(fs::exists(dir_ / "too.png"));
}

TEST(ChartTicks, IntegerAxesGetIntegerTicks) {
  // Three epochs (0, 1, 2): "nice" ticks would be 0, 0.5, 1, 1.5, 2.
  const std::vector<double> fractional = chart_ticks(0, 2, false);
  EXPECT_NE(std::find(fractional.begin(), fractional.end(), 0.5), fractional.end());
  for (auto [lo, hi] : std::vector<std::pair<double, double>>{
           {0, 2}, {1, 3}, {2.5, 3.5}, {0, 1}, {0, 7}, {1, 100}, {-3, 4}, {0, 12345}}) {
    const std::vector<double> t = chart_ticks(lo, hi, true);
    ASSERT_FALSE(t.empty()) << lo << ".." << hi;
    for (double v : t) {
      EXPECT_EQ(v, std::floor(v)) << lo << ".." << hi;
      EXPECT_GE(v, lo);
      EXPECT_LE(v, hi);
    }
    for (size_t i = 1; i < t.size(); ++i) EXPECT_GE(t[i] - t[i - 1], 1.0);
  }
  EXPECT_EQ(chart_ticks(0, 2, true), (std::vector<double>{0, 1, 2}));
}

}  // namespace
}  // namespace glia::platform
