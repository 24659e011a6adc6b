// compare_weights A B TOLERANCE: loads two saved models (model.json + model.h5, .keras, ...) and
// compares their weights. Prints the largest absolute difference; exits 0 when it is at most
// TOLERANCE (0: bit-identical), 1 when larger, 2 on an error (different shapes, unreadable file).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "glia/error.hpp"
#include "glia/model.hpp"
#include "glia/saving.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: compare_weights A B TOLERANCE\n");
    return 2;
  }
  try {
    auto a = glia::load_model(argv[1]).model->get_weights();
    auto b = glia::load_model(argv[2]).model->get_weights();
    const double tolerance = std::strtod(argv[3], nullptr);
    if (a.size() != b.size()) throw glia::Error("the models have different variable counts");
    double worst = 0.0;
    bool identical = true;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].shape() != b[i].shape())
        throw glia::Error("variable " + std::to_string(i) + " has different shapes");
      for (int64_t k = 0; k < a[i].size(); ++k) {
        worst = std::max(worst, std::fabs(static_cast<double>(a[i][k]) - b[i][k]));
        if (std::memcmp(&a[i][k], &b[i][k], sizeof(float)) != 0) identical = false;
      }
    }
    std::printf("max abs difference %.9g%s\n", worst, identical ? " (bit-identical)" : "");
    if (tolerance == 0.0) return identical ? 0 : 1;
    return worst <= tolerance ? 0 : 1;
  } catch (const glia::Error& e) {
    std::fprintf(stderr, "compare_weights: error: %s\n", e.what());
    return 2;
  }
}
