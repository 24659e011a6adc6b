// Inputs the fuzz targets (fuzz/, docs/fuzzing.md) found crashing, hanging or allocating without
// bound: each file under tests/data/fuzz-regressions/<target>/ goes through the entry point of
// that target again and must be refused with a glia::Error. The other entry points the target
// drives with the same bytes may load it or refuse it, but only with a glia::Error.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../../fuzz/fuzz_common.hpp"
#include "glia/error.hpp"
#include "glia/saving.hpp"
#include "temp_dir.hpp"

namespace glia {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> regressions(const std::string& target) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(GLIA_SOURCE_DIR) / "tests" / "data" /
                                              "fuzz-regressions" / target))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The message of the glia::Error `f` throws; a test failure when it throws none.
template <class F>
std::string refused(F&& f, const fs::path& file) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << file.filename() << " loaded; expected a glia::Error";
  return "";
}

/// Loads or a glia::Error, nothing else.
template <class F>
void loads_or_refuses(F&& f) {
  try {
    f();
  } catch (const Error&) {
  }
}

TEST(SavingRegressions, ModelJsonIsRefused) {
  const auto files = regressions("fuzz_model_json");
  ASSERT_FALSE(files.empty());
  const LoadOptions options = fuzz::load_options(false);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    const std::string bytes = read_bytes(file);
    const std::string e = refused(
        [&] { load_model_from_memory(bytes, ModelFormat::json_pair, options, "fuzz.json"); }, file);
    EXPECT_NE(e.find("fuzz.json"), std::string::npos) << e;
    loads_or_refuses([&] { model_from_json(bytes, "fuzz.json", 7, options.limits); });
  }
}

TEST(SavingRegressions, FullH5IsRefused) {
  const auto files = regressions("fuzz_model_h5");
  ASSERT_FALSE(files.empty());
  const fs::path dir = testing_util::fresh_test_dir("fuzz-h5");
  fs::create_directories(dir);
  std::vector<std::shared_ptr<Model>> models = {fuzz::small_mlp(), fuzz::small_branchy(),
                                                fuzz::small_flatten()};
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    const std::string bytes = read_bytes(file);
    const std::string e = refused(
        [&] {
          load_model_from_memory(bytes, ModelFormat::full_h5, fuzz::load_options(true), "fuzz.h5");
        },
        file);
    EXPECT_NE(e.find("fuzz.h5"), std::string::npos) << e;
    // The fuzz target also loads the bytes as a weights file into each small model.
    const fs::path copy = dir / "weights.h5";
    fs::copy_file(file, copy, fs::copy_options::overwrite_existing);
    for (auto& model : models) loads_or_refuses([&] { load_weights(*model, copy.string()); });
  }
  fs::remove_all(dir);
}

TEST(SavingRegressions, KerasArchiveIsRefused) {
  const auto files = regressions("fuzz_model_keras");
  if (files.empty()) GTEST_SKIP() << "no .keras regressions yet";
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    const std::string archive = fuzz::keras_archive_from(read_bytes(file));
    const std::string e = refused(
        [&] {
          load_model_from_memory(archive, ModelFormat::keras_archive, fuzz::load_options(true),
                                 "fuzz.keras");
        },
        file);
    EXPECT_NE(e.find("fuzz.keras"), std::string::npos) << e;
  }
}

// A config nested deeper than any Keras config overflowed the stack when it was copied (the
// file in fuzz_model_json/ is short; this one is as deep as the bug needed).
TEST(SavingRegressions, DeeplyNestedConfigIsRefused) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  const std::string json =
      R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer",)"
      R"( "config": {"batch_shape": [null, 2], "sparse": )" +
      deep + "}}]}}";
  const std::string e = refused(
      [&] { load_model_from_memory(json, ModelFormat::json_pair, {}, "deep.json"); }, "deep.json");
  EXPECT_NE(e.find("nests deeper than 100 levels"), std::string::npos) << e;
  EXPECT_THROW(model_from_json(json), Error);
}

}  // namespace
}  // namespace glia
