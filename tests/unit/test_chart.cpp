#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
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

}  // namespace
}  // namespace glia::platform
