// The SQLite store's migrations keep what older schemas hold.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "glia/platform/downsample.hpp"
#include "glia/platform/store.hpp"
#include "store/migrations.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
}

TEST(SqliteMigrations, Version3MovesMetricValuesToIntegerSeries) {
  const fs::path dir = testing_util::fresh_test_dir("mig");
  fs::create_directories(dir);
  const std::string path = (dir / "glia.db").string();
  {  // a store as version 2 left it, with metrics in the old table
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    exec(db, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL)");
    for (const auto& m : sqlite::migrations()) {
      if (m.version > 2) break;
      exec(db, m.sql);
      exec(db, "INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", 0)");
    }
    exec(db,
         "INSERT INTO experiments(name, created_at) VALUES ('e', 1);"
         "INSERT INTO runs(id, experiment_id, display_name, status, created_at, command, compute) "
         "VALUES ('r1', 1, 'r1', 'Completed', 1, 'c', 'local'), "
         "('r2', 1, 'r2', 'Completed', 2, 'c', 'local');"
         "INSERT INTO metrics(run_id, name, step, value, wall_time) VALUES "
         "('r1', 'loss', 1, 0.5, 10), ('r1', 'loss', 0, 0.9, 9), ('r2', 'loss', 0, 0.7, 11), "
         "('r1', 'acc', 0, 0.1, 12);"
         "INSERT INTO metric_latest VALUES ('r1', 'loss', 1, 0.5, 10, 2);");
    sqlite3_close(db);
  }
  auto store = open_sqlite_store(path);
  EXPECT_GE(store->schema_version(), 3);
  auto loss = store->metric_series("r1", "loss");
  ASSERT_EQ(loss.size(), 2u);
  EXPECT_EQ(loss[0].step, 0);
  EXPECT_EQ(loss[0].value, 0.9);
  EXPECT_EQ(loss[1].wall_time, 10);
  EXPECT_EQ(store->metric_series("r2", "loss").size(), 1u);
  EXPECT_EQ(store->metric_series("r1", "acc")[0].value, 0.1);
  // New values continue the moved series.
  store->log_metrics("r1", {{"loss", MetricPoint::kNextStep, 0.4, 13}});
  EXPECT_EQ(store->metric_series("r1", "loss").back().step, 2);
  store.reset();
  fs::remove_all(dir);
}

TEST(SqliteMigrations, Version5AddsTheModelRegistryNextToExistingRuns) {
  const fs::path dir = testing_util::fresh_test_dir("mig");
  fs::create_directories(dir);
  const std::string path = (dir / "glia.db").string();
  {  // a store as version 4 left it, with a run and a dataset
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    exec(db, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL)");
    for (const auto& m : sqlite::migrations()) {
      if (m.version > 4) break;
      exec(db, m.sql);
      exec(db, "INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", 0)");
    }
    exec(db,
         "INSERT INTO experiments(name, created_at) VALUES ('e', 1);"
         "INSERT INTO runs(id, experiment_id, display_name, status, created_at, command, compute) "
         "VALUES ('r1', 1, 'r1', 'Completed', 1, 'c', 'local');");
    sqlite3_close(db);
  }
  auto store = open_sqlite_store(path);
  EXPECT_GE(store->schema_version(), 5);
  ModelVersion m;
  m.name = "keras-mnist";
  m.manifest = std::string(64, 'a');
  m.run_id = "r1";
  EXPECT_EQ(store->create_model_version(m).version, 1);
  EXPECT_EQ(store->list_models({.run_id = "r1"}).size(), 1u);
  EXPECT_EQ(store->get_run("r1").status, RunStatus::Completed);
  store.reset();
  fs::remove_all(dir);
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(SqliteMigrations, Version6ScrubsSecretsFromRecordedEnvironmentsOnDiskToo) {
  const fs::path dir = testing_util::fresh_test_dir("mig");
  fs::create_directories(dir);
  const fs::path path = dir / "glia.db";
  const std::string secret = "tok-9c2e4b7d1a";
  {  // a store as version 5 left it: runs whose specs hold the submitter's whole environment
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    exec(db, "PRAGMA journal_mode=WAL");
    exec(db, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL)");
    for (const auto& m : sqlite::migrations()) {
      if (m.version > 5) break;
      exec(db, m.sql);
      exec(db, "INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", 0)");
    }
    const nlohmann::json spec = {
        {"job", {{"command", "echo hi"}, {"environment_variables", {{"FROM_YAML", "y"}}}}},
        {"environment",
         {{"PATH", "/usr/bin"},
          {"LANG", "C.UTF-8"},
          {"MY_SECRET_TOKEN", secret},
          {"LC_ALL", "C"}}}};
    exec(db,
         "INSERT INTO experiments(name, created_at) VALUES ('e', 1);"
         "INSERT INTO runs(id, experiment_id, display_name, status, created_at, command, "
         "compute, spec) VALUES ('r1', 1, 'r1', 'Completed', 1, 'c', 'local', '" +
             spec.dump() + "'), ('r2', 1, 'r2', 'Completed', 2, 'c', 'local', '');");
    sqlite3_close(db);
  }
  ASSERT_NE(file_bytes(path).find(secret), std::string::npos);  // the test can fail
  auto store = open_sqlite_store(path.string());
  EXPECT_GE(store->schema_version(), 6);
  const RunRecord r1 = store->get_run("r1");
  EXPECT_EQ(r1.spec.find(secret), std::string::npos);
  const auto spec = nlohmann::json::parse(r1.spec);
  EXPECT_EQ(spec["environment"],
            (nlohmann::json{{"LANG", "C.UTF-8"}, {"LC_ALL", "C"}, {"PATH", "/usr/bin"}}));
  EXPECT_EQ(spec["job"]["environment_variables"]["FROM_YAML"], "y");  // the job is kept whole
  EXPECT_EQ(store->get_run("r2").spec, "");
  EXPECT_FALSE(r1.submitter_uid);  // unknown for runs from before
  store.reset();
  // Not in the file, the WAL or freed pages either.
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_EQ(file_bytes(entry.path()).find(secret), std::string::npos) << entry.path();
  fs::remove_all(dir);
}

TEST(SqliteMigrations, Version8MarksEarlierJobsAsCommandJobs) {
  const fs::path dir = testing_util::fresh_test_dir("mig8");
  fs::create_directories(dir);
  const fs::path path = dir / "glia.db";
  {  // a store as version 7 left it: a job (with a spec) and a run its program started
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    exec(db, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL)");
    for (const auto& m : sqlite::migrations()) {
      if (m.version > 7) break;
      exec(db, m.sql);
      exec(db, "INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", 0)");
    }
    exec(db,
         "INSERT INTO experiments(name, created_at) VALUES ('e', 1);"
         "INSERT INTO runs(id, experiment_id, display_name, status, created_at, command, "
         "compute, spec) VALUES ('job', 1, 'job', 'Completed', 1, 'c', 'local', '{}'), "
         "('own', 1, 'own', 'Completed', 2, 'c', 'local', '');");
    sqlite3_close(db);
  }
  auto store = open_sqlite_store(path.string());
  EXPECT_GE(store->schema_version(), 8);
  EXPECT_EQ(store->get_run("job").job_type, "command");
  EXPECT_EQ(store->get_run("own").job_type, "");
  EXPECT_EQ(store->get_run("job").parent_id, "");
  EXPECT_TRUE(store->sweep_trials("job").empty());
  store.reset();
  fs::remove_all(dir);
}

TEST(SqliteMigrations, Version14SummarizesEarlierSeriesWhenRead) {
  const fs::path dir = testing_util::fresh_test_dir("mig14");
  fs::create_directories(dir);
  const std::string path = (dir / "glia.db").string();
  const int64_t n = 3000;
  {  // a store as version 13 left it: a series of n points with no block summary
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    exec(db, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL)");
    for (const auto& m : sqlite::migrations()) {
      if (m.version > 13) break;
      exec(db, m.sql);
      exec(db, "INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", 0)");
    }
    exec(db,
         "INSERT INTO experiments(name, created_at) VALUES ('e', 1);"
         "INSERT INTO runs(id, experiment_id, display_name, status, created_at, command, compute) "
         "VALUES ('r1', 1, 'r1', 'Completed', 1, 'c', 'local');"
         "INSERT INTO metric_series(run_id, name) VALUES ('r1', 'loss');"
         "WITH RECURSIVE i(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM i WHERE k < " +
             std::to_string(n - 1) +
             ") INSERT INTO metric_values(series_id, step, value, wall_time) "
             "SELECT 1, k, (k * 7919) % 1009, k FROM i;"
             "INSERT INTO metric_latest VALUES ('r1', 'loss', " +
             std::to_string(n - 1) + ", 0, 0, " + std::to_string(n) + ");");
    sqlite3_close(db);
  }
  auto store = open_sqlite_store(path);
  EXPECT_GE(store->schema_version(), 14);
  auto expect_exact = [&](size_t max_points) {
    const auto series = store->metric_series("r1", "loss");
    std::vector<SeriesPoint> xy;
    for (const auto& m : series) xy.push_back({static_cast<double>(m.step), m.value});
    const auto want = downsample_minmax_blocks(xy, max_points);
    const auto got = store->metric_series_minmax("r1", "loss", max_points);
    EXPECT_EQ(got.total, static_cast<int64_t>(series.size()));
    ASSERT_EQ(got.points.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got.points[i].step, series[want[i]].step);
      EXPECT_EQ(got.points[i].value, series[want[i]].value);
    }
  };
  expect_exact(10);  // the summary is made from the whole series
  expect_exact(10);  // and read from the blocks
  store->log_metrics("r1", {{"loss", MetricPoint::kNextStep, 5000, 1},
                            {"loss", MetricPoint::kNextStep, -5000, 2}});
  EXPECT_EQ(store->metric_series("r1", "loss").back().step, n + 1);
  expect_exact(10);
  expect_exact(4);
  store.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace glia::platform
