// The fixture of the sweep-file tests (test_sweep_spec*.cpp): a sweep file as its sections, and
// parse / expect_error helpers that check one-line InvalidArgument messages naming the key.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>

#include "error_of.hpp"
#include "glia/error.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "temp_dir.hpp"

namespace glia::platform::sweep_spec_test {

namespace fs = std::filesystem;

// A sweep file as its top-level sections; tests replace or drop some.
using Sections = std::map<std::string, std::string>;

inline Sections base_sections() {
  return {
      {"type", "type: sweep\n"},
      {"trial",
       "trial:\n"
       "  code: src\n"
       "  command: python train.py --lr ${{search_space.lr}} --units ${{search_space.units}} "
       "--epochs ${{inputs.epochs}}\n"},
      {"inputs", "inputs:\n  epochs: 3\n"},
      {"search_space",
       "search_space:\n"
       "  lr: {type: loguniform, min_value: -6, max_value: -1}\n"
       "  units: {type: choice, values: [10, 50]}\n"},
      {"sampling_algorithm", "sampling_algorithm: random\n"},
      {"objective", "objective: {primary_metric: Accuracy, goal: maximize}\n"},
  };
}

inline std::string text_of(const Sections& sections) {
  std::string out;
  for (const auto& [key, text] : sections) out += text;
  return out;
}

// Choices only: grid and bayesian take it.
inline Sections choice_sections() {
  Sections s = base_sections();
  s["search_space"] =
      "search_space:\n"
      "  lr: {type: choice, values: [0.1, 0.01]}\n"
      "  units: {type: choice, values: [10, 50, 100]}\n";
  return s;
}

class SweepSpecTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("sweepspec");
    fs::create_directories(dir_ / "src");
  }
  void TearDown() override { fs::remove_all(dir_); }

  SweepSpec parse(const std::string& yaml) { return parse_sweep_spec(yaml, "sweep.yml", dir_); }
  SweepSpec parse(const Sections& sections) { return parse(text_of(sections)); }

  // Parsing fails with one InvalidArgument line starting with the file and naming `key` (as
  // "<key>:" or "'<key>'"), and containing every part.
  void expect_error(const Sections& sections, const std::string& key,
                    std::initializer_list<std::string> parts = {}) {
    expect_error(text_of(sections), key, parts);
  }
  void expect_error(const std::string& yaml, const std::string& key,
                    std::initializer_list<std::string> parts = {}) {
    std::string message;
    try {
      parse(yaml);
      ADD_FAILURE() << "expected an error naming " << key << " for:\n" << yaml;
      return;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
      message = e.what();
    }
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.rfind("sweep.yml: ", 0), 0u) << message;
    const bool named = message.find(key + ":") != std::string::npos ||
                       message.find("'" + key + "'") != std::string::npos ||
                       message.find(key + " uses ") != std::string::npos;
    EXPECT_TRUE(named) << "'" << key << "' not named in: " << message;
    for (const auto& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
  }

  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

  fs::path dir_;
};

}  // namespace glia::platform::sweep_spec_test
