// The sweep search space: every Azure CLI v2 expression parsed, every bad one refused naming
// the key, and the sampling algorithms' rules.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "glia/error.hpp"
#include "glia/platform/sweep_space.hpp"

namespace glia::platform::sweeps {
namespace {

using nlohmann::json;

// The message of the InvalidArgument error `f` throws (one line).
template <typename F>
std::string refusal(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  }
  ADD_FAILURE() << "expected a glia::Error";
  return "(no error)";
}

// True when parsing `j` is refused with a message naming `key`.
void expect_refused(const json& j, const std::string& key) {
  const std::string m = refusal([&] { parse_expression(j, "sweep.search_space.x"); });
  EXPECT_NE(m.find("sweep.search_space.x"), std::string::npos) << m;
  EXPECT_NE(m.find(key), std::string::npos) << "key '" << key << "' not named in: " << m;
}

TEST(SweepSpace, KindNamesRoundTrip) {
  const std::vector<std::string> names = {"choice",     "randint",     "uniform", "quniform",
                                          "loguniform", "qloguniform", "normal",  "qnormal",
                                          "lognormal",  "qlognormal"};
  for (const auto& n : names) EXPECT_EQ(to_string(parse_kind(n, "w")), n);
  const std::string m = refusal([] { parse_kind("gaussian", "sp.x"); });
  EXPECT_NE(m.find("gaussian"), std::string::npos) << m;
  for (const auto& n : names) EXPECT_NE(m.find(n), std::string::npos) << m;
}

TEST(SweepSpace, ParsesEveryExpression) {
  auto c =
      parse_expression(json::parse(R"({"type":"choice","values":[25,50.5,"adam",true]})"), "w");
  EXPECT_EQ(c.kind, ExpressionKind::Choice);
  ASSERT_EQ(c.values.size(), 4u);
  EXPECT_TRUE(c.values[0].is_number_integer());
  EXPECT_TRUE(c.values[1].is_number_float());
  EXPECT_EQ(c.values[2], "adam");
  EXPECT_EQ(c.values[3], true);

  auto r = parse_expression(json::parse(R"({"type":"randint","upper":10})"), "w");
  EXPECT_EQ(r.kind, ExpressionKind::Randint);
  EXPECT_EQ(r.upper, 10);

  for (const std::string t : {"uniform", "loguniform"}) {
    auto u = parse_expression(json{{"type", t}, {"min_value", -6}, {"max_value", -1}}, "w");
    EXPECT_EQ(to_string(u.kind), t);
    EXPECT_EQ(u.min_value, -6);
    EXPECT_EQ(u.max_value, -1);
  }
  for (const std::string t : {"quniform", "qloguniform"}) {
    auto u =
        parse_expression(json{{"type", t}, {"min_value", 0.5}, {"max_value", 4}, {"q", 2}}, "w");
    EXPECT_EQ(to_string(u.kind), t);
    EXPECT_EQ(u.min_value, 0.5);
    EXPECT_EQ(u.max_value, 4);
    EXPECT_EQ(u.q, 2);
  }
  for (const std::string t : {"normal", "lognormal"}) {
    auto n = parse_expression(json{{"type", t}, {"mu", 1.5}, {"sigma", 0.25}}, "w");
    EXPECT_EQ(to_string(n.kind), t);
    EXPECT_EQ(n.mu, 1.5);
    EXPECT_EQ(n.sigma, 0.25);
  }
  for (const std::string t : {"qnormal", "qlognormal"}) {
    auto n = parse_expression(json{{"type", t}, {"mu", 0}, {"sigma", 3}, {"q", 0.5}}, "w");
    EXPECT_EQ(to_string(n.kind), t);
    EXPECT_EQ(n.sigma, 3);
    EXPECT_EQ(n.q, 0.5);
  }
}

TEST(SweepSpace, RefusesBadExpressionsNamingTheKey) {
  expect_refused(json::parse(R"([1,2])"), "mapping");
  expect_refused(json::parse(R"({"values":[1]})"), "type");
  expect_refused(json::parse(R"({"type":3,"values":[1]})"), "type");
  expect_refused(json::parse(R"({"type":"gaussian","mu":0})"), "gaussian");
  // Missing and extra keys.
  expect_refused(json::parse(R"({"type":"choice"})"), "values");
  // A value twice (2 and 2.0 are one number): a grid would run it twice.
  expect_refused(json::parse(R"({"type":"choice","values":[2,"a",2.0]})"), "values[2]");
  expect_refused(json::parse(R"({"type":"choice","values":["a","a"]})"), "values[1]");
  EXPECT_NO_THROW(parse_expression(json::parse(R"({"type":"choice","values":[1,"1",true]})"), "s"));
  expect_refused(json::parse(R"({"type":"uniform","min_value":0})"), "max_value");
  expect_refused(json::parse(R"({"type":"quniform","min_value":0,"max_value":1})"), "'q'");
  expect_refused(json::parse(R"({"type":"normal","mu":0})"), "sigma");
  expect_refused(json::parse(R"({"type":"randint"})"), "upper");
  expect_refused(json::parse(R"({"type":"uniform","min_value":0,"max_value":1,"q":1})"), ".q");
  expect_refused(json::parse(R"({"type":"choice","values":[1],"seed":3})"), "seed");
  expect_refused(json::parse(R"({"type":"normal","mu":0,"sigma":1,"min_value":0})"), "min_value");
  // Bounds and signs.
  expect_refused(json::parse(R"({"type":"uniform","min_value":1,"max_value":1})"), "max_value");
  expect_refused(json::parse(R"({"type":"loguniform","min_value":-1,"max_value":-6})"),
                 "max_value");
  expect_refused(json::parse(R"({"type":"normal","mu":0,"sigma":0})"), "sigma");
  expect_refused(json::parse(R"({"type":"lognormal","mu":0,"sigma":-1})"), "sigma");
  expect_refused(json::parse(R"({"type":"qnormal","mu":0,"sigma":1,"q":0})"), ".q");
  expect_refused(json::parse(R"({"type":"qloguniform","min_value":0,"max_value":1,"q":-2})"), ".q");
  expect_refused(json::parse(R"({"type":"randint","upper":0})"), "upper");
  expect_refused(json::parse(R"({"type":"randint","upper":2.5})"), "upper");
  expect_refused(json::parse(R"({"type":"randint","upper":"10"})"), "upper");
  // Values a double cannot hold.
  expect_refused(json::parse(R"({"type":"uniform","min_value":-1e308,"max_value":1e308})"),
                 "max_value");
  expect_refused(json::parse(R"({"type":"loguniform","min_value":0,"max_value":800})"),
                 "max_value");
  expect_refused(json::parse(R"({"type":"qloguniform","min_value":0,"max_value":710,"q":1})"),
                 "max_value");
  expect_refused(json::parse(R"({"type":"lognormal","mu":600,"sigma":20})"), "sigma");
  expect_refused(json::parse(R"({"type":"normal","mu":0,"sigma":1e308})"), "sigma");
  EXPECT_NO_THROW(parse_expression(json::parse(R"({"type":"normal","mu":600,"sigma":20})"), "w"));
  // Not numbers.
  expect_refused(json::parse(R"({"type":"uniform","min_value":"0","max_value":1})"), "min_value");
  expect_refused(json::parse(R"({"type":"normal","mu":null,"sigma":1})"), "mu");
  // Choice values.
  expect_refused(json::parse(R"({"type":"choice","values":[]})"), "values");
  expect_refused(json::parse(R"({"type":"choice","values":5})"), "values");
  expect_refused(json::parse(R"({"type":"choice","values":[1,[2]]})"), "values[1]");
  expect_refused(json::parse(R"({"type":"choice","values":[{"a":1}]})"), "values[0]");
  expect_refused(json::parse(R"({"type":"choice","values":[null]})"), "values[0]");
}

TEST(SweepSpace, ParsesASearchSpace) {
  const auto space = parse_search_space(json::parse(R"({
    "batch_size": {"type": "choice", "values": [25, 50, 100]},
    "learning_rate": {"type": "loguniform", "min_value": -6, "max_value": -1}})"),
                                        "sweep.search_space");
  ASSERT_EQ(space.size(), 2u);
  EXPECT_EQ(space.at("batch_size").kind, ExpressionKind::Choice);
  EXPECT_EQ(space.at("learning_rate").kind, ExpressionKind::Loguniform);

  EXPECT_NE(refusal([] {
              parse_search_space(json::object(), "sweep.search_space");
            }).find("sweep.search_space"),
            std::string::npos);
  EXPECT_NE(refusal([] {
              parse_search_space(json::array(), "sweep.search_space");
            }).find("sweep.search_space"),
            std::string::npos);
  const std::string m = refusal([] {
    parse_search_space(
        json::parse(R"({"lr": {"type": "uniform", "min_value": 2, "max_value": 1}})"),
        "sweep.search_space");
  });
  EXPECT_NE(m.find("sweep.search_space.lr.max_value"), std::string::npos) << m;
}

SearchSpace space_of(const std::string& text) {
  return parse_search_space(json::parse(text), "s");
}

TEST(SweepSpace, CheckSpaceForAlgorithms) {
  const auto choices = space_of(R"({"a": {"type": "choice", "values": [1, 2]}})");
  const auto bayes = space_of(R"({"a": {"type": "choice", "values": [1, 2]},
      "b": {"type": "uniform", "min_value": 0, "max_value": 1},
      "c": {"type": "quniform", "min_value": 0, "max_value": 10, "q": 1}})");
  const auto everything = space_of(R"({"a": {"type": "choice", "values": [1, 2]},
      "b": {"type": "randint", "upper": 3},
      "c": {"type": "loguniform", "min_value": -3, "max_value": 0},
      "d": {"type": "qlognormal", "mu": 0, "sigma": 1, "q": 1}})");
  for (const auto* algorithm : {"random", "grid", "bayesian"}) {
    EXPECT_NO_THROW(check_space_for(choices, algorithm, "sweep")) << algorithm;
  }
  EXPECT_NO_THROW(check_space_for(bayes, "bayesian", "sweep"));
  EXPECT_NO_THROW(check_space_for(bayes, "random", "sweep"));
  EXPECT_NO_THROW(check_space_for(everything, "random", "sweep"));

  std::string m = refusal([&] { check_space_for(bayes, "grid", "sweep"); });
  EXPECT_NE(m.find("search_space.b"), std::string::npos) << m;
  EXPECT_NE(m.find("uniform"), std::string::npos) << m;
  m = refusal([&] { check_space_for(everything, "bayesian", "sweep"); });
  EXPECT_NE(m.find("search_space.b"), std::string::npos) << m;  // randint, the first refused
  EXPECT_NE(m.find("randint"), std::string::npos) << m;
  m = refusal([&] {
    check_space_for(space_of(R"({"z": {"type": "normal", "mu": 0, "sigma": 1}})"), "bayesian",
                    "sweep");
  });
  EXPECT_NE(m.find("search_space.z"), std::string::npos) << m;
  m = refusal([&] { check_space_for(choices, "hyperband", "sweep"); });
  EXPECT_NE(m.find("hyperband"), std::string::npos) << m;
  refusal([&] { check_space_for(SearchSpace{}, "random", "sweep"); });
}

}  // namespace
}  // namespace glia::platform::sweeps
