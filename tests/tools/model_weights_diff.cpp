// Compares the weights of two saved models (any format load_model reads: a model.json with its
// weights, .keras, .h5) without comparing file bytes, which carry timestamps. Prints the largest
// absolute difference; exits 0 when the weights are bit-identical (or, with --tolerance T, when
// no difference exceeds T), 1 when they differ, 2 on a usage or load error.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "glia/error.hpp"
#include "glia/saving.hpp"

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 5 && std::strcmp(argv[3], "--tolerance") == 0)) {
    std::fprintf(stderr, "usage: model_weights_diff MODEL_A MODEL_B [--tolerance T]\n");
    return 2;
  }
  const double tolerance = argc == 5 ? std::atof(argv[4]) : 0.0;
  try {
    glia::LoadOptions options;
    options.compile = false;
    auto a = glia::load_model(argv[1], options).model->get_weights();
    auto b = glia::load_model(argv[2], options).model->get_weights();
    if (a.size() != b.size()) {
      std::printf("different models: %zu and %zu weight tensors\n", a.size(), b.size());
      return 1;
    }
    double largest = 0.0;
    bool identical = true;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].shape() != b[i].shape()) {
        std::printf("weight %zu: shapes differ\n", i);
        return 1;
      }
      identical =
          identical && std::memcmp(a[i].data(), b[i].data(), sizeof(float) * a[i].size()) == 0;
      for (int64_t j = 0; j < a[i].size(); ++j)
        largest = std::fmax(largest, std::fabs(double(a[i].data()[j]) - b[i].data()[j]));
    }
    std::printf("%s: largest difference %.9g over %zu weight tensors\n",
                identical ? "bit-identical" : "different", largest, a.size());
    return identical || (tolerance > 0 && largest <= tolerance) ? 0 : 1;
  } catch (const glia::Error& e) {
    std::fprintf(stderr, "model_weights_diff: error: %s\n", e.what());
    return 2;
  }
}
