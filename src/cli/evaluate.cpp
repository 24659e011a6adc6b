// glia evaluate: Keras' model.evaluate on the test split of MNIST-layout IDX files, with a
// trained model (file, folder or registered): the loss and the compiled metrics.
#include <cstdio>

#include "cli/checks.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/model_io.hpp"
#include "glia/glia.hpp"
#include "glia/saving.hpp"

namespace glia::cli {

namespace {

struct EvaluateArgs {
  std::string model, weights, data_folder, loss, metrics, output = "text", dtype_policy;
  int64_t batch_size = 32;
  int threads = 0;
  bool verify = false;
};

void run_evaluate(const EvaluateArgs& a, const std::string& workspace_dir) {
  set_num_threads(a.threads);
  LoadOptions lo;
  lo.weights = a.weights;
  lo.verify = a.verify;
  LoadedModel loaded = open_model(a.model, workspace_dir, lo);
  Model& model = *loaded.model;
  apply_dtype_policy(model, a.dtype_policy);
  // The file's loss and metrics; flags replace them (a model saved uncompiled needs --loss).
  if (!model.compiled() && a.loss.empty())
    throw Error(a.model +
                ": the model was saved without a compile config (loss, metrics); give --loss "
                "(and --metrics)");
  if (!a.loss.empty() || !a.metrics.empty()) {
    CompileOptions o;
    if (model.compiled()) o = model.compile_options();
    if (!o.optimizer) o.optimizer = make_optimizer("sgd", std::nullopt);  // evaluate never steps
    if (!a.loss.empty()) o.loss = Loss::parse(a.loss);
    if (!a.metrics.empty()) o.metrics = metrics_flag(a.metrics);
    model.compile(o);
  }
  auto test = load_mnist_test_for(model, model.loss().kind, a.data_folder);
  const Logs logs = model.evaluate(*test, {.batch_size = a.batch_size});
  if (a.output == "json") {
    nlohmann::json out;
    out["model"] = a.model;
    out["weights"] = loaded.weights_path;
    out["samples"] = test->size();
    out["test"] = logs;
    if (loaded.verified) out["verified"] = true;
    return print_json(out);
  }
  std::string line = "test:";
  char buf[64];
  for (const auto& [name, value] : logs) {
    std::snprintf(buf, sizeof buf, " %s %.4f", name.c_str(), value);
    line += buf;
  }
  std::printf("%s (%lld samples)\n", line.c_str(), static_cast<long long>(test->size()));
}

}  // namespace

void register_evaluate(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto a = std::make_shared<EvaluateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "evaluate",
      "Evaluate a trained model on the test split of MNIST-layout IDX files (Keras' "
      "model.evaluate: the loss and the compiled metrics)");
  add_model_options(cmd, a->model, a->weights);
  cmd->add_option("--data-folder", a->data_folder,
                  "folder holding the MNIST-layout files; the test split (t10k-images-idx3-ubyte"
                  ".gz, t10k-labels-idx1-ubyte.gz) is evaluated")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--loss", a->loss, "loss name (default: the model's compile config)");
  cmd->add_option("--metrics", a->metrics,
                  "comma-separated metric names (default: the model's compile config)");
  cmd->add_flag("--verify", a->verify,
                "check the model against the reference sample stored in its file first");
  cmd->add_option("--batch-size", a->batch_size, "rows per forward pass")
      ->capture_default_str()
      ->check(glia::cli::positive_int<decltype(a->batch_size)>());
  cmd->add_option("--threads", a->threads, "compute threads (0 = all cores)")
      ->check(glia::cli::non_negative_int<decltype(a->threads)>());
  add_dtype_policy_option(cmd, a->dtype_policy);
  cmd->add_option("-o,--output", a->output, "text or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([a, workspace_dir] { run_evaluate(*a, *workspace_dir); });
}

}  // namespace glia::cli
