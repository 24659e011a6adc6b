// MLflow's filter strings and order-by clauses (src/server/mlflow/filter.*), and the mapping of
// Glia's statuses and error kinds to MLflow's.
#include <gtest/gtest.h>

#include <cmath>

#include "glia/error.hpp"
#include "glia/error_kinds.hpp"
#include "server/mlflow/filter.hpp"
#include "server/mlflow/mlflow.hpp"

namespace glia::server::mlflow {
namespace {

using platform::RunStatus;

TEST(MlflowFilter, ParsesClausesJoinedByAnd) {
  const auto c = parse_filter(
      "metrics.acc > 0.9 AND params.lr = '0.1' and tags.\"my tag\" LIKE 'a%' AND "
      "attributes.status != \"FAILED\" AND metric.`val loss` <= -1e-3");
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0].entity, Entity::Metric);
  EXPECT_EQ(c[0].key, "acc");
  EXPECT_EQ(c[0].op, Op::Gt);
  EXPECT_DOUBLE_EQ(*c[0].number, 0.9);
  EXPECT_EQ(c[1].entity, Entity::Param);
  EXPECT_EQ(*c[1].text, "0.1");
  EXPECT_EQ(c[2].entity, Entity::Tag);
  EXPECT_EQ(c[2].key, "my tag");
  EXPECT_EQ(c[2].op, Op::Like);
  EXPECT_EQ(c[3].entity, Entity::Attribute);
  EXPECT_EQ(c[3].key, "status");
  EXPECT_EQ(c[3].op, Op::Ne);
  EXPECT_EQ(*c[3].text, "FAILED");
  EXPECT_EQ(c[4].key, "val loss");
  EXPECT_DOUBLE_EQ(*c[4].number, -1e-3);
  EXPECT_TRUE(parse_filter("").empty());
  EXPECT_TRUE(parse_filter("   ").empty());
}

TEST(MlflowFilter, ParsesInIsNullAndAttributeAliases) {
  const auto c = parse_filter(
      "attributes.run_id IN ('a', 'b') AND tags.x IS NOT NULL AND tags.y IS NULL AND "
      "attributes.created >= 1700000000000 AND run_name NOT IN ('it''s')");
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0].op, Op::In);
  EXPECT_EQ(c[0].list, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c[1].op, Op::IsNotNull);
  EXPECT_EQ(c[2].op, Op::IsNull);
  EXPECT_EQ(c[3].key, "start_time");
  EXPECT_EQ(c[4].entity, Entity::Attribute);
  EXPECT_EQ(c[4].key, "run_name");
  EXPECT_EQ(c[4].op, Op::NotIn);
  EXPECT_EQ(c[4].list, std::vector<std::string>{"it's"});
}

TEST(MlflowFilter, RefusesMalformedFilters) {
  for (const char* bad :
       {"metrics.acc > 0.9 OR metrics.acc < 0.1", "metrics.acc >", "bogus.x = 1",
        "params.lr = 'open", "metrics.acc 0.9", "metrics. = 1", "tags.t LIKE 3",
        "attributes.run_id IN 'a'", "params.p IS 3", "metrics.a ! 1", "metrics.a = 1 AND"}) {
    try {
      parse_filter(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << bad;
    }
  }
}

TEST(MlflowFilter, ParsesOrderBy) {
  const OrderBy a = parse_order_by("metrics.loss");
  EXPECT_EQ(a.entity, Entity::Metric);
  EXPECT_EQ(a.key, "loss");
  EXPECT_TRUE(a.ascending);
  const OrderBy b = parse_order_by("attributes.start_time DESC");
  EXPECT_EQ(b.key, "start_time");
  EXPECT_FALSE(b.ascending);
  EXPECT_EQ(parse_order_by("params.`batch size` asc").key, "batch size");
  EXPECT_THROW(parse_order_by("metrics.loss SIDEWAYS"), Error);
  EXPECT_THROW(parse_order_by(""), Error);
}

TEST(MlflowFilter, LikeMatchesAsSql) {
  EXPECT_TRUE(like_match("resnet-50", "res%", false));
  EXPECT_TRUE(like_match("resnet-50", "%net%", false));
  EXPECT_TRUE(like_match("resnet-50", "resnet-5_", false));
  EXPECT_FALSE(like_match("resnet-50", "resnet-5", false));
  EXPECT_FALSE(like_match("ResNet", "resnet", false));
  EXPECT_TRUE(like_match("ResNet", "resnet", true));
  EXPECT_TRUE(like_match("", "%", false));
  EXPECT_TRUE(like_match("a%b", "a%%b", false));
  EXPECT_FALSE(like_match("abc", "a_", false));
}

TEST(MlflowMapping, StatusesBothWays) {
  EXPECT_EQ(mlflow_status(RunStatus::NotStarted), "SCHEDULED");
  EXPECT_EQ(mlflow_status(RunStatus::Queued), "SCHEDULED");
  EXPECT_EQ(mlflow_status(RunStatus::Running), "RUNNING");
  EXPECT_EQ(mlflow_status(RunStatus::Finalizing), "RUNNING");
  EXPECT_EQ(mlflow_status(RunStatus::Completed), "FINISHED");
  EXPECT_EQ(mlflow_status(RunStatus::Failed), "FAILED");
  EXPECT_EQ(mlflow_status(RunStatus::Canceled), "KILLED");
  for (const char* s : {"RUNNING", "FINISHED", "FAILED", "KILLED"})
    EXPECT_EQ(mlflow_status(glia_status(s)), s);
  EXPECT_THROW(glia_status("DONE"), Error);
}

TEST(MlflowMapping, EveryErrorKindHasMlflowsCodeAndStatus) {
  EXPECT_EQ(std::string(mlflow_error(ErrorKind::InvalidArgument).code), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(mlflow_error(ErrorKind::InvalidArgument).status, 400);
  EXPECT_EQ(std::string(mlflow_error(ErrorKind::NotFound).code), "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(mlflow_error(ErrorKind::NotFound).status, 404);
  EXPECT_EQ(std::string(mlflow_error(ErrorKind::Conflict).code), "RESOURCE_ALREADY_EXISTS");
  EXPECT_EQ(mlflow_error(ErrorKind::Conflict).status, 400);
  EXPECT_EQ(mlflow_error(ErrorKind::Permission).status, 403);
  EXPECT_EQ(mlflow_error(ErrorKind::Unauthenticated).status, 401);
  EXPECT_EQ(std::string(mlflow_error(ErrorKind::Unavailable).code), "TEMPORARILY_UNAVAILABLE");
  EXPECT_EQ(mlflow_error(ErrorKind::Internal).status, 500);
  for (const ErrorKind k : kErrorKinds) {
    const http::Response r = error_response(k, "boom");
    const auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body.at("error_code"), mlflow_error(k).code);
    EXPECT_EQ(body.at("message"), "boom");
    EXPECT_EQ(r.status, mlflow_error(k).status);
  }
}

TEST(MlflowMapping, DoublesAndTimesAsProto3Json) {
  EXPECT_EQ(json_double(std::nan("")), "NaN");
  EXPECT_EQ(json_double(INFINITY), "Infinity");
  EXPECT_EQ(json_double(-INFINITY), "-Infinity");
  EXPECT_EQ(json_double(0.5), 0.5);
  EXPECT_EQ(to_millis(1700000000.1234), 1700000000123);
  const nlohmann::json f = {{"a", "12"}, {"b", 7}, {"c", "x"}, {"v", "NaN"}, {"w", "-Infinity"}};
  EXPECT_EQ(*optional_int(f, "a"), 12);
  EXPECT_EQ(*optional_int(f, "b"), 7);
  EXPECT_FALSE(optional_int(f, "missing").has_value());
  EXPECT_THROW(optional_int(f, "c"), Error);
  EXPECT_TRUE(std::isnan(required_double(f, "v")));
  EXPECT_EQ(required_double(f, "w"), -INFINITY);
  EXPECT_THROW(required_double(f, "c"), Error);
  EXPECT_THROW(required_double(f, "missing"), Error);
}

}  // namespace
}  // namespace glia::server::mlflow
