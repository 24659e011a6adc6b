// The Store contract's fixture: every implementation is listed in kStores, and the contract
// tests (test_store*.cpp) run against each.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <ostream>

#include "glia/platform/store.hpp"
#include "pg_test_db.hpp"

namespace glia::platform::testing_store {

namespace fs = std::filesystem;

struct StoreKind {
  std::string name;
  // Opens the store rooted at a fresh folder; a second call with the same folder reopens it.
  std::function<std::unique_ptr<Store>(const fs::path& dir)> open;
  // Where the store keeps its data outside the folder: made empty before a test, removed after.
  std::function<void(const fs::path&dir)> fresh, remove;
};

// gtest names a failed test's store by this.
inline void PrintTo(const StoreKind& kind, std::ostream* os) {
  *os << kind.name;
}

// PostgreSQL joins when GLIA_TEST_PG_URL names a database (ctest's store.postgresql starts one
// with scripts/with-postgres.sh): each test folder is a schema of its own.
inline std::vector<StoreKind> store_kinds() {
  std::vector<StoreKind> kinds = {
      {"sqlite", [](const fs::path& dir) { return open_sqlite_store((dir / "glia.db").string()); }},
  };
  if (pg_test_url())
    kinds.push_back({"postgresql",
                     [](const fs::path& dir) {
                       return open_postgres_store(pg_url_with_schema(pg_schema_for(dir)));
                     },
                     [](const fs::path& dir) { pg_fresh_schema(pg_schema_for(dir)); },
                     [](const fs::path& dir) { pg_drop_schema(pg_schema_for(dir)); }});
  return kinds;
}

inline const std::vector<StoreKind> kStores = store_kinds();

class StoreContract : public testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    std::string name = testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) c = c == '/' ? '_' : c;
    dir_ = fs::temp_directory_path() / ("glia-store-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    if (GetParam().fresh) GetParam().fresh(dir_);
    store_ = GetParam().open(dir_);
  }
  void TearDown() override {
    store_.reset();
    if (GetParam().remove) GetParam().remove(dir_);
    fs::remove_all(dir_);
  }
  RunRecord new_run(const std::string& experiment = "keras-mnist") {
    return store_->create_run(
        {experiment, "", "glia-keras-mnist --epochs 2", "local", {{"a", "b"}}});
  }
  fs::path dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace glia::platform::testing_store
