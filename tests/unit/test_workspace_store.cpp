// A workspace's store as its config names it: SQLite by default, or a PostgreSQL URL — never
// one carrying a password, never an unknown type read as SQLite. PostgresWorkspace needs the
// server GLIA_TEST_PG_URL names (ctest store.postgresql).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "glia/error.hpp"
#include "glia/platform/workspace.hpp"
#include "pg_test_db.hpp"
#include "store/migrations.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

void write_json(const fs::path& p, const nlohmann::json& j) {
  std::ofstream(p) << j.dump();
}

class WorkspaceStore : public testing::Test {
 protected:
  void SetUp() override { dir_ = testing_util::fresh_test_dir("wsstore"); }
  void TearDown() override { fs::remove_all(dir_); }
  // Opening the workspace fails with a message that does not hold `secret` (when given).
  std::string open_error(const std::string& secret = "") {
    try {
      Workspace::open(dir_ / "ws");
    } catch (const Error& e) {
      const std::string what = e.what();
      if (!secret.empty()) {
        EXPECT_EQ(what.find(secret), std::string::npos) << what;
      }
      return what;
    }
    ADD_FAILURE() << "the workspace opened";
    return "";
  }
  fs::path dir_;
};

TEST_F(WorkspaceStore, SqliteIsTheDefault) {
  Workspace ws = Workspace::init(dir_ / "ws");
  EXPECT_EQ(ws.store_url(), "");
  EXPECT_EQ(ws.store_location(), ws.store_path().string());
  EXPECT_EQ(read_json(ws.config_path())["store"],
            (nlohmann::json{{"type", "sqlite"}, {"path", "glia.db"}}));
  EXPECT_TRUE(fs::exists(ws.store_path()));
}

TEST_F(WorkspaceStore, InitRefusesAPasswordAndWritesNothing) {
  for (const char* url : {"postgresql://ada:s3cret@127.0.0.1:1/glia",
                          "postgresql://ada@127.0.0.1:1/glia?password=s3cret"}) {
    try {
      Workspace::init(dir_ / "ws", "", url);
      FAIL() << "a URL with a password was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find("PGPASSWORD"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir_ / "ws"));
  }
  EXPECT_THROW(Workspace::init(dir_ / "ws", "", "mysql://ada@host/db"), Error);
  EXPECT_FALSE(fs::exists(dir_ / "ws"));
}

TEST_F(WorkspaceStore, InitAgainstAnUnreachableServerLeavesNothing) {
  try {
    Workspace::init(dir_ / "ws", "", "postgresql://ada@127.0.0.1:1/glia");
    FAIL() << "init succeeded with no server";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "ws"));
}

TEST_F(WorkspaceStore, OpenReadsTheStoreAndRefusesWhatItCannotUse) {
  Workspace::init(dir_ / "ws");
  const fs::path config = dir_ / "ws" / ".glia" / "config.json";
  nlohmann::json j = read_json(config);
  j["store"] = {{"type", "postgresql"}, {"url", "postgresql://ada@127.0.0.1:1/glia"}};
  write_json(config, j);
  Workspace ws = Workspace::open(dir_ / "ws");  // connects on first use, not here
  EXPECT_EQ(ws.store_url(), "postgresql://ada@127.0.0.1:1/glia");
  EXPECT_EQ(ws.store_location(), "postgresql://ada@127.0.0.1:1/glia");
  try {
    ws.store();
    FAIL() << "a store with no server opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
  }

  j["store"] = {{"type", "postgresql"}, {"url", "postgresql://ada:s3cret@127.0.0.1:1/glia"}};
  write_json(config, j);
  EXPECT_NE(open_error("s3cret").find("PGPASSWORD"), std::string::npos);
  j["store"] = {{"type", "postgresql"}};
  write_json(config, j);
  EXPECT_NE(open_error().find("needs a string 'url'"), std::string::npos);
  j["store"] = {{"type", "mysql"}};
  write_json(config, j);
  EXPECT_NE(open_error().find("unknown store type 'mysql'"), std::string::npos);
  j["store"] = "glia.db";
  write_json(config, j);
  EXPECT_NE(open_error().find("'store' must be an object"), std::string::npos);
}

TEST(PostgresWorkspace, InitWritesTheUrlAndReopensTheSameStore) {
  using namespace testing_store;
  if (!pg_test_url()) GTEST_SKIP() << "GLIA_TEST_PG_URL is not set";
  const fs::path dir = testing_util::fresh_test_dir("pgws");
  const std::string schema = pg_schema_for(dir);
  pg_fresh_schema(schema);
  const std::string url = pg_url_with_schema(schema);
  std::string id;
  {
    Workspace ws = Workspace::init(dir, "team", url);
    // Every migration SQLite has, PostgreSQL has too.
    EXPECT_EQ(ws.store().schema_version(), sqlite::migrations().back().version);
    id = ws.store().create_run({"e", "", "c", "local", {}}).id;
    EXPECT_FALSE(fs::exists(ws.store_path()));
  }
  EXPECT_EQ(read_json(dir / ".glia" / "config.json")["store"],
            (nlohmann::json{{"type", "postgresql"}, {"url", url}}));
  Workspace again = Workspace::open(dir);
  EXPECT_EQ(again.store().get_run(id).experiment, "e");
  pg_drop_schema(schema);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace glia::platform
