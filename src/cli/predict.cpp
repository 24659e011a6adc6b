// glia predict: classes and probabilities for inputs in IDX, NPY or the scoring service's JSON,
// from a model file or a registered model.
#include <cstdio>

#include "cli/checks.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/model_io.hpp"
#include "glia/glia.hpp"
#include "glia/saving.hpp"

namespace glia::cli {

namespace {

struct PredictArgs {
  std::string model, weights, input, dtype_policy;
  bool verify = false;
  int64_t batch_size = 256, limit = 0;
  int threads = 0;
};

void run_predict(const PredictArgs& a, const std::string& workspace_dir) {
  set_num_threads(a.threads);
  LoadOptions lo;
  lo.compile = false;
  lo.verify = a.verify;
  lo.weights = a.weights;
  LoadedModel loaded = open_model(a.model, workspace_dir, lo);
  if (loaded.verified)
    std::fprintf(stderr, "glia: %s matches its stored reference output\n", a.model.c_str());
  Model& model = *loaded.model;
  apply_dtype_policy(model, a.dtype_policy);
  check_class_vector(model);
  Tensor x = read_prediction_input(a.input, model);
  if (a.limit > 0 && a.limit < x.dim(0)) {
    Shape s = x.shape();
    s[0] = a.limit;
    x = x.view(s);
  }
  Tensor p = model.predict(x, a.batch_size);
  const int64_t rows = p.rows(), cols = p.cols();
  // Written by hand: 9 significant digits round-trip a float32 exactly, and it is fast.
  std::string out = "{\"classes\": [";
  for (int64_t r = 0; r < rows; ++r) {
    // One output unit is a binary classifier: class 1 above 0.5, as binary accuracy counts it.
    int64_t best = cols == 1 ? (p[r] > 0.5f ? 1 : 0) : 0;
    for (int64_t c = 1; c < cols; ++c)
      if (p[r * cols + c] > p[r * cols + best]) best = c;
    out += (r ? ", " : "") + std::to_string(best);
  }
  out += "], \"probabilities\": [";
  char buf[32];
  for (int64_t r = 0; r < rows; ++r) {
    out += r ? ", [" : "[";
    for (int64_t c = 0; c < cols; ++c) {
      std::snprintf(buf, sizeof buf, "%s%.9g", c ? ", " : "", static_cast<double>(p[r * cols + c]));
      out += buf;
    }
    out += "]";
  }
  out += "]}\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

void register_predict(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto a = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand(
      "predict",
      "Predict classes and probabilities (JSON) with a model file or a registered model");
  add_model_options(cmd, a->model, a->weights);
  cmd->add_option("--input", a->input,
                  "inputs: IDX images (.gz or raw, scaled by 1/255), .npy (float32/float64 as "
                  "is, uint8 scaled by 1/255) or JSON {\"data\": [[...], ...]}")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_flag("--verify", a->verify,
                "check the model against the reference input and output stored in its file "
                "before predicting (fails if they differ)");
  cmd->add_option("--batch-size", a->batch_size, "rows per forward pass")
      ->capture_default_str()
      ->check(glia::cli::positive_int<decltype(a->batch_size)>());
  cmd->add_option("--limit", a->limit, "predict only the first N rows")
      ->check(glia::cli::positive_int<decltype(a->limit)>());
  cmd->add_option(
         "--threads", a->threads,
         "compute threads (0 = $GLIA_THREADS, else $OMP_NUM_THREADS, else all usable cores)")
      ->check(glia::cli::non_negative_int<decltype(a->threads)>());
  add_dtype_policy_option(cmd, a->dtype_policy);
  cmd->callback([a, workspace_dir] { run_predict(*a, *workspace_dir); });
}

}  // namespace glia::cli
