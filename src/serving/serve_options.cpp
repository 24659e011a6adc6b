// Range checks of an endpoint's options (serve_options.hpp).
#include "glia/serving/serve_options.hpp"

#include "glia/error.hpp"
#include "glia/escape.hpp"

namespace glia::serving {

namespace {

void in_range(const char* field, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi)
    throw Error(std::string(field) + " " + std::to_string(value) + ": expected " +
                std::to_string(lo) + ".." + std::to_string(hi));
}

}  // namespace

void check_serve_options(const ServeOptions& o) {
  if (o.scoring != "native" && o.scoring != "python")
    throw Error("scoring " + quote_bytes(o.scoring) + ": expected native or python");
  if (o.auth_mode != "key" && o.auth_mode != "none")
    throw Error("auth_mode " + quote_bytes(o.auth_mode) + ": expected key or none");
  if (o.auth_mode == "key" && o.key_sha256.empty())
    throw Error("auth_mode key: key_sha256 lists no key (expected at least one digest)");
  if (o.model_dir.empty()) throw Error("model_dir: expected the model's folder, got nothing");
  if (o.scoring == "python" && o.script.empty())
    throw Error("scoring python: script names no scoring script");
  in_range("port", o.port, 0, 65535);
  in_range("generation", o.generation, 0, INT64_MAX);
  in_range("instances", o.instances, 1, 64);
  in_range("threads_per_instance", o.threads_per_instance, 1, 256);
  in_range("max_batch_size", o.max_batch_size, 1, 65536);
  in_range("max_queue_delay_us", o.max_queue_delay_us, 0, 10'000'000);
  in_range("max_queue", o.max_queue, 1, 100'000'000);
  in_range("max_body_bytes", o.max_body_bytes, 1, kMaxBodyCeiling);
  in_range("max_rows", o.max_rows, 1, 100'000'000);
  in_range("request_timeout_ms", o.request_timeout_ms, 1, 3'600'000);
  if (o.request_timeout_ms * 1000 <= o.max_queue_delay_us)
    throw Error("request_timeout_ms " + std::to_string(o.request_timeout_ms) +
                ": expected more than max_queue_delay_us (" + std::to_string(o.max_queue_delay_us) +
                " us), or every request waiting for a batch would time out");
}

bool needs_new_model(const ServeOptions& a, const ServeOptions& b) {
  return a.model_name != b.model_name || a.model_version != b.model_version ||
         a.model_dir != b.model_dir || a.scoring != b.scoring || a.script != b.script ||
         a.code_dir != b.code_dir || a.python != b.python || a.env != b.env ||
         a.instances != b.instances || a.threads_per_instance != b.threads_per_instance;
}

}  // namespace glia::serving
