// glia-keras-mnist: the Azure ML sample's keras_mnist.py, written against Glia's C++ API.
// Same flags, defaults and behaviour: a 784-n1-n2-10 MLP with RMSprop on MNIST-layout IDX files.
#include <cstdio>

#include "cli/checks.hpp"
#include "keras_example.hpp"

int main(int argc, char** argv) {
  int64_t n_h1 = 100, n_h2 = 100;
  glia_examples::ExampleSpec spec{
      .program = "glia-keras-mnist",
      .description =
          "Train the Keras MNIST MLP (Dense-relu, Dense-relu, Dense-softmax) with RMSprop.",
      .run_name = "keras-mnist",
      .chart_title = "Fashion MNIST with Keras MLP",
      .learning_rate_help = "RMSprop learning rate"};
  spec.add_options = [&](CLI::App& app) {
    app.add_option("--first-layer-neurons", n_h1, "units of the first hidden layer")
        ->capture_default_str()
        ->check(glia::cli::positive_int<decltype(n_h1)>());
    app.add_option("--second-layer-neurons", n_h2, "units of the second hidden layer")
        ->capture_default_str()
        ->check(glia::cli::positive_int<decltype(n_h2)>());
  };
  spec.load_data = [](const glia::MnistFiles& files) {
    auto train = std::make_shared<glia::ImageClassDataset>(glia::read_idx(files.train_images),
                                                           glia::read_idx(files.train_labels), 10);
    auto test = std::make_shared<glia::ImageClassDataset>(glia::read_idx(files.test_images),
                                                          glia::read_idx(files.test_labels), 10);
    std::printf("(%lld, 784)\n(%lld, 10)\n(%lld, 784)\n(%lld, 10)\n",
                static_cast<long long>(train->size()), static_cast<long long>(train->size()),
                static_cast<long long>(test->size()), static_cast<long long>(test->size()));
    return std::pair<glia::DatasetPtr, glia::DatasetPtr>{train, test};
  };
  spec.make_model = [&](uint64_t seed) {
    auto model = std::make_shared<glia::Sequential>();
    model->add(std::make_shared<glia::InputLayer>(glia::Shape{784}));
    model->add(std::make_shared<glia::Dense>(n_h1, glia::DenseOptions{.activation = "relu"}));
    model->add(std::make_shared<glia::Dense>(n_h2, glia::DenseOptions{.activation = "relu"}));
    model->add(std::make_shared<glia::Dense>(10, glia::DenseOptions{.activation = "softmax"}));
    model->initialize_weights(seed);
    return model;
  };
  spec.make_optimizer = [](double learning_rate) {
    return std::make_shared<glia::RMSprop>(glia::OptimizerOptions{.learning_rate = learning_rate});
  };
  return glia_examples::run_keras_example(argc, argv, spec);
}
