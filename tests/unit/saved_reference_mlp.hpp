// A small saved model the registry tests share: a 4→3 softmax MLP with fixed weights, written as
// DIR/model.json + model.h5 with a reference sample (so `register --verify` can check it).
#pragma once

#include <filesystem>
#include <memory>

#include "glia/glia.hpp"
#include "glia/saving.hpp"

namespace glia::testing_models {

inline void save_reference_mlp(const std::filesystem::path& dir) {
  auto net = std::make_shared<Sequential>("mlp");
  net->add(std::make_shared<InputLayer>(Shape{4}, "in"));
  net->add(std::make_shared<Dense>(3, DenseOptions{.activation = "softmax", .name = "out"}));
  net->initialize_weights(1);
  SaveOptions so;
  so.reference_input = Tensor({2, 4});
  for (int64_t i = 0; i < 8; ++i) (*so.reference_input)[i] = 0.1f * static_cast<float>(i);
  std::filesystem::create_directories(dir);
  save_model(*net, (dir / "model.json").string(), so);  // + model.h5
}

}  // namespace glia::testing_models
