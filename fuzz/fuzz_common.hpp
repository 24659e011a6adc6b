// Shared by the libFuzzer targets, the corpus generator and the regression test
// (tests/unit/test_saving_regressions.cpp): tight load limits, how a .keras target input becomes
// an archive, and the small fixed models that weights-only files load into.
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/runtime.hpp"
#include "glia/saving.hpp"

namespace glia::fuzz {

/// Small enough that no accepted input allocates more than a few MiB of weights.
inline LoadOptions load_options(bool verify) {
  LoadOptions o;
  o.compile = true;
  o.verify = verify;
  o.require_weights = false;  // configs alone are fuzzed too
  o.limits.max_parameters = int64_t{1} << 20;
  o.limits.max_layers = 1000;
  o.limits.max_config_bytes = int64_t{1} << 20;
  return o;
}

/// One compute thread: fuzzing runs one input at a time, and threads only add noise.
inline void init_runtime() {
  set_num_threads(1);
}

inline std::string_view bytes_of(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Runs `f`; a glia::Error is the expected answer to a bad file. Anything else escapes and
/// libFuzzer reports it (an uncaught exception aborts).
/// GLIA_FUZZ_VERBOSE=1 prints each error (to see why seeds are refused).
template <class F>
void expect_only_glia_errors(F&& f) {
  static const bool verbose = std::getenv("GLIA_FUZZ_VERBOSE") != nullptr;
  try {
    f();
    if (verbose) std::fprintf(stderr, "loaded\n");
  } catch (const Error& e) {
    if (verbose) std::fprintf(stderr, "glia::Error: %s\n", e.what());
  }
}

inline void put16(std::string& out, uint32_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
}

inline void put32(std::string& out, uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}

/// A zip archive of uncompressed entries, as Keras writes them.
inline std::string stored_zip(
    const std::vector<std::pair<std::string, std::string_view>>& entries) {
  std::string out, central;
  for (const auto& [name, data] : entries) {
    const auto crc = static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
    const auto offset = static_cast<uint32_t>(out.size());
    const auto n = static_cast<uint32_t>(data.size());
    const auto name_len = static_cast<uint32_t>(name.size());
    put32(out, 0x04034b50);  // local file header
    put16(out, 20);          // version needed
    put16(out, 0);           // flags
    put16(out, 0);           // stored
    put16(out, 0);           // time
    put16(out, 0x21);        // date: 1980-01-01
    put32(out, crc);
    put32(out, n);
    put32(out, n);
    put16(out, name_len);
    put16(out, 0);
    out += name;
    out.append(data);
    put32(central, 0x02014b50);  // central directory header
    put16(central, 20);
    put16(central, 20);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0x21);
    put32(central, crc);
    put32(central, n);
    put32(central, n);
    put16(central, name_len);
    put16(central, 0);  // extra
    put16(central, 0);  // comment
    put16(central, 0);  // disk
    put16(central, 0);  // internal attributes
    put32(central, 0);  // external attributes
    put32(central, offset);
    central += name;
  }
  const auto central_offset = static_cast<uint32_t>(out.size());
  out += central;
  put32(out, 0x06054b50);  // end of central directory
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<uint32_t>(entries.size()));
  put16(out, static_cast<uint32_t>(entries.size()));
  put32(out, static_cast<uint32_t>(central.size()));
  put32(out, central_offset);
  put16(out, 0);
  return out;
}

/// The .keras archive a fuzz input stands for: the input itself when it starts with "PK",
/// else "config.json bytes, NUL, model.weights.h5 bytes" packed with a metadata.json.
inline std::string keras_archive_from(std::string_view input) {
  if (input.substr(0, 2) == "PK") return std::string(input);
  const size_t nul = input.find('\0');
  const std::string_view config = input.substr(0, nul);
  const std::string_view weights =
      nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  std::vector<std::pair<std::string, std::string_view>> entries = {
      {"metadata.json", R"({"keras_version": "3.15.1"})"}, {"config.json", config}};
  if (!weights.empty()) entries.emplace_back("model.weights.h5", weights);
  return stored_zip(entries);
}

inline LayerPtr dense(int64_t units, const std::string& activation, const std::string& name) {
  return std::make_shared<Dense>(units, DenseOptions{.activation = activation, .name = name});
}

/// Sequential MLP with Dropout: (4) → 8 relu → dropout → 3 softmax.
inline std::shared_ptr<Model> small_mlp() {
  auto m = std::make_shared<Sequential>("mlp");
  m->add(std::make_shared<InputLayer>(Shape{4}, "input_layer"));
  m->add(dense(8, "relu", "dense"));
  m->add(std::make_shared<Dropout>(0.25f, std::nullopt, "dropout"));
  m->add(dense(3, "softmax", "dense_1"));
  m->initialize_weights(1);
  return m;
}

inline KerasTensor apply(const LayerPtr& layer, const std::vector<KerasTensor>& inputs) {
  return inputs.size() == 1 ? (*layer)(inputs[0]) : (*layer)(inputs);
}

/// Functional model with Add and Concatenate: (6) → two Dense(5) → add, concat → 3 softmax.
inline std::shared_ptr<Model> small_branchy() {
  KerasTensor in = Input({6}, "input_layer");
  KerasTensor a = apply(dense(5, "tanh", "a"), {in});
  KerasTensor b = apply(dense(5, "linear", "b"), {in});
  KerasTensor s = apply(std::make_shared<Add>("add"), {a, b});
  KerasTensor c = apply(std::make_shared<Concatenate>("concatenate"), {s, a});
  KerasTensor out = apply(dense(3, "softmax", "out"), {c});
  auto m = std::make_shared<Model>(in, out, "branchy");
  m->initialize_weights(2);
  return m;
}

/// Sequential with Flatten and a regularized Dense: (2, 3) → flatten → 4 tanh → 2 sigmoid.
inline std::shared_ptr<Model> small_flatten() {
  auto m = std::make_shared<Sequential>("flat");
  m->add(std::make_shared<InputLayer>(Shape{2, 3}, "input_layer"));
  m->add(std::make_shared<Flatten>("flatten"));
  DenseOptions o{.activation = "tanh", .name = "hidden"};
  o.kernel_regularizer.l2 = 0.01f;
  m->add(std::make_shared<Dense>(4, o));
  m->add(dense(2, "sigmoid", "out"));
  m->initialize_weights(3);
  return m;
}

}  // namespace glia::fuzz
