// Data and model access for glia train / glia predict.
#include "cli/model_io.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/models.hpp"

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

namespace {

std::shared_ptr<ImageClassDataset> mnist_split_for(const Model& model, LossKind loss,
                                                   const std::string& images,
                                                   const std::string& labels) {
  const Shape in = model.input_shape(), out = model.output_shape();
  const bool sparse = loss == LossKind::sparse_categorical_crossentropy;
  if (out.size() != 1)
    throw Error("the model's output " + shape_str(out, true) + " is not a class vector");
  const int64_t classes = sparse ? 0 : out[0];
  IdxArray x = read_idx(images);
  const int64_t item = x.item_size();
  if (item != shape_numel(in))
    throw Error(images + ": images of " + std::to_string(item) +
                " values do not fit the model input " + shape_str(in, true));
  const bool flatten = in.size() == 1;
  if (!flatten && Shape(x.dims.begin() + 1, x.dims.end()) != in)
    throw Error(images + ": image shape " + shape_str(Shape(x.dims.begin() + 1, x.dims.end())) +
                " does not match the model input " + shape_str(in, true));
  return std::make_shared<ImageClassDataset>(std::move(x), read_idx(labels), classes, 1.0f / 255.0f,
                                             flatten);
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
    std::ifstream in(path);
    if (!in) throw Error(path + ": cannot open");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(path + ": invalid JSON: " + escape_bytes(e.what(), 300));
    }
    const nlohmann::json* data = j.is_object() && j.contains("data") ? &j["data"] : nullptr;
    if (!data || !data->is_array() || data->empty() || !(*data)[0].is_array())
      throw Error(path +
                  ": expected {\"data\": [[numbers...], ...]} (the scoring service's input)");
    const int64_t rows = static_cast<int64_t>(data->size());
    const int64_t cols = static_cast<int64_t>((*data)[0].size());
    Tensor x({rows, cols});
    for (int64_t r = 0; r < rows; ++r) {
      const auto& row = (*data)[static_cast<size_t>(r)];
      if (!row.is_array() || static_cast<int64_t>(row.size()) != cols)
        throw Error(path + ": data[" + std::to_string(r) + "] must hold " + std::to_string(cols) +
                    " numbers");
      for (int64_t c = 0; c < cols; ++c) {
        const auto& v = row[static_cast<size_t>(c)];
        if (!v.is_number())
          throw Error(path + ": data[" + std::to_string(r) + "][" + std::to_string(c) +
                      "] is not a number");
        x[r * cols + c] = v.get<float>();
      }
    }
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

}  // namespace glia::cli
