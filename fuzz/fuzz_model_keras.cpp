// libFuzzer target: .keras archives through load_model_from_memory(keras_archive) with compile
// and verify. An input starting with "PK" is the archive itself (zip parsing: missing entries,
// bad sizes, CRCs); any other input is "config.json, NUL, model.weights.h5", packed into a valid
// archive first (fuzz::keras_archive_from), so that mutations reach the config and the Keras 3
// weight layout instead of stopping at the zip's CRC check.
#include <string>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  glia::fuzz::init_runtime();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace glia;
  const std::string_view bytes = fuzz::bytes_of(data, size);
  const LoadOptions options = fuzz::load_options(true);
  const std::string archive = fuzz::keras_archive_from(bytes);
  fuzz::expect_only_glia_errors(
      [&] { load_model_from_memory(archive, ModelFormat::keras_archive, options, "fuzz.keras"); });
  return 0;
}
