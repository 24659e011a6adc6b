// The PostgreSQL store beyond the contract: URLs shown without their password (no server needed),
// and, against the server GLIA_TEST_PG_URL names (ctest store.postgresql), migrations from an old
// schema, concurrent opens, and a connection the server dropped.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "glia/error.hpp"
#include "glia/platform/store.hpp"
#include "pg_test_db.hpp"
#include "store/pg_migrations.hpp"

namespace glia::platform {
namespace {

using namespace testing_store;

TEST(PostgresUrl, PasswordsAreFoundAndNeverShown) {
  EXPECT_TRUE(postgres_url_has_password("postgresql://ada:s3cret@db.example:5433/glia"));
  EXPECT_TRUE(postgres_url_has_password("host=db password=s3cret dbname=glia"));
  EXPECT_TRUE(postgres_url_has_password("postgresql://ada@db/glia?password=s3cret"));
  EXPECT_FALSE(postgres_url_has_password("postgresql://ada@db.example:5433/glia"));
  EXPECT_EQ(postgres_url_for_display("postgresql://ada:s3cret@db.example:5433/glia"),
            "postgresql://ada@db.example:5433/glia");
  EXPECT_EQ(postgres_url_for_display("postgresql://ada@db/glia?password=s3cret"),
            "postgresql://ada@db/glia");
  EXPECT_EQ(postgres_url_for_display("postgresql://a:s3cret@[bad"),
            "postgresql://(a URL libpq cannot read)");
  EXPECT_THROW(postgres_url_has_password("postgresql://a:s3cret@[bad"), Error);
  EXPECT_TRUE(is_postgres_url("postgres://x"));
  EXPECT_FALSE(is_postgres_url("sqlite"));
}

// libpq's reason for a URL it cannot read may quote the password's own text (a bad
// percent-escape in it, or a key=value string missing its '='): refused, the password not shown.
TEST(PostgresUrl, LibpqsReasonForABadUrlNeverShowsItsPassword) {
  for (const char* url :
       {"postgresql://ada:s3cr%zzet@db/glia", "postgresql://ada@db/glia?password=s3cr%zzet",
        "host=db passwords3cret dbname=glia"}) {
    try {
      postgres_url_has_password(url);
      FAIL() << url << " was read";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
      EXPECT_EQ(std::string(e.what()).find("s3cr"), std::string::npos) << e.what();
    }
  }
}

TEST(PostgresUrl, AnUnreachableServerIsUnavailableAndItsPasswordNotShown) {
  try {
    open_postgres_store("postgresql://ada:s3cret@127.0.0.1:1/glia?connect_timeout=5");
    FAIL() << "connected to port 1";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable) << e.what();
    EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("postgresql://ada@127.0.0.1:1/glia"), std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

class PostgresMigrations : public testing::Test {
 protected:
  void SetUp() override {
    if (!pg_test_url()) GTEST_SKIP() << "GLIA_TEST_PG_URL is not set";
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    schema_ = pg_schema_for(std::string("pg-") + info->name() + "-" + std::to_string(::getpid()));
    pg_fresh_schema(schema_);
  }
  void TearDown() override {
    if (!schema_.empty()) pg_drop_schema(schema_);
  }
  // The schema as migrations 1..`version` left it.
  void migrate_to(int version) {
    std::string sql =
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at DOUBLE "
        "PRECISION NOT NULL);";
    for (const auto& m : pg::migrations()) {
      if (m.version > version) break;
      sql += m.sql;
      sql += "INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", 0);";
    }
    pg_exec(schema_, sql);
  }
  std::unique_ptr<Store> open() { return open_postgres_store(pg_url_with_schema(schema_)); }
  std::string schema_;
};

TEST_F(PostgresMigrations, Version2StoreIsMigratedForwardKeepingItsData) {
  migrate_to(2);
  const std::string secret = "tok-0123456789";
  const nlohmann::json spec = {
      {"job", {{"command", "train"}}},
      {"environment", {{"PATH", "/usr/bin"}, {"MY_SECRET_TOKEN", secret}, {"LANG", "C.UTF-8"}}}};
  pg_exec(schema_,
          "INSERT INTO experiments(name, created_at) VALUES ('e', 1);"
          "INSERT INTO runs(id, experiment_id, display_name, status, created_at, command, "
          "compute, spec) VALUES ('job', 1, 'job', 'Completed', 1, 'c', 'local', '" +
              spec.dump() +
              "'), ('own', 1, 'own', 'Completed', 2, 'c', 'local', '');"
              "INSERT INTO metrics(run_id, name, step, value, wall_time) VALUES "
              "('job', 'loss', 1, 0.5, 10), ('job', 'loss', 0, 0.9, 9), "
              "('own', 'loss', 0, 0.7, 11);"
              "INSERT INTO metric_latest VALUES ('job', 'loss', 1, 0.5, 10, 2);");
  auto store = open();
  EXPECT_EQ(store->schema_version(), pg::migrations().back().version);
  // Migration 3: the values moved to their series; new ones continue them.
  auto loss = store->metric_series("job", "loss");
  ASSERT_EQ(loss.size(), 2u);
  EXPECT_EQ(loss[0].value, 0.9);
  EXPECT_EQ(loss[1].wall_time, 10);
  store->log_metrics("job", {{"loss", MetricPoint::kNextStep, 0.4, 13}});
  EXPECT_EQ(store->metric_series("job", "loss").back().step, 2);
  EXPECT_EQ(store->metric_series("own", "loss").size(), 1u);
  // Migration 6: the recorded environment keeps only the allow-listed variables.
  const RunRecord job = store->get_run("job");
  EXPECT_EQ(job.spec.find(secret), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(job.spec)["environment"],
            (nlohmann::json{{"LANG", "C.UTF-8"}, {"PATH", "/usr/bin"}}));
  // Migration 8: earlier jobs are command jobs; runs their program started are not.
  EXPECT_EQ(job.job_type, "command");
  EXPECT_EQ(store->get_run("own").job_type, "");
  // New runs come after the old ones, models and users work.
  const RunRecord fresh = store->create_run({"e", "", "c", "local", {}});
  EXPECT_EQ(store->list_runs({}).front().id, fresh.id);
  EXPECT_EQ(store->get_compute("local").type, "local");
  EXPECT_EQ(store->create_user({"ada", Role::Owner}).name, "ada");
}

TEST_F(PostgresMigrations, ConcurrentOpensApplyEachMigrationOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      auto s = open();
      if (s->schema_version() == pg::migrations().back().version) ++opened;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(opened, 4);
  pqxx::connection c(pg_url_with_schema(schema_));
  pqxx::read_transaction tx(c);
  EXPECT_EQ(tx.exec("SELECT count(*) FROM schema_migrations")[0][0].as<int>(),
            pg::migrations().back().version);
}

TEST_F(PostgresMigrations, ANewerSchemaIsRefused) {
  open();
  pg_exec(schema_, "INSERT INTO schema_migrations VALUES (999, 0)");
  try {
    open();
    FAIL() << "opened a schema newer than this Glia";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Conflict);
  }
}

// The server drops the store's connections (a restart does the same): the next call gets a new
// connection and works; nothing is lost.
TEST_F(PostgresMigrations, ADroppedConnectionIsReplacedOnTheNextCall) {
  auto store = open();
  const std::string id = store->create_run({"e", "", "c", "local", {}}).id;
  store->log_metrics(id, {{"v", 0, 1.0, 0}});
  {
    pqxx::connection admin(*pg_test_url());
    pqxx::work tx(admin);
    auto killed = tx.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    tx.commit();
    ASSERT_GE(killed.size(), 1u);
  }
  EXPECT_EQ(store->get_run(id).id, id);
  store->log_metrics(id, {{"v", 1, 2.0, 0}});
  EXPECT_EQ(store->metric_series(id, "v").size(), 2u);
}

using PostgresStore = PostgresMigrations;

// The server restarts (scripts/with-postgres.sh says how): the store's next calls connect again
// and work, reads and writes; what was stored before is there.
TEST_F(PostgresStore, AServerRestartIsSurvived) {
  const char* restart = std::getenv("GLIA_TEST_PG_RESTART");
  ASSERT_TRUE(restart && *restart) << "GLIA_TEST_PG_RESTART is not set (scripts/with-postgres.sh)";
  auto store = open();
  const std::string id = store->create_run({"e", "", "c", "local", {}}).id;
  store->log_metrics(id, {{"v", 0, 1.0, 0}});
  auto started = [] {
    pqxx::connection admin(*pg_test_url());
    pqxx::read_transaction tx(admin);
    return tx.exec("SELECT pg_postmaster_start_time()::text")[0][0].as<std::string>();
  };
  const std::string before = started();
  ASSERT_EQ(std::system((std::string(restart) + " >/dev/null 2>&1").c_str()), 0);
  ASSERT_NE(started(), before) << "the server did not restart";
  store->log_metrics(id, {{"v", MetricPoint::kNextStep, 2.0, 0}});  // a write first
  EXPECT_EQ(store->get_run(id).id, id);
  const auto v = store->metric_series(id, "v");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1].step, 1);
}

// While the server is down every call fails at once with Unavailable, in one line; when it is back,
// the same store works again.
TEST_F(PostgresStore, AServerThatIsDownIsUnavailableUntilItIsBack) {
  const char* stop = std::getenv("GLIA_TEST_PG_STOP");
  const char* start = std::getenv("GLIA_TEST_PG_START");
  ASSERT_TRUE(stop && start) << "GLIA_TEST_PG_STOP/START are not set (scripts/with-postgres.sh)";
  auto store = open();
  const std::string id = store->create_run({"e", "", "c", "local", {}}).id;
  ASSERT_EQ(std::system((std::string(stop) + " >/dev/null 2>&1").c_str()), 0);
  struct Restart {  // the server is started again even when the test fails midway
    const char* start;
    ~Restart() { EXPECT_EQ(std::system((std::string(start) + " >/dev/null 2>&1").c_str()), 0); }
  };
  {
    Restart again{start};
    for (int i = 0; i < 2; ++i) {
      try {
        if (i == 0) store->get_run(id);
        if (i == 1) store->log_metrics(id, {{"v", 0, 1.0, 0}});
        ADD_FAILURE() << "a call worked with the server down";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Unavailable) << e.what();
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_EQ(store->get_run(id).id, id);
  store->log_metrics(id, {{"v", 0, 1.0, 0}});
  EXPECT_EQ(store->metric_series(id, "v").size(), 1u);
}

// libpq passes parameters as C strings: a NUL byte would silently cut the value. Refused instead,
// with nothing written.
TEST_F(PostgresStore, TextWithANulByteIsRefusedNotCut) {
  auto store = open();
  const std::string id = store->create_run({"e", "", "c", "local", {}}).id;
  try {
    store->log_metrics(id, {{"ok", 0, 1.0, 0}, {std::string("lo\0ss", 5), 1, 2.0, 0}});
    FAIL() << "a name with a NUL byte was stored";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("NUL byte"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(store->latest_metrics(id).empty());
  EXPECT_THROW(store->create_run({"e", "", std::string("a\0b", 3), "local", {}}), Error);
  EXPECT_EQ(store->list_runs({}).size(), 1u);
}

}  // namespace
}  // namespace glia::platform
