// What the store-JSON tests share (test_store_json.cpp: round trips; test_store_json_strict.cpp:
// enums and strict reading): the compiler's count of a record's members, round trips through JSON
// text, and a fully set value of every record.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "glia/error.hpp"
#include "glia/platform/store_json.hpp"

namespace glia::platform::testing_store_json {

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

inline RunInput full_input() {
  return {"run_1", "data", "mnist", 3, "ab12", "download"};
}

inline NewRun full_new_run() {
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

inline RunRecord full_run() {
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

inline ComputeTarget full_compute() {
  ComputeTarget t{"gpu", "other", 8, "the big one", 1733389200.5, 16};
  t.partition = "batch";
  t.max_nodes = 4;
  t.account = "ml";
  t.qos = "high";
  t.time_limit = "1:00:00";
  return t;
}
inline RunFile full_file() {
  return {"outputs/model/model.h5", "f00d", 123456789012, 1.25};
}
inline MetricRow full_row() {
  return {"table", R"({"x":1})", 2.5};
}
inline MetricImage full_image() {
  return {"plot", 12, "images/plot.png", 3.5};
}
inline MetricPoint full_point() {
  return {"loss", 41, 0.30000000000000004, 1733389200.000001};
}

inline TrackingBatch full_batch() {
  TrackingBatch b;
  b.metrics = {full_point(), MetricPoint{"acc", MetricPoint::kNextStep, 0.5, 2}};
  b.rows = {full_row()};
  b.images = {full_image()};
  b.files = {full_file()};
  b.tags = {{"t", "u"}};
  return b;
}

inline DatasetVersion full_dataset() {
  return {"mnist", 4, "digits", "m4n1", 70000, 54321098765, R"(["data/"])", 17.5, "ada", true};
}

inline ModelVersion full_model() {
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

inline ModelFilter full_model_filter() {
  ModelFilter f;
  f.name = "classifier";
  f.run_id = "exp_1_x";
  f.tags = {{"stage", "prod"}, {"any", std::nullopt}};
  f.properties = {{"p", std::nullopt}};
  return f;
}

inline EnvironmentVersion full_environment() {
  return {"py",       2,       "numpy", R"({"pip":[]})", "spec#", "build#",
          "name: py", "conda", 9.75,    "ada",           true,    true};
}

inline User full_user() {
  return {"ada", Role::Owner, 100.5, "root", true};
}
inline ApiToken full_token() {
  return {"tok1", "ada", "$argon2id$...", "ci", 10.5, 20.5, 15.25};
}

inline ExperimentRecord full_experiment() {
  return {12, "exp", 1.5, 2.5, true, {{"mlflow.note.content", "hi"}}};
}

inline RegisteredModel full_registered_model() {
  return {"classifier", "desc", 1.5, 2.5};
}

inline RunFilter full_run_filter() {
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

inline RunCondition full_condition() {
  return {SearchField::Metric, "loss", SearchOp::Le, 0.25, "text", {"a", "b"}};
}

inline RunOrder full_order() {
  return {SearchField::Tag, "mlflow.runName", false};
}

inline RunSearch full_search() {
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

inline SearchedRun full_searched_run() {
  return {full_run(), 12, true};
}
inline RunSearchPage full_page() {
  return {{full_searched_run(), SearchedRun{}}, "next"};
}

}  // namespace glia::platform::testing_store_json
