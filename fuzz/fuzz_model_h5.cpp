// libFuzzer target: a legacy full-model .h5 (model_config, model_weights, training_config,
// optimizer_weights, glia_reference) through load_model_from_memory(full_h5) with compile and
// verify; then the same bytes as a save_weights file (either layout) through load_weights into
// each of the small fixed models (load_weights takes a path, so the bytes go to a temp file).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "fuzz_common.hpp"

namespace {

std::string g_dir;
std::vector<std::shared_ptr<glia::Model>> g_models;

void remove_dir() {
  std::error_code ec;
  std::filesystem::remove_all(g_dir, ec);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  glia::fuzz::init_runtime();
  std::string tmpl = (std::filesystem::temp_directory_path() / "glia-fuzz-h5-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) {
    std::perror("mkdtemp");
    std::abort();
  }
  g_dir = tmpl;
  std::atexit(remove_dir);
  g_models = {glia::fuzz::small_mlp(), glia::fuzz::small_branchy(), glia::fuzz::small_flatten()};
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace glia;
  const std::string_view bytes = fuzz::bytes_of(data, size);
  fuzz::expect_only_glia_errors([&] {
    load_model_from_memory(bytes, ModelFormat::full_h5, fuzz::load_options(true), "fuzz.h5");
  });
  if (size < 8 || bytes.substr(0, 4) != "\x89HDF") return 0;  // not worth a file write
  const std::string path = g_dir + "/weights.h5";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
  for (auto& model : g_models) fuzz::expect_only_glia_errors([&] { load_weights(*model, path); });
  return 0;
}
