// A fresh folder per test, named after the test and the process, removed again by the fixture.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace glia::testing_util {

/// <tmp>/glia-<prefix>-<test name>-<pid>, emptied; the caller removes it in TearDown.
inline std::filesystem::path fresh_test_dir(const std::string& prefix) {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (char& c : name) c = c == '/' ? '_' : c;
  auto dir = std::filesystem::temp_directory_path() /
             ("glia-" + prefix + "-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace glia::testing_util
