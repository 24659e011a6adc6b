// libFuzzer target: model.json text (tf.keras 2.x to_json or a Keras 3 config, with or without a
// compile config) through load_model_from_memory(json_pair) and model_from_json. A config that
// loads must also write and load again unchanged, in both styles.
#include <cstdio>
#include <cstdlib>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  glia::fuzz::init_runtime();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace glia;
  const std::string_view text = fuzz::bytes_of(data, size);
  const LoadOptions options = fuzz::load_options(false);
  fuzz::expect_only_glia_errors([&] {
    LoadedModel loaded = load_model_from_memory(text, ModelFormat::json_pair, options, "fuzz.json");
    for (ConfigStyle style : {ConfigStyle::keras2, ConfigStyle::keras3}) {
      const std::string written = model_to_json(*loaded.model, style);
      std::string again;
      try {
        LoadedModel reloaded =
            load_model_from_memory(written, ModelFormat::json_pair, options, "round trip");
        again = model_to_json(*reloaded.model, style);
      } catch (const Error& e) {
        std::fprintf(stderr, "round trip: the written config does not load: %s\n%s\n", e.what(),
                     written.c_str());
        std::abort();
      }
      if (again != written) {
        std::fprintf(stderr, "round trip: the config changed\nfirst:  %s\nsecond: %s\n",
                     written.c_str(), again.c_str());
        std::abort();
      }
    }
  });
  fuzz::expect_only_glia_errors([&] { model_from_json(text, "fuzz.json", 7, options.limits); });
  return 0;
}
