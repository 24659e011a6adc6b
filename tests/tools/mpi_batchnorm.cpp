// For tests/e2e/mpi_batchnorm.sh: trains a small model with a BatchNormalization layer (under
// mpirun: data-parallel, each rank on its rows of every batch), then writes this rank's moving
// statistics and last validation loss, as hex floats, to PREFIX<rank>.txt. With `frozen`, a
// frozen BatchNormalization (moving statistics away from their initial values) and a frozen
// Dense come first: the program fails if fit changed either, and writes every weight.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "glia/distributed.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"

int main(int argc, char** argv) {
  const bool frozen = argc == 3 && std::string(argv[2]) == "frozen";
  if (argc != 2 && !frozen) {
    std::fprintf(stderr, "usage: mpi_batchnorm OUT_PREFIX [frozen]\n");
    return 2;
  }
  try {
    using namespace glia;
    BatchNormOptions bn;
    bn.momentum = 0.5;  // the statistics of the last batches weigh most
    Sequential model({std::make_shared<InputLayer>(Shape{8})});
    std::vector<LayerPtr> frozen_layers;
    if (frozen) {
      auto base_bn = std::make_shared<BatchNormalization>(bn);
      auto base = std::make_shared<Dense>(16, DenseOptions{.activation = "relu"});
      model.add(base_bn).add(base);
      for (int64_t c = 0; c < 8; ++c) {
        base_bn->moving_mean().value.data()[c] = static_cast<float>(c) / 3.0f;
        base_bn->moving_variance().value.data()[c] = 1.0f + static_cast<float>(c) / 7.0f;
      }
      frozen_layers = {base_bn, base};
      for (const LayerPtr& l : frozen_layers) l->set_trainable(false);
    } else {
      model.add(std::make_shared<Dense>(16, DenseOptions{.activation = "relu"}));
    }
    model.add(std::make_shared<BatchNormalization>(bn));
    model.add(std::make_shared<Dense>(3, DenseOptions{.activation = "softmax"}));
    std::vector<Tensor> before;
    for (const LayerPtr& l : frozen_layers)
      for (Variable* v : l->weights()) before.push_back(v->value.clone());
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
    size_t k = 0;
    for (const LayerPtr& l : frozen_layers)
      for (Variable* v : l->weights())
        if (std::memcmp(v->value.data(), before[k++].data(), v->value.size() * sizeof(float)))
          throw Error(ErrorKind::Internal, "frozen " + v->name + " changed in fit");
    Communicator* comm = distributed();
    const std::string path =
        std::string(argv[1]) + std::to_string(comm ? comm->rank() : 0) + ".txt";
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) throw Error(ErrorKind::Permission, path + ": cannot write");
    for (Variable* v : frozen ? model.weights() : model.non_trainable_variables())
      for (int64_t i = 0; i < v->value.size(); ++i) std::fprintf(f, "%a\n", v->value[i]);
    std::fprintf(f, "val_loss %a\n", h.history.at("val_loss").back());
    std::fclose(f);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpi_batchnorm: %s\n", e.what());
    return 1;
  }
  return 0;
}
