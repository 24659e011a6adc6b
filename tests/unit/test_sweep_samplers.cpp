// The sweep samplers: distributions (bounds, quantization, log scale, moments), seeded
// reproducibility without state, Sobol's known points and low discrepancy, grid completeness.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "glia/error.hpp"
#include "glia/platform/sweep_space.hpp"
#include "sweeps/expression_value.hpp"

namespace glia::platform::sweeps {
namespace {

using nlohmann::json;

constexpr int kDraws = 20000;

Expression expr(const std::string& text) {
  return parse_expression(json::parse(text), "x");
}

// kDraws values of one expression from sample_random (seed 7) or sample_sobol (seed 7).
std::vector<json> draws(const std::string& text, bool sobol = false) {
  const SearchSpace space = {{"p", expr(text)}};
  std::vector<json> out;
  for (int i = 0; i < kDraws; ++i) {
    out.push_back((sobol ? sample_sobol(space, 7, i) : sample_random(space, 7, i)).at("p"));
  }
  return out;
}

struct Moments {
  double mean = 0, sd = 0;
};

Moments moments(const std::vector<double>& xs) {
  Moments m;
  for (double x : xs) m.mean += x;
  m.mean /= static_cast<double>(xs.size());
  for (double x : xs) m.sd += (x - m.mean) * (x - m.mean);
  m.sd = std::sqrt(m.sd / static_cast<double>(xs.size() - 1));
  return m;
}

std::vector<double> as_doubles(const std::vector<json>& js) {
  std::vector<double> out;
  for (const auto& j : js) out.push_back(j.get<double>());
  return out;
}

// v is k * q for an integer k (up to rounding of the product).
bool multiple_of(double v, double q) {
  const double k = std::round(v / q);
  return std::fabs(v - k * q) <= 1e-12 * std::max(1.0, std::fabs(v));
}

TEST(SweepDraws, GeneratorsMatchTheirReferences) {
  // SplitMix64 (Steele, Lea, Flood) seeded 0: its published first outputs.
  uint64_t state = 0;
  const uint64_t first[] = {0xE220A8397B1DCDAFULL, 0x6E789E6AA1B965F4ULL, 0x06C45D188009454FULL};
  for (uint64_t expected : first) {
    EXPECT_EQ(detail::splitmix64(state), expected);
    state += 0x9E3779B97F4A7C15ULL;
  }
  // The inverse normal CDF against the quantiles of the standard normal, in all three regions.
  EXPECT_NEAR(detail::inverse_normal_cdf(0.5), 0.0, 1e-12);
  EXPECT_NEAR(detail::inverse_normal_cdf(0.975), 1.959963984540054, 1e-8);
  EXPECT_NEAR(detail::inverse_normal_cdf(0.99), 2.326347874040841, 1e-8);
  EXPECT_NEAR(detail::inverse_normal_cdf(0.001), -3.090232306167813, 1e-8);
  EXPECT_NEAR(detail::inverse_normal_cdf(1e-9), -5.997807015007686, 1e-7);
  EXPECT_THROW(detail::inverse_normal_cdf(0.0), Error);
  // Uniforms from bits stay strictly inside (0, 1).
  EXPECT_GT(detail::unit_from_bits(0), 0.0);
  EXPECT_LT(detail::unit_from_bits(~uint64_t{0}), 1.0);  // was 1.0 with 53 bits
  EXPECT_NO_THROW(detail::value_from_uniform(expr(R"({"type":"normal","mu":0,"sigma":1})"),
                                             detail::unit_from_bits(~uint64_t{0})));
}

class EachSampler : public ::testing::TestWithParam<bool> {};

TEST_P(EachSampler, UniformStaysInBoundsWithTheRightMean) {
  const auto xs =
      as_doubles(draws(R"({"type":"uniform","min_value":0.1,"max_value":1})", GetParam()));
  for (double x : xs) {
    ASSERT_GE(x, 0.1);
    ASSERT_LE(x, 1.0);
  }
  const auto m = moments(xs);
  EXPECT_NEAR(m.mean, 0.55, 0.01);
  EXPECT_NEAR(m.sd, 0.9 / std::sqrt(12.0), 0.01);
}

TEST_P(EachSampler, QuniformGivesExactMultiplesOfQ) {
  const auto halves =
      draws(R"({"type":"quniform","min_value":0,"max_value":10,"q":0.5})", GetParam());
  std::set<double> seen;
  for (const auto& j : halves) {
    const double v = j.get<double>();
    ASSERT_TRUE(multiple_of(v, 0.5)) << v;
    ASSERT_GE(v, 0.0);
    ASSERT_LE(v, 10.0);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 21u);  // 0, 0.5, ..., 10
  // A whole-number q gives integers, as a command line wants them.
  for (const auto& j :
       draws(R"({"type":"quniform","min_value":1,"max_value":64,"q":8})", GetParam())) {
    ASSERT_TRUE(j.is_number_integer()) << j.dump();
    ASSERT_EQ(j.get<int64_t>() % 8, 0) << j.dump();
    ASSERT_GE(j.get<int64_t>(), 0);
    ASSERT_LE(j.get<int64_t>(), 64);
  }
}

TEST_P(EachSampler, LoguniformIsUniformInTheLog) {
  const auto xs =
      as_doubles(draws(R"({"type":"loguniform","min_value":-6,"max_value":-1})", GetParam()));
  std::vector<double> logs;
  int below_middle = 0;
  for (double x : xs) {
    ASSERT_GE(x, std::exp(-6.0));
    ASSERT_LE(x, std::exp(-1.0));
    logs.push_back(std::log(x));
    below_middle += std::log(x) < -3.5 ? 1 : 0;
  }
  const auto m = moments(logs);
  EXPECT_NEAR(m.mean, -3.5, 0.05);
  EXPECT_NEAR(m.sd, 5.0 / std::sqrt(12.0), 0.03);
  EXPECT_NEAR(below_middle / static_cast<double>(kDraws), 0.5, 0.02);
  // Not uniform in the value: the plain mean is far below the middle of the bounds.
  EXPECT_LT(moments(xs).mean, (std::exp(-6.0) + std::exp(-1.0)) / 2 * 0.7);

  for (const auto& j :
       draws(R"({"type":"qloguniform","min_value":0,"max_value":5,"q":0.25})", GetParam())) {
    const double v = j.get<double>();
    ASSERT_TRUE(multiple_of(v, 0.25)) << v;
    ASSERT_GE(v, 1.0);
    ASSERT_LE(v, std::exp(5.0) + 0.125);
  }
}

TEST_P(EachSampler, NormalHasItsMeanAndSpread) {
  const auto m = moments(as_doubles(draws(R"({"type":"normal","mu":2,"sigma":3})", GetParam())));
  EXPECT_NEAR(m.mean, 2.0, 0.1);
  EXPECT_NEAR(m.sd, 3.0, 0.1);

  std::vector<double> logs;
  for (double x : as_doubles(draws(R"({"type":"lognormal","mu":0.5,"sigma":0.5})", GetParam()))) {
    ASSERT_GT(x, 0.0);
    logs.push_back(std::log(x));
  }
  const auto lm = moments(logs);
  EXPECT_NEAR(lm.mean, 0.5, 0.02);
  EXPECT_NEAR(lm.sd, 0.5, 0.02);

  std::vector<double> qs;
  for (const auto& j : draws(R"({"type":"qnormal","mu":0,"sigma":2,"q":0.5})", GetParam())) {
    ASSERT_TRUE(multiple_of(j.get<double>(), 0.5)) << j.dump();
    qs.push_back(j.get<double>());
  }
  EXPECT_NEAR(moments(qs).mean, 0.0, 0.1);
  // Draws just below zero round to 0, never to -0.0.
  int zeros = 0;
  for (const auto& j : draws(R"({"type":"qnormal","mu":0,"sigma":0.1,"q":0.5})", GetParam())) {
    ASSERT_NE(j.dump(), "-0.0");
    zeros += j.dump() == "0.0" ? 1 : 0;
  }
  EXPECT_GT(zeros, kDraws * 9 / 10);
  for (const auto& j : draws(R"({"type":"qlognormal","mu":2,"sigma":1,"q":1})", GetParam())) {
    ASSERT_TRUE(j.is_number_integer()) << j.dump();
    ASSERT_GE(j.get<int64_t>(), 0);
  }
}

TEST_P(EachSampler, RandintCoversZeroToUpperMinusOneEvenly) {
  std::map<int64_t, int> counts;
  for (const auto& j : draws(R"({"type":"randint","upper":7})", GetParam())) {
    ASSERT_TRUE(j.is_number_integer()) << j.dump();
    counts[j.get<int64_t>()]++;
  }
  ASSERT_EQ(counts.size(), 7u);
  EXPECT_EQ(counts.begin()->first, 0);
  EXPECT_EQ(counts.rbegin()->first, 6);
  for (const auto& [v, n] : counts) EXPECT_NEAR(n, kDraws / 7.0, kDraws / 7.0 * 0.1) << v;
}

TEST_P(EachSampler, ChoiceReturnsTheValuesThemselvesEvenly) {
  std::map<std::string, int> counts;
  for (const auto& j : draws(R"({"type":"choice","values":[25,0.5,"adam",false]})", GetParam())) {
    counts[j.dump()]++;
  }
  ASSERT_EQ(counts.size(), 4u);
  // dump() keeps the JSON type: an int stays 25, not 25.0; the string stays quoted.
  for (const auto* key : {"25", "0.5", "\"adam\"", "false"}) {
    EXPECT_NEAR(counts[key], kDraws / 4.0, kDraws / 4.0 * 0.1) << key;
  }
}

INSTANTIATE_TEST_SUITE_P(RandomAndSobol, EachSampler, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "sobol" : "random"; });

SearchSpace mixed_space() {
  return parse_search_space(json::parse(R"({
    "batch_size": {"type": "choice", "values": [25, 50, 100]},
    "first_layer_neurons": {"type": "choice", "values": [10, 50, 200, 300, 500]},
    "learning_rate": {"type": "loguniform", "min_value": -6, "max_value": -1},
    "dropout": {"type": "uniform", "min_value": 0, "max_value": 0.5},
    "momentum": {"type": "normal", "mu": 0.9, "sigma": 0.05}})"),
                            "s");
}

TEST(SweepRandom, SameSeedAndIndexSameParametersWithoutState) {
  const auto space = mixed_space();
  // Trial 5 first, then 0..4, then 5 again: the same, whatever was drawn in between.
  const auto fifth = sample_random(space, 42, 5);
  std::set<std::string> seen;
  for (int i = 0; i < 5; ++i) seen.insert(json(sample_random(space, 42, i)).dump());
  EXPECT_EQ(json(sample_random(space, 42, 5)), json(fifth));
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_FALSE(seen.count(json(fifth).dump()));
  // A different seed draws different continuous values.
  const auto other = sample_random(space, 43, 5);
  EXPECT_NE(other.at("learning_rate"), fifth.at("learning_rate"));
  EXPECT_NE(other.at("dropout"), fifth.at("dropout"));
  // Every parameter is there.
  EXPECT_EQ(fifth.size(), space.size());
  EXPECT_THROW(sample_random(space, 42, -1), Error);
}

TEST(SweepRandom, ParametersAreDrawnIndependently) {
  // Two identical expressions under different names do not get the same or correlated values.
  const SearchSpace space = {{"a", expr(R"({"type":"uniform","min_value":0,"max_value":1})")},
                             {"b", expr(R"({"type":"uniform","min_value":0,"max_value":1})")}};
  double sab = 0;
  int equal = 0;
  for (int i = 0; i < kDraws; ++i) {
    const auto p = sample_random(space, 1, i);
    const double a = p.at("a").get<double>(), b = p.at("b").get<double>();
    sab += (a - 0.5) * (b - 0.5);
    equal += a == b ? 1 : 0;
  }
  EXPECT_EQ(equal, 0);
  EXPECT_NEAR(sab / kDraws / (1.0 / 12), 0.0, 0.05);  // correlation
}

TEST(SweepSobol, FirstPointsAreTheKnownOnes) {
  const std::vector<std::vector<double>> expected = {{0, 0},         {0.5, 0.5},     {0.75, 0.25},
                                                     {0.25, 0.75},   {0.375, 0.375}, {0.875, 0.875},
                                                     {0.625, 0.125}, {0.125, 0.625}};
  for (std::size_t n = 0; n < expected.size(); ++n) {
    EXPECT_EQ(sobol_unit_point(2, n), expected[n]) << "point " << n;
  }
  // The third coordinate (Joe-Kuo's first row: s = 2, a = 1, m = 1, 3).
  const std::vector<double> third = {0, 0.5, 0.25, 0.75, 0.625, 0.125, 0.875, 0.375};
  for (std::size_t n = 0; n < third.size(); ++n) {
    EXPECT_EQ(sobol_unit_point(3, n)[2], third[n]) << "point " << n;
  }
}

TEST(SweepSobol, EveryDimensionIsStratified) {
  // The first 2^m points of each coordinate fall one in each interval [k/2^m, (k+1)/2^m): a
  // property of valid direction numbers, checked for every dimension of the table.
  constexpr int kPoints = 1024;
  const std::size_t dims = sobol_max_dimensions();
  EXPECT_GE(dims, 16u);
  std::vector<std::set<int>> cells(dims);
  for (uint64_t n = 0; n < kPoints; ++n) {
    const auto p = sobol_unit_point(dims, n);
    for (std::size_t d = 0; d < dims; ++d) cells[d].insert(static_cast<int>(p[d] * kPoints));
  }
  for (std::size_t d = 0; d < dims; ++d) EXPECT_EQ(cells[d].size(), kPoints) << "dimension " << d;
  // Pairs of dimensions: the first 2^m points fill every cell of a 2^(m/2) x 2^(m/2) grid for
  // dimensions 0 and 1 (a (0, m, 2)-net), and no pair of the table leaves half its cells empty.
  std::set<int> grid01;
  for (uint64_t n = 0; n < kPoints; ++n) {
    const auto p = sobol_unit_point(2, n);
    grid01.insert(static_cast<int>(p[0] * 32) * 32 + static_cast<int>(p[1] * 32));
  }
  EXPECT_EQ(grid01.size(), static_cast<std::size_t>(kPoints));
}

TEST(SweepSobol, ScrambledPointsStayStratifiedAndFollowTheSeed) {
  const SearchSpace space = {{"a", expr(R"({"type":"uniform","min_value":0,"max_value":1})")},
                             {"b", expr(R"({"type":"uniform","min_value":0,"max_value":1})")}};
  std::set<int> a_cells, b_cells;
  for (int i = 0; i < 1023; ++i) {  // points 1..1023: every cell at most once
    const auto p = sample_sobol(space, 9, i);
    EXPECT_TRUE(a_cells.insert(static_cast<int>(p.at("a").get<double>() * 1024)).second);
    EXPECT_TRUE(b_cells.insert(static_cast<int>(p.at("b").get<double>() * 1024)).second);
  }
  EXPECT_EQ(json(sample_sobol(space, 9, 17)), json(sample_sobol(space, 9, 17)));
  EXPECT_NE(json(sample_sobol(space, 9, 17)), json(sample_sobol(space, 10, 17)));
  // Seeds shift, they do not leave the plain sequence's first point in place.
  EXPECT_NE(sample_sobol(space, 9, 0).at("a").get<double>(), 0.5 + 0.5 / 4294967296.0);
}

TEST(SweepSobol, EstimatesAMeanBetterThanRandom) {
  // Mean squared error of estimating E[x * y^2 + sin(3x)] over [0,1]^2 with 256 points, over
  // 32 seeds: Sobol's error is at least ten times smaller than random sampling's.
  const SearchSpace space = {{"x", expr(R"({"type":"uniform","min_value":0,"max_value":1})")},
                             {"y", expr(R"({"type":"uniform","min_value":0,"max_value":1})")}};
  const double truth = 1.0 / 6 + (1 - std::cos(3.0)) / 3;
  auto f = [](const Parameters& p) {
    const double x = p.at("x").get<double>(), y = p.at("y").get<double>();
    return x * y * y + std::sin(3 * x);
  };
  double mse_sobol = 0, mse_random = 0;
  for (uint64_t seed = 0; seed < 32; ++seed) {
    double s = 0, r = 0;
    for (int i = 0; i < 256; ++i) {
      s += f(sample_sobol(space, seed, i));
      r += f(sample_random(space, seed, i));
    }
    mse_sobol += std::pow(s / 256 - truth, 2);
    mse_random += std::pow(r / 256 - truth, 2);
  }
  EXPECT_LT(mse_sobol * 10, mse_random) << mse_sobol << " vs " << mse_random;
}

TEST(SweepSobol, RefusesTooManyDimensionsAndBadIndices) {
  SearchSpace space;
  for (std::size_t i = 0; i < sobol_max_dimensions(); ++i) {
    space.emplace("p" + std::to_string(100 + i),
                  expr(R"({"type":"uniform","min_value":0,"max_value":1})"));
  }
  EXPECT_EQ(sample_sobol(space, 1, 3).size(), sobol_max_dimensions());
  space.emplace("one_too_many", expr(R"({"type":"uniform","min_value":0,"max_value":1})"));
  EXPECT_THROW(sample_sobol(space, 1, 3), Error);
  EXPECT_THROW(sample_sobol(mixed_space(), 1, -1), Error);
  EXPECT_THROW(sample_sobol(mixed_space(), 1, int64_t{1} << 40), Error);
}

TEST(SweepGrid, EnumeratesEveryCombinationOnce) {
  const auto space = parse_search_space(json::parse(R"({
    "a": {"type": "choice", "values": [1, 2, 3]},
    "b": {"type": "choice", "values": ["x", "y"]},
    "c": {"type": "choice", "values": [true, false, 0.5, 7]}})"),
                                        "s");
  ASSERT_EQ(grid_size(space), 24);
  std::set<std::string> seen;
  for (int64_t i = 0; i < 24; ++i) {
    const auto p = sample_grid(space, i);
    ASSERT_EQ(p.size(), 3u);
    seen.insert(json(p).dump());
  }
  EXPECT_EQ(seen.size(), 24u);
  for (const auto& a : space.at("a").values) {
    for (const auto& b : space.at("b").values) {
      for (const auto& c : space.at("c").values) {
        EXPECT_TRUE(seen.count(json(Parameters{{"a", a}, {"b", b}, {"c", c}}).dump()))
            << a << b << c;
      }
    }
  }
  // The last name varies fastest.
  EXPECT_EQ(json(sample_grid(space, 0)), json(Parameters{{"a", 1}, {"b", "x"}, {"c", true}}));
  EXPECT_EQ(json(sample_grid(space, 1)), json(Parameters{{"a", 1}, {"b", "x"}, {"c", false}}));
  EXPECT_EQ(json(sample_grid(space, 4)), json(Parameters{{"a", 1}, {"b", "y"}, {"c", true}}));
  EXPECT_EQ(json(sample_grid(space, 23)), json(Parameters{{"a", 3}, {"b", "y"}, {"c", 7}}));
  // grid_index is its inverse, and names what is not in the grid.
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(grid_index(space, sample_grid(space, i)), i);
  EXPECT_FALSE(grid_index(space, Parameters{{"a", 4}, {"b", "x"}, {"c", true}}));
  EXPECT_FALSE(grid_index(space, Parameters{{"a", 1}, {"b", "x"}}));
  EXPECT_FALSE(grid_index(space, Parameters{{"a", 1}, {"b", "x"}, {"d", true}}));
}

TEST(SweepGrid, RefusesOutOfRangeAndNonChoice) {
  const auto space =
      parse_search_space(json::parse(R"({"a": {"type": "choice", "values": [1, 2]}})"), "s");
  EXPECT_THROW(sample_grid(space, 2), Error);
  EXPECT_THROW(sample_grid(space, -1), Error);
  const auto continuous = parse_search_space(json::parse(R"({
    "a": {"type": "choice", "values": [1, 2]},
    "lr": {"type": "uniform", "min_value": 0, "max_value": 1}})"),
                                             "s");
  try {
    grid_size(continuous);
    ADD_FAILURE() << "a grid over a uniform was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lr"), std::string::npos) << e.what();
  }
  EXPECT_THROW(sample_grid(continuous, 0), Error);
  // 2^63 combinations do not fit an int64.
  SearchSpace huge;
  for (int i = 0; i < 63; ++i) {
    huge.emplace("p" + std::to_string(100 + i), expr(R"({"type":"choice","values":[0,1]})"));
  }
  EXPECT_THROW(grid_size(huge), Error);
  huge.erase(huge.begin());
  EXPECT_EQ(grid_size(huge), int64_t{1} << 62);
  for (const auto& [name, v] : sample_grid(huge, (int64_t{1} << 62) - 1)) {
    EXPECT_EQ(v, 1) << name;  // the last combination is all ones
  }
}

}  // namespace
}  // namespace glia::platform::sweeps
