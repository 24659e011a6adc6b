// The store's records as JSON (glia/platform/store_json.hpp), the remote store's wire format:
// every member of every record survives a trip through JSON text exactly.
#include "store_json_fixture.hpp"

namespace {

using namespace glia::platform::testing_store_json;
using glia::Error;
using glia::ErrorKind;
using nlohmann::json;
using namespace glia::platform;

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
  EXPECT_EQ(b.partition, "batch");
  EXPECT_EQ(b.max_nodes, 4);
  EXPECT_EQ(b.account, "ml");
  EXPECT_EQ(b.qos, "high");
  EXPECT_EQ(b.time_limit, "1:00:00");
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

TEST(StoreJson, EndpointRecordsRoundTrip) {
  EndpointRecord e;
  e.name = "svc";
  e.settings = {"mnist",   3,       "python", "cafe", "score.py", "env:2",
                "0.0.0.0", 8100,    4,        "none", 64,         250,
                2048,      1 << 20, 500,      30000,  "digits",   {{"team", "vision"}}};
  e.generation = 7;
  e.sealed_keys = "v1.abc";
  e.status = {EndpointState::Unhealthy, "exited with code 1", 8100, 6, 3, 4242, "98765", 2};
  e.owner_uid = 1000;
  e.created_by = "ada";
  e.created_at = 10.5;
  e.updated_at = 11.25;
  round_trip(e.settings);
  round_trip(e.status);
  const EndpointRecord back = round_trip(e);
  EXPECT_EQ(back.settings.tags.at("team"), "vision");
  EXPECT_EQ(back.status.state, EndpointState::Unhealthy);
  EXPECT_EQ(back.status.pid_start, "98765");
  const EndpointEvent ev =
      round_trip(EndpointEvent{12.5, EndpointState::Failed, "5 starts failed"});
  EXPECT_EQ(ev.reason, "5 starts failed");
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

}  // namespace
