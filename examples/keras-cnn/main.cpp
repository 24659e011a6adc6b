// glia-keras-cnn: a Keras-style convolutional network for Fashion-MNIST, written against Glia's
// C++ API, with the flags and behaviour of glia-keras-mnist (run tracking, checkpoints, the model
// saved as model.json + model.h5 and model.keras). The network is cnn_model.hpp's (also
// cnn.json, for `glia train --model`), trained with Adam on (28, 28, 1) images.
#include <cstdio>

#include "cnn_model.hpp"
#include "keras_example.hpp"

int main(int argc, char** argv) {
  glia_examples::ExampleSpec spec{
      .program = "glia-keras-cnn",
      .description =
          "Train a Keras-style CNN (Conv2D-BatchNormalization-ReLU-MaxPooling2D x2, "
          "Dense-relu, Dropout, Dense-softmax) on Fashion-MNIST with Adam.",
      .run_name = "keras-cnn",
      .chart_title = "Fashion MNIST with a Keras CNN",
      .batch_size = 64,
      .learning_rate = 0.001,
      .epochs = 10,
      .learning_rate_help = "Adam learning rate"};
  spec.load_data = [](const glia::MnistFiles& files) {
    auto train = glia_examples::image_dataset(glia::read_idx(files.train_images),
                                              glia::read_idx(files.train_labels));
    auto test = glia_examples::image_dataset(glia::read_idx(files.test_images),
                                             glia::read_idx(files.test_labels));
    std::printf("(%lld, 28, 28, 1)\n(%lld, 10)\n(%lld, 28, 28, 1)\n(%lld, 10)\n",
                static_cast<long long>(train->size()), static_cast<long long>(train->size()),
                static_cast<long long>(test->size()), static_cast<long long>(test->size()));
    return std::pair<glia::DatasetPtr, glia::DatasetPtr>{train, test};
  };
  spec.make_model = [](uint64_t seed) { return glia_examples::make_cnn(seed); };
  spec.make_optimizer = [](double learning_rate) {
    return std::make_shared<glia::Adam>(glia::OptimizerOptions{.learning_rate = learning_rate});
  };
  return glia_examples::run_keras_example(argc, argv, spec);
}
