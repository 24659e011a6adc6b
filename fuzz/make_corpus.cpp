// Writes the seed corpora for the fuzz targets: small models built with the engine API, trained
// one epoch (so optimizer state exists) and saved in every format Glia writes, plus the parts of
// real Keras files given on the command line.
//
//   make_corpus OUT_DIR [FILE.keras|FILE.h5|FILE.json ...]
//
// OUT_DIR/fuzz_model_json, OUT_DIR/fuzz_model_h5 and OUT_DIR/fuzz_model_keras receive the seeds.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "formats/keras_archive.hpp"
#include "fuzz_common.hpp"
#include "glia/optimizers.hpp"

namespace fs = std::filesystem;
using namespace glia;

namespace {

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in) throw Error(p.string() + ": cannot read");
  return s.str();
}

void write_bytes(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error(p.string() + ": cannot write");
}

/// Rows of deterministic inputs, and one-hot (or 0/1) targets for the model's output.
std::pair<Tensor, Tensor> data_for(Model& m, int64_t rows) {
  Shape xs = m.input_shape(), ys = m.output_shape();
  xs.insert(xs.begin(), rows);
  ys.insert(ys.begin(), rows);
  Tensor x(xs), y(ys);
  for (int64_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 19) / 9.5f - 1.0f;
  const int64_t classes = ys.back();
  for (int64_t r = 0; r < rows; ++r) y[r * classes + r % classes] = 1.0f;
  return {x, y};
}

struct Seeds {
  fs::path json, h5, keras;
  /// A .keras file's config.json and model.weights.h5 as seeds for each target.
  void add_archive(const fs::path& file, const std::string& stem) {
    const std::string bytes = read_bytes(file);
    write_bytes(keras / (stem + ".keras"), bytes);
    LoadLimits limits;
    formats::ArchiveContents a = formats::read_archive(bytes, file.string(), limits);
    write_bytes(json / (stem + ".config.json"), a.config);
    if (!a.weights.empty()) write_bytes(h5 / (stem + ".model.weights.h5"), a.weights);
    write_bytes(keras / (stem + ".parts"), a.config + std::string(1, '\0') + a.weights);
  }
};

void copy_seed(const fs::path& from, const fs::path& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

void save_all(Model& m, const std::string& stem, const fs::path& tmp, Seeds& seeds,
              bool include_optimizer) {
  SaveOptions options;
  options.include_optimizer = include_optimizer;
  options.reference_input = data_for(m, 3).first;
  save_model(m, (tmp / (stem + ".keras")).string(), options);
  seeds.add_archive(tmp / (stem + ".keras"), stem);
  save_model(m, (tmp / (stem + ".h5")).string(), options);
  copy_seed(tmp / (stem + ".h5"), seeds.h5 / (stem + ".h5"));
  save_model(m, (tmp / (stem + "_pair.json")).string(), options);
  copy_seed(tmp / (stem + "_pair.json"), seeds.json / (stem + ".json"));
  copy_seed(tmp / (stem + "_pair.h5"), seeds.h5 / (stem + "_pair.h5"));
  save_weights(m, (tmp / (stem + "_weights.h5")).string(), options);
  copy_seed(tmp / (stem + "_weights.h5"), seeds.h5 / (stem + "_weights.h5"));
  save_weights(m, (tmp / (stem + ".weights.h5")).string(), options);
  copy_seed(tmp / (stem + ".weights.h5"), seeds.h5 / (stem + ".weights.h5"));
  write_bytes(seeds.json / (stem + ".keras3.json"), model_to_json(m, ConfigStyle::keras3));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: make_corpus OUT_DIR [FILE.keras|FILE.h5|FILE.json ...]\n";
    return 2;
  }
  try {
    fuzz::init_runtime();
    const fs::path out = argv[1];
    Seeds seeds{out / "fuzz_model_json", out / "fuzz_model_h5", out / "fuzz_model_keras"};
    for (const fs::path& d : {seeds.json, seeds.h5, seeds.keras}) fs::create_directories(d);
    const fs::path tmp = out / "tmp";
    fs::remove_all(tmp);
    fs::create_directories(tmp);

    struct Recipe {
      std::string stem;
      std::function<std::shared_ptr<Model>()> build;
      std::function<std::shared_ptr<Optimizer>()> optimizer;
      std::string loss;
    };
    const std::vector<Recipe> recipes = {
        {"mlp_adam", fuzz::small_mlp, [] { return std::make_shared<Adam>(); },
         "categorical_crossentropy"},
        {"mlp_sgd", fuzz::small_mlp,
         [] {
           return std::make_shared<SGD>(OptimizerOptions{0.05}, SGDOptions{0.9, true});
         },
         "categorical_crossentropy"},
        {"branchy_rmsprop", fuzz::small_branchy,
         [] {
           return std::make_shared<RMSprop>(OptimizerOptions{0.01},
                                            RMSpropOptions{0.9, 0.5, 1e-7, true});
         },
         "categorical_crossentropy"},
        {"branchy_adamw", fuzz::small_branchy,
         [] {
           OptimizerOptions o;
           o.schedule = std::make_shared<ExponentialDecay>(0.01, 10, 0.9);
           o.clipnorm = 1.0;
           return std::make_shared<AdamW>(AdamW::with_decay(o),
                                          AdamOptions{0.9, 0.999, 1e-7, true});
         },
         "categorical_crossentropy"},
        {"flat_rmsprop", fuzz::small_flatten, [] { return std::make_shared<RMSprop>(); },
         "binary_crossentropy"},
    };
    for (const Recipe& r : recipes) {
      std::shared_ptr<Model> m = r.build();
      save_all(*m, r.stem + "_uncompiled", tmp, seeds, true);
      m->compile({r.optimizer(), Loss::parse(r.loss), {"accuracy"}});
      save_all(*m, r.stem + "_fresh", tmp, seeds, true);
      auto [x, y] = data_for(*m, 8);
      m->fit(x, y, FitOptions{.batch_size = 4, .epochs = 1, .verbose = 0});
      save_all(*m, r.stem, tmp, seeds, true);
      save_all(*m, r.stem + "_noopt", tmp, seeds, false);
    }

    for (int i = 2; i < argc; ++i) {
      const fs::path file = argv[i];
      const std::string stem = "keras_" + file.stem().string();
      const std::string ext = file.extension().string();
      if (ext == ".keras")
        seeds.add_archive(file, stem);
      else if (ext == ".h5")
        copy_seed(file, seeds.h5 / (stem + ".h5"));
      else if (ext == ".json")
        copy_seed(file, seeds.json / (stem + ".json"));
      else
        throw Error(file.string() + ": expected .keras, .h5 or .json");
    }
    fs::remove_all(tmp);
  } catch (const std::exception& e) {
    std::cerr << "make_corpus: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
