// The store's records as JSON: enums are their names, and reading refuses anything that is not
// such a record (unknown keys, wrong JSON types, unknown enum names) with an InvalidArgument error
// naming where.
#include "store_json_fixture.hpp"

namespace {

using namespace glia::platform::testing_store_json;
using glia::Error;
using glia::ErrorKind;
using nlohmann::json;
using namespace glia::platform;

// ---- Enums ----

template <typename E>
void expect_enum_names(std::initializer_list<std::pair<E, const char*>> names) {
  for (const auto& [value, name] : names) {
    EXPECT_EQ(json(value), name);
    EXPECT_EQ(json(name).get<E>(), value) << name;
  }
}

TEST(StoreJson, EnumsAreTheirNames) {
  expect_enum_names<RunStatus>({{RunStatus::NotStarted, "NotStarted"},
                                {RunStatus::Queued, "Queued"},
                                {RunStatus::Preparing, "Preparing"},
                                {RunStatus::Starting, "Starting"},
                                {RunStatus::Running, "Running"},
                                {RunStatus::Finalizing, "Finalizing"},
                                {RunStatus::CancelRequested, "CancelRequested"},
                                {RunStatus::Completed, "Completed"},
                                {RunStatus::Failed, "Failed"},
                                {RunStatus::Canceled, "Canceled"}});
  expect_enum_names<Role>(
      {{Role::Reader, "reader"}, {Role::Contributor, "contributor"}, {Role::Owner, "owner"}});
  expect_enum_names<SearchField>({{SearchField::Attribute, "attribute"},
                                  {SearchField::Metric, "metric"},
                                  {SearchField::Param, "param"},
                                  {SearchField::Tag, "tag"}});
  expect_enum_names<SearchOp>({{SearchOp::Eq, "="},
                               {SearchOp::Ne, "!="},
                               {SearchOp::Lt, "<"},
                               {SearchOp::Le, "<="},
                               {SearchOp::Gt, ">"},
                               {SearchOp::Ge, ">="},
                               {SearchOp::Like, "LIKE"},
                               {SearchOp::ILike, "ILIKE"},
                               {SearchOp::In, "IN"},
                               {SearchOp::NotIn, "NOT IN"},
                               {SearchOp::IsNull, "IS NULL"},
                               {SearchOp::IsNotNull, "IS NOT NULL"}});
  expect_enum_names<RunLifecycle>({{RunLifecycle::Active, "active"},
                                   {RunLifecycle::Deleted, "deleted"},
                                   {RunLifecycle::All, "all"}});
  expect_enum_names<EndpointState>({{EndpointState::Creating, "Creating"},
                                    {EndpointState::Healthy, "Healthy"},
                                    {EndpointState::Unhealthy, "Unhealthy"},
                                    {EndpointState::Failed, "Failed"},
                                    {EndpointState::Deleting, "Deleting"}});
  EXPECT_EQ(read_error<EndpointState>(json("Running")).kind(), ErrorKind::InvalidArgument);
}

TEST(StoreJson, UnknownEnumNamesAreRefused) {
  expect_refused<RunRecord>(json{{"status", "Done"}}, "RunRecord.status");
  expect_refused<RunFilter>(json{{"any_status", {"Queued", "queued"}}}, "RunFilter.any_status[1]");
  expect_refused<User>(json{{"role", "admin"}}, "User.role");
  expect_refused<RunCondition>(json{{"op", "=="}}, "RunCondition.op");
  expect_refused<RunCondition>(json{{"op", "like"}}, "RunCondition.op");
  expect_refused<RunOrder>(json{{"field", "column"}}, "RunOrder.field");
  expect_refused<RunSearch>(json{{"lifecycle", "gone"}}, "RunSearch.lifecycle");
  expect_refused<RunStatus>(json(3), "RunStatus");
  expect_refused<SearchOp>(json("EQ"), "SearchOp");
  expect_refused<RunRecord>(json{{"status", 4}}, "RunRecord.status");  // not by number either
}

// ---- Strict reading ----

TEST(StoreJson, UnknownKeysAreRefused) {
  json run = full_run();
  run["foo"] = 1;
  expect_refused<RunRecord>(run, "RunRecord: unknown field 'foo'");
  // One check for every record, so none reads leniently.
  const auto refuses_extra = [](auto full, const std::string& type) {
    json j = full;
    j["not_a_member"] = nullptr;  // even a null one: the key itself is wrong
    expect_refused<decltype(full)>(j, type + ": unknown field 'not_a_member'");
  };
  refuses_extra(full_input(), "RunInput");
  refuses_extra(full_new_run(), "NewRun");
  refuses_extra(SweepTrial{}, "SweepTrial");
  refuses_extra(full_compute(), "ComputeTarget");
  refuses_extra(full_file(), "RunFile");
  refuses_extra(full_row(), "MetricRow");
  refuses_extra(full_image(), "MetricImage");
  refuses_extra(StatusChange{}, "StatusChange");
  refuses_extra(full_point(), "MetricPoint");
  refuses_extra(full_batch(), "TrackingBatch");
  refuses_extra(full_dataset(), "DatasetVersion");
  refuses_extra(full_model(), "ModelVersion");
  refuses_extra(full_model_filter(), "ModelFilter");
  refuses_extra(full_environment(), "EnvironmentVersion");
  refuses_extra(full_user(), "User");
  refuses_extra(full_token(), "ApiToken");
  refuses_extra(full_experiment(), "ExperimentRecord");
  refuses_extra(full_registered_model(), "RegisteredModel");
  refuses_extra(full_run_filter(), "RunFilter");
  refuses_extra(full_condition(), "RunCondition");
  refuses_extra(full_order(), "RunOrder");
  refuses_extra(full_search(), "RunSearch");
  refuses_extra(full_searched_run(), "SearchedRun");
  refuses_extra(full_page(), "RunSearchPage");
  // Nested records name their place.
  json batch = full_batch();
  batch["metrics"][1]["foo"] = 1;
  expect_refused<TrackingBatch>(batch, "TrackingBatch.metrics[1]: unknown field 'foo'");
  json page = full_page();
  page["runs"][0]["run"]["bar"] = "x";
  expect_refused<RunSearchPage>(page, "RunSearchPage.runs[0].run: unknown field 'bar'");
}

TEST(StoreJson, WrongJsonTypesAreRefused) {
  expect_refused<RunRecord>(json{{"exit_code", "3"}}, "RunRecord.exit_code");
  expect_refused<RunRecord>(json{{"exit_code", 2147483648LL}}, "RunRecord.exit_code");
  expect_refused<RunRecord>(json{{"exit_code", -2147483649LL}}, "RunRecord.exit_code");
  EXPECT_EQ((json{{"exit_code", -2147483648LL}}.get<RunRecord>().exit_code), INT32_MIN);
  expect_refused<MetricPoint>(json{{"step", 1.5}}, "MetricPoint.step");
  expect_refused<MetricPoint>(json{{"step", 2.0}}, "MetricPoint.step");
  expect_refused<MetricPoint>(json::parse(R"({"step":9223372036854775808})"), "MetricPoint.step");
  expect_refused<MetricPoint>(json{{"step", "1"}}, "MetricPoint.step");
  expect_refused<MetricPoint>(json{{"step", true}}, "MetricPoint.step");
  expect_refused<RunRecord>(json{{"id", json::object()}}, "RunRecord.id");
  expect_refused<RunRecord>(json{{"id", 5}}, "RunRecord.id");
  expect_refused<RunRecord>(json{{"created_at", "yesterday"}}, "RunRecord.created_at");
  expect_refused<RunRecord>(json{{"tags", json::array()}}, "RunRecord.tags");
  expect_refused<RunRecord>(json{{"tags", {{"a", 1}}}}, "RunRecord.tags['a']");
  expect_refused<NewRun>(json{{"queue", 1}}, "NewRun.queue");
  expect_refused<NewRun>(json{{"queue", "true"}}, "NewRun.queue");
  expect_refused<NewRun>(json{{"inputs", json::object()}}, "NewRun.inputs");
  expect_refused<NewRun>(json{{"inputs", json::array({json::array()})}}, "NewRun.inputs[0]");
  expect_refused<NewRun>(json{{"inputs", json::array({json{{"version", "1"}}})}},
                         "NewRun.inputs[0].version");
  expect_refused<RunSearch>(json{{"experiment_ids", {1, nullptr}}}, "RunSearch.experiment_ids[1]");
  expect_refused<RunCondition>(json{{"list", {"a", 2}}}, "RunCondition.list[1]");
  expect_refused<ModelFilter>(json{{"tags", {{"k", 2}}}}, "ModelFilter.tags['k']");
  expect_refused<SearchedRun>(json{{"run", "exp_1"}}, "SearchedRun.run");
  json batch = full_batch();
  batch["metrics"][1]["value"] = "abc";
  expect_refused<TrackingBatch>(batch, "TrackingBatch.metrics[1].value");
}

TEST(StoreJson, NonObjectsAreRefused) {
  for (const json& j : {json::array(), json("run"), json(1), json(true), json(nullptr)}) {
    expect_refused<RunRecord>(j, "RunRecord");
    expect_refused<TrackingBatch>(j, "TrackingBatch");
    expect_refused<User>(j, "User");
  }
}

TEST(StoreJson, AFailedReadLeavesTheValueAlone) {
  const RunRecord full = full_run();
  RunRecord r = full;
  json bad = full_run();
  bad["pid"] = "x";
  EXPECT_THROW(from_json(bad, r), Error);
  EXPECT_EQ(json(r), json(full));
  // And a successful one replaces every member: what the JSON leaves out takes its default.
  from_json(json{{"id", "other"}}, r);
  RunRecord expected;
  expected.id = "other";
  EXPECT_EQ(json(r), json(expected));
}

TEST(StoreJson, CheckKeys) {
  EXPECT_NO_THROW(json_check_keys(json{{"a", 1}, {"b", 2}}, {"a", "b", "c"}, "Request"));
  EXPECT_NO_THROW(json_check_keys(json::object(), {}, "Request"));
  const auto e = [](const json& j) {
    try {
      json_check_keys(j, {"a", "b"}, "Request");
    } catch (const Error& err) {
      return err;
    }
    ADD_FAILURE() << "no error for " << j.dump();
    return Error(ErrorKind::Internal, "");
  };
  const Error unknown = e(json{{"a", 1}, {"zz", 2}});
  EXPECT_EQ(unknown.kind(), ErrorKind::InvalidArgument);
  EXPECT_EQ(std::string(unknown.what()), "Request: unknown field 'zz'");
  const Error not_object = e(json::array({1}));
  EXPECT_EQ(not_object.kind(), ErrorKind::InvalidArgument);
  EXPECT_EQ(std::string(not_object.what()).rfind("Request: ", 0), 0u) << not_object.what();
}

}  // namespace
