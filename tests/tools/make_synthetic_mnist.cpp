// Writes a small, learnable MNIST-layout dataset (four IDX .gz files) for end-to-end tests:
// class c has a bright horizontal band at rows 2c..2c+3 over uniform noise.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "glia/data.hpp"
#include "glia/initializers.hpp"

namespace {

void write_split(const std::string& dir, const std::string& prefix, int64_t n, glia::Rng& rng) {
  glia::IdxArray images{{n, 28, 28}, std::vector<uint8_t>(n * 784)};
  glia::IdxArray labels{{n}, std::vector<uint8_t>(n)};
  for (int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng.below(10));
    labels.data[i] = static_cast<uint8_t>(c);
    for (int p = 0; p < 784; ++p) {
      const int row = p / 28;
      const bool band = row >= 2 * c && row < 2 * c + 3;
      const int v = band ? 160 + static_cast<int>(rng.below(96)) : static_cast<int>(rng.below(90));
      images.data[i * 784 + p] = static_cast<uint8_t>(v);
    }
  }
  glia::write_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz", images);
  glia::write_idx(dir + "/" + prefix + "-labels-idx1-ubyte.gz", labels);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_synthetic_mnist DIR [TRAIN_COUNT] [TEST_COUNT]\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  glia::Rng rng(42);
  write_split(dir, "train", argc > 2 ? std::atoll(argv[2]) : 2000, rng);
  write_split(dir, "t10k", argc > 3 ? std::atoll(argv[3]) : 500, rng);
  return 0;
}
