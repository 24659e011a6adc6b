// The Fashion-MNIST CNN of examples/keras-cnn, shared by glia-keras-cnn and bench/bench_cnn.cpp
// (and written as a Keras config in cnn.json; bench/peers/keras_cnn.py and torch_cnn.py build
// the same network):
//   Input(28, 28, 1) -> Conv2D(32, 3, use_bias=False) -> BatchNormalization -> ReLU ->
//   MaxPooling2D(2) -> Conv2D(64, 3, use_bias=False) -> BatchNormalization -> ReLU ->
//   MaxPooling2D(2) -> Flatten -> Dense(128, relu) -> Dropout(0.3) -> Dense(10, softmax)
// "valid" padding: 28 -> 26 -> 13 -> 11 -> 5, so Flatten gives 5 * 5 * 64 = 1600 features.
// The convolutions have no bias: the BatchNormalization after each one has its own shift (beta).
#pragma once

#include <memory>

#include "glia/glia.hpp"

namespace glia_examples {

inline constexpr float kCnnDropout = 0.3f;

/// The model, built and with weights drawn from `seed`.
inline std::shared_ptr<glia::Sequential> make_cnn(uint64_t seed) {
  using namespace glia;
  auto model = std::make_shared<Sequential>();
  model->add(std::make_shared<InputLayer>(Shape{28, 28, 1}));
  for (int64_t filters : {32, 64}) {
    model->add(std::make_shared<Conv2D>(filters, std::vector<int64_t>{3, 3},
                                        ConvOptions{.use_bias = false}));
    model->add(std::make_shared<BatchNormalization>());
    model->add(std::make_shared<ReLU>());
    model->add(std::make_shared<MaxPooling2D>(PoolingOptions{.pool_size = {2, 2}}));
  }
  model->add(std::make_shared<Flatten>());
  model->add(std::make_shared<Dense>(128, DenseOptions{.activation = "relu"}));
  model->add(std::make_shared<Dropout>(kCnnDropout));
  model->add(std::make_shared<Dense>(10, DenseOptions{.activation = "softmax"}));
  model->initialize_weights(seed);
  return model;
}

/// uint8 IDX images (N, 28, 28) as the model's (N, 28, 28, 1) inputs, scaled by 1/255, with
/// one-hot labels.
inline std::shared_ptr<glia::ImageClassDataset> image_dataset(glia::IdxArray images,
                                                              glia::IdxArray labels) {
  if (images.dims.size() == 3) images.dims.push_back(1);  // channels_last, one channel
  return std::make_shared<glia::ImageClassDataset>(std::move(images), std::move(labels), 10,
                                                   1.0f / 255.0f, /*flatten=*/false);
}

}  // namespace glia_examples
