// For tests/e2e/mpi_batchnorm.sh: trains a small model with a BatchNormalization layer (under
// mpirun: data-parallel, each rank on its rows of every batch), then writes this rank's moving
// statistics and last validation loss, as hex floats, to PREFIX<rank>.txt.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "glia/distributed.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: mpi_batchnorm OUT_PREFIX\n");
    return 2;
  }
  try {
    using namespace glia;
    BatchNormOptions bn;
    bn.momentum = 0.5;  // the statistics of the last batches weigh most
    Sequential model({std::make_shared<InputLayer>(Shape{8}),
                      std::make_shared<Dense>(16, DenseOptions{.activation = "relu"}),
                      std::make_shared<BatchNormalization>(bn),
                      std::make_shared<Dense>(3, DenseOptions{.activation = "softmax"})});
    CompileOptions options;
    options.optimizer = std::make_shared<Adam>();
    options.loss = Loss::parse("categorical_crossentropy");
    model.compile(options);
    // The same data on every rank; columns shifted so each channel has its own mean.
    Tensor x(Shape{256, 8}), y(Shape{256, 3});
    Rng rng(3);
    for (int64_t i = 0; i < x.size(); ++i)
      x.data()[i] = static_cast<float>(rng.normal()) + static_cast<float>(i % 8);
    y.fill(0.0f);
    for (int64_t i = 0; i < 256; ++i) y.data()[i * 3 + static_cast<int64_t>(rng.below(3))] = 1.0f;
    FitOptions o;
    o.epochs = 2;
    o.batch_size = 32;
    o.verbose = 0;
    o.seed = 5;
    o.validation_split = 0.25;
    History h = model.fit(x, y, o);
    Communicator* comm = distributed();
    const std::string path =
        std::string(argv[1]) + std::to_string(comm ? comm->rank() : 0) + ".txt";
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) throw Error(ErrorKind::Permission, path + ": cannot write");
    for (Variable* v : model.non_trainable_variables())
      for (int64_t i = 0; i < v->value.size(); ++i) std::fprintf(f, "%a\n", v->value[i]);
    std::fprintf(f, "val_loss %a\n", h.history.at("val_loss").back());
    std::fclose(f);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpi_batchnorm: %s\n", e.what());
    return 1;
  }
  return 0;
}
