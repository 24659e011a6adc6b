// Shared by the access-control tests: a SQLite store in a fresh folder, and expecting a kind.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "glia/error.hpp"
#include "glia/platform/access.hpp"

namespace glia::platform::testing_access {

namespace fs = std::filesystem;

class AccessTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string name = testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() / ("glia-access-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = open_sqlite_store(db_path());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  std::string db_path() const { return (dir_ / "glia.db").string(); }

  fs::path dir_;
  std::unique_ptr<Store> store_;
};

/// The kind of the glia::Error `f` throws; fails the test when it throws none.
inline ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no glia::Error was thrown";
  return ErrorKind::Internal;
}

}  // namespace glia::platform::testing_access
