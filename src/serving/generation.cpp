// Loading a generation (generation.hpp).
#include "glia/serving/generation.hpp"

#include <algorithm>
#include <cstring>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/runtime.hpp"
#include "glia/saving.hpp"

namespace glia::serving {

BatchLimits batch_limits(const ServeOptions& o) {
  return {o.max_batch_size, o.max_queue_delay_us, o.max_queue, o.request_timeout_ms};
}

std::shared_ptr<Generation> load_generation(const ServeOptions& options, const ScriptLoader& loader,
                                            std::function<void(int64_t, double)> on_batch) {
  check_serve_options(options);
  auto g = std::make_shared<Generation>();
  g->options = options;
  g->signature.model_name = options.model_name;
  g->signature.model_version = options.model_version;
  if (options.scoring == "python") {
    if (!loader)
      throw Error(ErrorKind::Unavailable,
                  "scoring python: this glia was built without Python scoring");
    g->script = loader(options);
    if (!g->script)
      throw Error(ErrorKind::Internal, "scoring python: the script loader gave no scorer");
    return g;
  }
  LoadOptions lo;
  lo.compile = false;  // scoring needs no optimizer
  for (int64_t i = 0; i < options.instances; ++i) {
    LoadedModel loaded = load_model(options.model_dir, lo);
    g->models.push_back(std::move(loaded.model));
  }
  g->signature = signature_of(*g->models[0], options.model_name, options.model_version);
  if (g->signature.row_in() <= 0 || g->signature.row_out() <= 0)
    throw Error("model " + quote_bytes(options.model_dir) + ": input " +
                shape_str(g->signature.input_shape, true) + " or output " +
                shape_str(g->signature.output_shape, true) + " holds no values");
  const Signature sig = g->signature;
  // A request larger than a batch is run in chunks of this many rows: the model's buffers are
  // sized for the largest chunk, and one large chunk runs faster than many small ones.
  const int64_t chunk = std::max<int64_t>(options.max_batch_size, 256);
  std::vector<BatchFn> fns;
  for (auto& model : g->models) {
    Model* m = model.get();
    fns.push_back([m, sig, chunk](const float* in, int64_t rows, float* out) {
      Shape s = sig.input_shape;
      s.insert(s.begin(), rows);
      Tensor x(s);
      std::memcpy(x.data(), in, static_cast<size_t>(rows * sig.row_in()) * sizeof(float));
      const Tensor y = m->predict(x, chunk);
      std::memcpy(out, y.data(), static_cast<size_t>(rows * sig.row_out()) * sizeof(float));
    });
  }
  BatcherOptions bo;
  bo.row_in = sig.row_in();
  bo.row_out = sig.row_out();
  bo.limits = batch_limits(options);
  const int threads = static_cast<int>(options.threads_per_instance);
  // omp_set_num_threads is per calling thread: each instance's thread gets its own count (and
  // FTZ/DAZ on its pool threads); oneDNN's GEMM follows it.
  bo.thread_init = [threads](int) { set_num_threads(threads); };
  // One thread per instance: a request's own thread may run its batch (no hand-over). With
  // more, each request thread would start an OpenMP pool of its own.
  if (threads == 1)
    bo.caller_init = [] {
      thread_local bool set = false;
      if (!set) set_num_threads(1);
      set = true;
    };
  bo.on_batch = std::move(on_batch);
  g->batcher = std::make_unique<Batcher>(std::move(fns), std::move(bo));
  return g;
}

}  // namespace glia::serving
