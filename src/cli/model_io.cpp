// Data and model access for glia train / glia predict.
#include "cli/model_io.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "cli/common.hpp"
#include "glia/backend.hpp"
#include "glia/dtype_policy.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/models.hpp"
#include "glia/serving/seed_format.hpp"

namespace glia::cli {

namespace {

Tensor shaped_for(Tensor x, const Model& model, const std::string& what) {
  const Shape want = model.input_shape();
  const int64_t per = shape_numel(want);
  const int64_t rows = x.rank() == 0 ? 0 : x.dim(0);
  if (x.rank() < 1 || per == 0 || rows * per != x.size())
    throw Error(what + ": shape " + shape_str(x.shape()) + " does not fit the model input " +
                shape_str(want, true));
  Shape s = {rows};
  s.insert(s.end(), want.begin(), want.end());
  return x.view(s);
}

}  // namespace

Tensor MnistData::test_x_head(int64_t rows) const {
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < std::min(rows, test->size()); ++i) idx.push_back(i);
  Tensor x, y;
  test->gather(idx, x, y);
  return x;
}

void check_class_vector(const Model& model) {
  const Shape out = model.output_shape();
  if (out.size() != 1)
    throw Error("the model's output " + shape_str(out, true) + " is not a class vector");
}

namespace {

std::shared_ptr<ImageClassDataset> mnist_split_for(const Model& model, LossKind loss,
                                                   const std::string& images,
                                                   const std::string& labels) {
  const Shape in = model.input_shape(), out = model.output_shape();
  const bool sparse = loss == LossKind::sparse_categorical_crossentropy;
  check_class_vector(model);
  const int64_t classes = sparse ? 0 : out[0];
  IdxArray x = read_idx(images);
  const int64_t item = x.item_size();
  if (item != shape_numel(in))
    throw Error(images + ": images of " + std::to_string(item) +
                " values do not fit the model input " + shape_str(in, true));
  // Shaped as the model takes them: 28×28 images feed (784), (28, 28) or (28, 28, 1) alike.
  return std::make_shared<ImageClassDataset>(std::move(x), read_idx(labels), classes, 1.0f / 255.0f,
                                             in);
}

}  // namespace

MnistData load_mnist_for(const Model& model, LossKind loss, const std::string& folder) {
  const MnistFiles files = find_mnist_files(folder);
  MnistData d;
  d.train = mnist_split_for(model, loss, files.train_images, files.train_labels);
  d.test = mnist_split_for(model, loss, files.test_images, files.test_labels);
  return d;
}

std::shared_ptr<ImageClassDataset> load_mnist_test_for(const Model& model, LossKind loss,
                                                       const std::string& folder) {
  const MnistFiles files = find_mnist_files(folder);
  return mnist_split_for(model, loss, files.test_images, files.test_labels);
}

Tensor read_prediction_input(const std::string& path, const Model& model) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".npy") return shaped_for(read_npy(path), model, path);
  if (ext == ".json") {
    // The scoring service's input, read by its own parser: each row flat or nested as the input.
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    serving::SeedRequest request;
    const serving::Signature sig = serving::signature_of(model, path, 0);
    try {
      request = serving::parse_seed_request(text, sig, std::numeric_limits<int32_t>::max());
    } catch (const Error& e) {
      throw Error(path + ": " + e.what());
    }
    Tensor x({request.rows.count, sig.row_in()});
    std::copy(request.rows.values.begin(), request.rows.values.end(), x.data());
    return shaped_for(x, model, path);
  }
  IdxArray a = read_idx(path);
  Tensor x(Shape(a.dims.begin(), a.dims.end()));
  for (int64_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(a.data[static_cast<size_t>(i)]) * (1.0f / 255.0f);
  return shaped_for(x, model, path);
}

void note_weights(const LoadedModel& loaded) {
  if (loaded.format != ModelFormat::json_pair || !loaded.has_weights) return;
  std::fprintf(stderr, "glia: weights: %s\n", escape_bytes(loaded.weights_path).c_str());
}

LoadedModel open_model(const std::string& ref, const std::string& workspace_dir,
                       const LoadOptions& options) {
  std::error_code ec;
  if (std::filesystem::exists(ref, ec)) {
    LoadedModel loaded = load_model(ref, options);
    note_weights(loaded);
    return loaded;
  }
  // Not a path: a registered model, as the scoring service's Model.get_model_path(name) finds it.
  std::optional<platform::Workspace> ws;
  try {
    ws = open_workspace(workspace_dir);
  } catch (const Error&) {
    throw Error(ref + ": no such file, and no workspace to look up a registered model in");
  }
  LoadedModel loaded = load_model(platform::materialize_model(*ws, ref).string(), options);
  note_weights(loaded);
  return loaded;
}

void add_model_options(CLI::App* cmd, std::string& model, std::string& weights) {
  cmd->add_option("--model", model,
                  "model file or folder (.keras, .h5, model.json with its weights) or a "
                  "registered model NAME[:VERSION|@latest]; a model without weights is refused")
      ->required();
  cmd->add_option("--weights", weights,
                  "weights for a model.json config (default: STEM.weights.h5, then "
                  "model.weights.h5, STEM.h5 or model.h5 beside it; the model.* names only for "
                  "model.json itself or a config alone with them)")
      ->check(CLI::ExistingFile);
}

void add_dtype_policy_option(CLI::App* cmd, std::string& policy) {
  cmd->add_option("--dtype-policy", policy,
                  "compute in float32 or mixed_bfloat16 (bfloat16 matrix products and "
                  "convolutions, float32 weights; default: the model file's layer policies)")
      ->check(CLI::IsMember(dtype_policy_names()));
}

void apply_dtype_policy(Model& model, const std::string& policy) {
  if (!policy.empty()) model.set_dtype_policy(parse_dtype_policy(policy, "--dtype-policy"));
  if (model.dtype_policy() == DTypePolicy::mixed_bfloat16 && !default_backend()->native_bf16())
    std::fprintf(stderr,
                 "glia: note: mixed_bfloat16 is emulated on the %s backend (bfloat16 kernels "
                 "are used only on CPUs with AVX512-BF16 or AMX), slower than float32; "
                 "--dtype-policy float32 computes in float32\n",
                 default_backend()->name().c_str());
}

std::vector<MetricSpec> metrics_flag(const std::string& given) {
  std::vector<MetricSpec> out;
  std::string rest = given;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string name = rest.substr(0, comma);
    if (!name.empty()) out.emplace_back(name);
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
  }
  return out;
}

}  // namespace glia::cli
