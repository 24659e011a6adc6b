// The store's records as JSON (glia/platform/store_json.hpp), the remote store's wire format:
// every member of every record survives a trip through JSON text exactly, and reading refuses
// anything that is not such a record (unknown keys, wrong JSON types, unknown enum names) with an
// InvalidArgument error naming where.
#include "glia/platform/store_json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "glia/error.hpp"

namespace {

using glia::Error;
using glia::ErrorKind;
using nlohmann::json;
using namespace glia::platform;

// ---- The number of members of an aggregate, counted by the compiler (as Boost.PFR does): the
// most initializers `T{...}` takes. A member added to a record and not to the codec makes the
// record's JSON one key short of this.
struct AnyMember {
  template <typename T>
  operator T&() const&& noexcept;
};

template <typename T, size_t... I>
constexpr bool takes_initializers(std::index_sequence<I...>) {
  return requires {
    T{(void(I), AnyMember{})...};
  };
}

template <typename T, size_t N = 0>
constexpr size_t member_count() {
  if constexpr (!takes_initializers<T>(std::make_index_sequence<N + 1>{}))
    return N;
  else
    return member_count<T, N + 1>();
}

static_assert(member_count<MetricPoint>() == 4);  // the static kNextStep is not a member
static_assert(member_count<SearchedRun>() == 3);  // a nested record counts once

/// Writes `full` (every member set to a value other than its default), reads it back from the
/// JSON text and checks: one key per member of T; each key's value differs from a default T's
/// (so the test value sets every member, and a member the reader dropped would show); the record
/// read back writes the identical JSON. Returns the record read back for checks of its own.
template <typename T>
T round_trip(const T& full) {
  const json j = full;
  const json defaults = T{};
  EXPECT_TRUE(j.is_object()) << j.dump();
  EXPECT_EQ(j.size(), member_count<T>()) << j.dump();
  EXPECT_EQ(defaults.size(), member_count<T>()) << defaults.dump();
  for (const auto& [key, value] : defaults.items()) {
    EXPECT_TRUE(j.contains(key)) << key;
    if (j.contains(key)) {
      EXPECT_NE(j.at(key), value) << key << " is left at its default";
    }
  }
  const T back = json::parse(j.dump()).get<T>();
  EXPECT_EQ(json(back), j);
  return back;
}

/// The glia::Error reading `j` as a T throws (a test failure if it throws none or another type).
template <typename T>
Error read_error(const json& j) {
  try {
    (void)j.get<T>();
  } catch (const Error& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a glia::Error: " << e.what();
    return Error(ErrorKind::Internal, e.what());
  }
  ADD_FAILURE() << "no error reading " << j.dump();
  return Error(ErrorKind::Internal, "(no error)");
}

/// Reading `j` as a T is refused as InvalidArgument with a message naming `where`.
template <typename T>
void expect_refused(const json& j, const std::string& where) {
  const Error e = read_error<T>(j);
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
  EXPECT_NE(std::string(e.what()).find(where), std::string::npos)
      << "'" << e.what() << "' does not name " << where << " (" << j.dump() << ")";
}

// ---- Fully set values of every record ----

RunInput full_input() {
  return {"run_1", "data", "mnist", 3, "ab12", "download"};
}

NewRun full_new_run() {
  NewRun r;
  r.experiment = "exp";
  r.display_name = "nice name";
  r.command = "python train.py --lr 0.1";
  r.compute = "gpu";
  r.tags = {{"a", "1"}, {"b", ""}};
  r.spec = R"({"command":"x"})";
  r.code_snapshot = "c0de";
  r.timeout = 3600.5;
  r.queue = true;
  r.start = 1733389201.25;
  r.id = "exp_1_deadbeef";
  r.inputs = {full_input(), RunInput{"r", "i2", "d2", 1, "m2", "ro_mount"}};
  r.submitter_uid = 1000;
  r.submitter_name = "ada";
  r.properties = {{"threads", "4"}};
  r.job_type = "command";
  r.parent_id = "sweep_1";
  r.trial_index = 7;
  r.trial_parameters = R"({"lr":0.1})";
  return r;
}

RunRecord full_run() {
  RunRecord r;
  r.id = "exp_1733389200_0a1b2c3d";
  r.experiment = "exp";
  r.display_name = "shown";
  r.status = RunStatus::Failed;
  r.created_at = 1733389200.123456;
  r.started_at = 1733389201.5;
  r.ended_at = 1733389299.25;
  r.command = "python train.py";
  r.compute = "cpu-big";
  r.exit_code = -9;
  r.error = "killed: timeout";
  r.tags = {{"k", "v"}, {"empty", ""}};
  r.spec = R"({"a":1})";
  r.code_snapshot = "snap";
  r.timeout = 60;
  r.pid = 4242;
  r.pid_start = 987654321012;
  r.agent_pid = 17;
  r.submitter_uid = 0;
  r.submitter_name = "root";
  r.properties = {{"environment", "py:3"}};
  r.job_type = "sweep";
  r.parent_id = "parent";
  return r;
}

ComputeTarget full_compute() {
  return {"gpu", "other", 8, "the big one", 1733389200.5, 16};
}
RunFile full_file() {
  return {"outputs/model/model.h5", "f00d", 123456789012, 1.25};
}
MetricRow full_row() {
  return {"table", R"({"x":1})", 2.5};
}
MetricImage full_image() {
  return {"plot", 12, "images/plot.png", 3.5};
}
MetricPoint full_point() {
  return {"loss", 41, 0.30000000000000004, 1733389200.000001};
}

TrackingBatch full_batch() {
  TrackingBatch b;
  b.metrics = {full_point(), MetricPoint{"acc", MetricPoint::kNextStep, 0.5, 2}};
  b.rows = {full_row()};
  b.images = {full_image()};
  b.files = {full_file()};
  b.tags = {{"t", "u"}};
  return b;
}

DatasetVersion full_dataset() {
  return {"mnist", 4, "digits", "m4n1", 70000, 54321098765, R"(["data/"])", 17.5, "ada", true};
}

ModelVersion full_model() {
  ModelVersion m;
  m.name = "classifier";
  m.version = 9;
  m.description = "best so far";
  m.manifest = "abcd";
  m.file_count = 3;
  m.total_bytes = 4096;
  m.run_id = "exp_1_x";
  m.source_path = "outputs/model";
  m.tags = {{"stage", "prod"}};
  m.properties = {{"accuracy", "0.99"}};
  m.created_at = 5.5;
  m.created_by = "bob";
  return m;
}

ModelFilter full_model_filter() {
  ModelFilter f;
  f.name = "classifier";
  f.run_id = "exp_1_x";
  f.tags = {{"stage", "prod"}, {"any", std::nullopt}};
  f.properties = {{"p", std::nullopt}};
  return f;
}

EnvironmentVersion full_environment() {
  return {"py",       2,       "numpy", R"({"pip":[]})", "spec#", "build#",
          "name: py", "conda", 9.75,    "ada",           true,    true};
}

User full_user() {
  return {"ada", Role::Owner, 100.5, "root", true};
}
ApiToken full_token() {
  return {"tok1", "ada", "$argon2id$...", "ci", 10.5, 20.5, 15.25};
}

ExperimentRecord full_experiment() {
  return {12, "exp", 1.5, 2.5, true, {{"mlflow.note.content", "hi"}}};
}

RegisteredModel full_registered_model() {
  return {"classifier", "desc", 1.5, 2.5};
}

RunFilter full_run_filter() {
  RunFilter f;
  f.experiment = "exp";
  f.status = RunStatus::Running;
  f.any_status = {RunStatus::Queued, RunStatus::CancelRequested};
  f.compute = "gpu";
  f.submitter_uid = 1000;
  f.parent_id = "sweep";
  f.oldest_first = true;
  f.limit = 5;
  return f;
}

RunCondition full_condition() {
  return {SearchField::Metric, "loss", SearchOp::Le, 0.25, "text", {"a", "b"}};
}

RunOrder full_order() {
  return {SearchField::Tag, "mlflow.runName", false};
}

RunSearch full_search() {
  RunSearch q;
  q.experiment_ids = {0, 7, std::numeric_limits<int64_t>::max()};
  q.conditions = {
      full_condition(),
      RunCondition{SearchField::Param, "p", SearchOp::NotIn, std::nullopt, std::nullopt, {"x"}}};
  q.order = {full_order()};
  q.lifecycle = RunLifecycle::All;
  q.limit = 3;
  q.page_token = "opaque";
  return q;
}

SearchedRun full_searched_run() {
  return {full_run(), 12, true};
}
RunSearchPage full_page() {
  return {{full_searched_run(), SearchedRun{}}, "next"};
}

// ---- Round trips ----

TEST(StoreJson, RunInputRoundTrips) {
  const RunInput b = round_trip(full_input());
  EXPECT_EQ(b.run_id, "run_1");
  EXPECT_EQ(b.input, "data");
  EXPECT_EQ(b.dataset, "mnist");
  EXPECT_EQ(b.version, 3);
  EXPECT_EQ(b.manifest, "ab12");
  EXPECT_EQ(b.mode, "download");
}

TEST(StoreJson, NewRunRoundTrips) {
  const NewRun full = full_new_run();
  const NewRun b = round_trip(full);
  EXPECT_EQ(b.experiment, full.experiment);
  EXPECT_EQ(b.display_name, full.display_name);
  EXPECT_EQ(b.command, full.command);
  EXPECT_EQ(b.compute, "gpu");
  EXPECT_EQ(b.tags, full.tags);
  EXPECT_EQ(b.spec, full.spec);
  EXPECT_EQ(b.code_snapshot, full.code_snapshot);
  EXPECT_EQ(b.timeout, 3600.5);
  EXPECT_TRUE(b.queue);
  EXPECT_EQ(b.start, 1733389201.25);
  EXPECT_EQ(b.id, full.id);
  ASSERT_EQ(b.inputs.size(), 2u);
  EXPECT_EQ(b.inputs[1].mode, "ro_mount");
  EXPECT_EQ(b.submitter_uid, 1000);
  EXPECT_EQ(b.submitter_name, "ada");
  EXPECT_EQ(b.properties, full.properties);
  EXPECT_EQ(b.job_type, "command");
  EXPECT_EQ(b.parent_id, "sweep_1");
  EXPECT_EQ(b.trial_index, 7);
  EXPECT_EQ(b.trial_parameters, full.trial_parameters);
}

TEST(StoreJson, SweepTrialRoundTrips) {
  const SweepTrial b = round_trip(SweepTrial{"sweep", 5, "trial_run", R"({"x":2})"});
  EXPECT_EQ(b.sweep_id, "sweep");
  EXPECT_EQ(b.index, 5);
  EXPECT_EQ(b.run_id, "trial_run");
  EXPECT_EQ(b.parameters, R"({"x":2})");
}

TEST(StoreJson, RunRecordRoundTrips) {
  const RunRecord full = full_run();
  const RunRecord b = round_trip(full);
  EXPECT_EQ(b.id, full.id);
  EXPECT_EQ(b.experiment, "exp");
  EXPECT_EQ(b.display_name, "shown");
  EXPECT_EQ(b.status, RunStatus::Failed);
  EXPECT_EQ(b.created_at, 1733389200.123456);  // doubles exactly, not to some digits
  EXPECT_EQ(b.started_at, 1733389201.5);
  EXPECT_EQ(b.ended_at, 1733389299.25);
  EXPECT_EQ(b.command, full.command);
  EXPECT_EQ(b.compute, "cpu-big");
  EXPECT_EQ(b.exit_code, -9);
  EXPECT_EQ(b.error, full.error);
  EXPECT_EQ(b.tags, full.tags);
  EXPECT_EQ(b.spec, full.spec);
  EXPECT_EQ(b.code_snapshot, "snap");
  EXPECT_EQ(b.timeout, 60.0);
  EXPECT_EQ(b.pid, 4242);
  EXPECT_EQ(b.pid_start, 987654321012);
  EXPECT_EQ(b.agent_pid, 17);
  EXPECT_EQ(b.submitter_uid, 0);  // set to 0 is not unset
  EXPECT_EQ(b.submitter_name, "root");
  EXPECT_EQ(b.properties, full.properties);
  EXPECT_TRUE(b.is_sweep());
  EXPECT_EQ(b.parent_id, "parent");
}

TEST(StoreJson, UnsetOptionalsAreNullAndStayUnset) {
  const RunRecord unset;
  const json j = unset;
  for (const char* key : {"started_at", "ended_at", "exit_code", "timeout", "pid", "pid_start",
                          "agent_pid", "submitter_uid"}) {
    EXPECT_TRUE(j.at(key).is_null()) << key;
  }
  const RunRecord b = json::parse(j.dump()).get<RunRecord>();
  EXPECT_FALSE(b.started_at);
  EXPECT_FALSE(b.exit_code);
  EXPECT_FALSE(b.pid);
  EXPECT_FALSE(b.submitter_uid);
  EXPECT_EQ(json(b), j);

  ModelVersion m = full_model();
  m.run_id.reset();
  EXPECT_FALSE(json::parse(json(m).dump()).get<ModelVersion>().run_id);
}

TEST(StoreJson, AbsentAndNullKeysKeepTheDefaults) {
  const ComputeTarget c = json::parse(R"({"name":"x","type":null})").get<ComputeTarget>();
  EXPECT_EQ(c.name, "x");
  EXPECT_EQ(c.type, "local");
  EXPECT_EQ(c.max_concurrent, 1);
  EXPECT_FALSE(c.threads_per_job);
  EXPECT_EQ(json(json::object().get<NewRun>()), json(NewRun{}));
  EXPECT_EQ(json::object().get<NewRun>().compute, "local");
  EXPECT_EQ(json::object().get<RunSearch>().limit, 1000);
  EXPECT_EQ(json::object().get<RunFilter>().limit, 100);
}

TEST(StoreJson, ComputeTargetRoundTrips) {
  const ComputeTarget b = round_trip(full_compute());
  EXPECT_EQ(b.name, "gpu");
  EXPECT_EQ(b.type, "other");
  EXPECT_EQ(b.max_concurrent, 8);
  EXPECT_EQ(b.description, "the big one");
  EXPECT_EQ(b.created_at, 1733389200.5);
  EXPECT_EQ(b.threads_per_job, 16);
}

TEST(StoreJson, RunFilesRowsImagesAndStatusChangesRoundTrip) {
  const RunFile f = round_trip(full_file());
  EXPECT_EQ(f.path, "outputs/model/model.h5");
  EXPECT_EQ(f.sha256, "f00d");
  EXPECT_EQ(f.size, 123456789012);
  EXPECT_EQ(f.created_at, 1.25);

  const MetricRow r = round_trip(full_row());
  EXPECT_EQ(r.name, "table");
  EXPECT_EQ(r.row_json, R"({"x":1})");
  EXPECT_EQ(r.wall_time, 2.5);

  const MetricImage i = round_trip(full_image());
  EXPECT_EQ(i.name, "plot");
  EXPECT_EQ(i.step, 12);
  EXPECT_EQ(i.path, "images/plot.png");
  EXPECT_EQ(i.wall_time, 3.5);

  const StatusChange s = round_trip(StatusChange{RunStatus::CancelRequested, 99.125});
  EXPECT_EQ(s.status, RunStatus::CancelRequested);
  EXPECT_EQ(s.at, 99.125);
}

TEST(StoreJson, MetricPointRoundTripsExactly) {
  const MetricPoint b = round_trip(full_point());
  EXPECT_EQ(b.name, "loss");
  EXPECT_EQ(b.step, 41);
  EXPECT_EQ(b.value, 0.30000000000000004);
  EXPECT_EQ(b.wall_time, 1733389200.000001);

  const MetricPoint next{"m", MetricPoint::kNextStep, -1e-300, 0};
  const json j = next;
  EXPECT_TRUE(j.at("step").is_number_integer());
  const MetricPoint back = json::parse(j.dump()).get<MetricPoint>();
  EXPECT_EQ(back.step, MetricPoint::kNextStep);
  EXPECT_EQ(back.value, -1e-300);
  EXPECT_EQ(json::parse(R"({"step":9223372036854775807})").get<MetricPoint>().step,
            std::numeric_limits<int64_t>::max());
}

TEST(StoreJson, NanAndInfinitiesAreStringsBothWays) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::pair<double, const char*> cases[] = {
      {std::numeric_limits<double>::quiet_NaN(), "NaN"}, {inf, "Infinity"}, {-inf, "-Infinity"}};
  for (const auto& [value, text] : cases) {
    const json j = MetricPoint{"m", 1, value, 2};
    EXPECT_EQ(j.at("value"), text);
    const double back = json::parse(j.dump()).get<MetricPoint>().value;
    if (std::isnan(value))
      EXPECT_TRUE(std::isnan(back));
    else
      EXPECT_EQ(back, value);

    const json c = RunCondition{SearchField::Metric, "m", SearchOp::Gt, value, std::nullopt, {}};
    EXPECT_EQ(c.at("number"), text);
    const auto number = json::parse(c.dump()).get<RunCondition>().number;
    ASSERT_TRUE(number);
    EXPECT_EQ(std::isnan(*number), std::isnan(value));
    if (!std::isnan(value)) {
      EXPECT_EQ(*number, value);
    }

    // Every double is written the same way, record timestamps too.
    const json f = RunFile{"p", "s", 1, value};
    EXPECT_EQ(f.at("created_at"), text);
  }
  expect_refused<MetricPoint>(json{{"value", "nan"}}, "MetricPoint.value");
  expect_refused<MetricPoint>(json{{"value", "1.5"}}, "MetricPoint.value");
  expect_refused<MetricPoint>(json{{"value", true}}, "MetricPoint.value");
  EXPECT_EQ((json{{"value", 3}}.get<MetricPoint>().value), 3.0);  // an integer is a number
}

TEST(StoreJson, TrackingBatchRoundTrips) {
  const TrackingBatch b = round_trip(full_batch());
  ASSERT_EQ(b.metrics.size(), 2u);
  EXPECT_EQ(b.metrics[0].name, "loss");
  EXPECT_EQ(b.metrics[1].step, MetricPoint::kNextStep);
  ASSERT_EQ(b.rows.size(), 1u);
  EXPECT_EQ(b.rows[0].row_json, R"({"x":1})");
  ASSERT_EQ(b.images.size(), 1u);
  EXPECT_EQ(b.images[0].path, "images/plot.png");
  ASSERT_EQ(b.files.size(), 1u);
  EXPECT_EQ(b.files[0].size, 123456789012);
  EXPECT_EQ(b.tags, (std::map<std::string, std::string>{{"t", "u"}}));
}

TEST(StoreJson, AssetRecordsRoundTrip) {
  const DatasetVersion d = round_trip(full_dataset());
  EXPECT_EQ(d.name, "mnist");
  EXPECT_EQ(d.version, 4);
  EXPECT_EQ(d.description, "digits");
  EXPECT_EQ(d.manifest, "m4n1");
  EXPECT_EQ(d.file_count, 70000);
  EXPECT_EQ(d.total_bytes, 54321098765);
  EXPECT_EQ(d.sources, R"(["data/"])");
  EXPECT_EQ(d.created_at, 17.5);
  EXPECT_EQ(d.created_by, "ada");
  EXPECT_TRUE(d.archived);

  const ModelVersion full = full_model();
  const ModelVersion m = round_trip(full);
  EXPECT_EQ(m.name, "classifier");
  EXPECT_EQ(m.version, 9);
  EXPECT_EQ(m.description, "best so far");
  EXPECT_EQ(m.manifest, "abcd");
  EXPECT_EQ(m.file_count, 3);
  EXPECT_EQ(m.total_bytes, 4096);
  EXPECT_EQ(m.run_id, "exp_1_x");
  EXPECT_EQ(m.source_path, "outputs/model");
  EXPECT_EQ(m.tags, full.tags);
  EXPECT_EQ(m.properties, full.properties);
  EXPECT_EQ(m.created_at, 5.5);
  EXPECT_EQ(m.created_by, "bob");

  const ModelFilter f = round_trip(full_model_filter());
  EXPECT_EQ(f.name, "classifier");
  EXPECT_EQ(f.run_id, "exp_1_x");
  EXPECT_EQ(f.tags, full_model_filter().tags);  // a key with no value stays a key with no value
  EXPECT_FALSE(f.tags.at("any"));
  EXPECT_EQ(f.properties, full_model_filter().properties);

  const EnvironmentVersion e = round_trip(full_environment());
  EXPECT_EQ(e.name, "py");
  EXPECT_EQ(e.version, 2);
  EXPECT_EQ(e.description, "numpy");
  EXPECT_EQ(e.spec, R"({"pip":[]})");
  EXPECT_EQ(e.spec_hash, "spec#");
  EXPECT_EQ(e.build_hash, "build#");
  EXPECT_EQ(e.source, "name: py");
  EXPECT_EQ(e.source_kind, "conda");
  EXPECT_EQ(e.created_at, 9.75);
  EXPECT_EQ(e.created_by, "ada");
  EXPECT_TRUE(e.archived);
  EXPECT_TRUE(e.anonymous);
}

TEST(StoreJson, AccessRecordsRoundTrip) {
  const User u = round_trip(full_user());
  EXPECT_EQ(u.name, "ada");
  EXPECT_EQ(u.role, Role::Owner);
  EXPECT_EQ(u.created_at, 100.5);
  EXPECT_EQ(u.created_by, "root");
  EXPECT_TRUE(u.disabled);

  const ApiToken t = round_trip(full_token());
  EXPECT_EQ(t.id, "tok1");
  EXPECT_EQ(t.user, "ada");
  EXPECT_EQ(t.secret_hash, "$argon2id$...");
  EXPECT_EQ(t.description, "ci");
  EXPECT_EQ(t.created_at, 10.5);
  EXPECT_EQ(t.expires_at, 20.5);
  EXPECT_EQ(t.revoked_at, 15.25);
}

TEST(StoreJson, ExperimentsAndRegisteredModelsRoundTrip) {
  const ExperimentRecord e = round_trip(full_experiment());
  EXPECT_EQ(e.id, 12);
  EXPECT_EQ(e.name, "exp");
  EXPECT_EQ(e.created_at, 1.5);
  EXPECT_EQ(e.updated_at, 2.5);
  EXPECT_TRUE(e.deleted);
  EXPECT_EQ(e.tags, full_experiment().tags);

  const RegisteredModel r = round_trip(full_registered_model());
  EXPECT_EQ(r.name, "classifier");
  EXPECT_EQ(r.description, "desc");
  EXPECT_EQ(r.created_at, 1.5);
  EXPECT_EQ(r.updated_at, 2.5);
}

TEST(StoreJson, RunFilterRoundTrips) {
  const RunFilter f = round_trip(full_run_filter());
  EXPECT_EQ(f.experiment, "exp");
  EXPECT_EQ(f.status, RunStatus::Running);
  EXPECT_EQ(f.any_status, (std::vector<RunStatus>{RunStatus::Queued, RunStatus::CancelRequested}));
  EXPECT_EQ(f.compute, "gpu");
  EXPECT_EQ(f.submitter_uid, 1000);
  EXPECT_EQ(f.parent_id, "sweep");
  EXPECT_TRUE(f.oldest_first);
  EXPECT_EQ(f.limit, 5);
}

TEST(StoreJson, RunSearchRecordsRoundTrip) {
  const RunCondition c = round_trip(full_condition());
  EXPECT_EQ(c.field, SearchField::Metric);
  EXPECT_EQ(c.key, "loss");
  EXPECT_EQ(c.op, SearchOp::Le);
  EXPECT_EQ(c.number, 0.25);
  EXPECT_EQ(c.text, "text");
  EXPECT_EQ(c.list, (std::vector<std::string>{"a", "b"}));

  const RunOrder o = round_trip(full_order());
  EXPECT_EQ(o.field, SearchField::Tag);
  EXPECT_EQ(o.key, "mlflow.runName");
  EXPECT_FALSE(o.ascending);

  const RunSearch q = round_trip(full_search());
  EXPECT_EQ(q.experiment_ids, (std::vector<int64_t>{0, 7, std::numeric_limits<int64_t>::max()}));
  ASSERT_EQ(q.conditions.size(), 2u);
  EXPECT_EQ(q.conditions[1].op, SearchOp::NotIn);
  EXPECT_FALSE(q.conditions[1].number);
  EXPECT_FALSE(q.conditions[1].text);
  ASSERT_EQ(q.order.size(), 1u);
  EXPECT_EQ(q.order[0].key, "mlflow.runName");
  EXPECT_EQ(q.lifecycle, RunLifecycle::All);
  EXPECT_EQ(q.limit, 3);
  EXPECT_EQ(q.page_token, "opaque");

  const SearchedRun s = round_trip(full_searched_run());
  EXPECT_EQ(json(s.run), json(full_run()));
  EXPECT_EQ(s.experiment_id, 12);
  EXPECT_TRUE(s.deleted);

  const RunSearchPage p = round_trip(full_page());
  ASSERT_EQ(p.runs.size(), 2u);
  EXPECT_EQ(p.runs[0].run.id, full_run().id);
  EXPECT_EQ(json(p.runs[1]), json(SearchedRun{}));
  EXPECT_EQ(p.next_page_token, "next");
}

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
