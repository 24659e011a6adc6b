// BatchNormalization: batch statistics and moving statistics (Keras 3's formulas).
#include <limits>

#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia {

BatchNormalization::BatchNormalization(BatchNormOptions options)
    : NormLayer(options, "BatchNormalization", "batch_normalization"),
      options_(std::move(options)) {
  if (!(options_.momentum >= 0.0 && options_.momentum <= 1.0))
    throw Error("BatchNormalization '" + name() + "': momentum must be in [0, 1], got " +
                std::to_string(options_.momentum));
}

Shape BatchNormalization::build(const std::vector<Shape>& input_shapes, Rng& rng) {
  Shape out = NormLayer::build(input_shapes, rng);
  moving_mean_ = {name() + "/moving_mean", Tensor({channels_}), Tensor()};
  moving_variance_ = {name() + "/moving_variance", Tensor({channels_}), Tensor()};
  glia::initialize(moving_mean_.value, options_.moving_mean_initializer, rng);
  glia::initialize(moving_variance_.value, options_.moving_variance_initializer, rng);
  return out;
}

void BatchNormalization::initialize(Rng& rng) {
  NormLayer::initialize(rng);
  glia::initialize(moving_mean_.value, options_.moving_mean_initializer, rng);
  glia::initialize(moving_variance_.value, options_.moving_variance_initializer, rng);
}

void BatchNormalization::forward(ForwardContext& ctx, std::span<const Tensor* const> inputs,
                                 Tensor& output) {
  const Tensor& x = *inputs[0];
  Backend& be = ctx.backend;
  output.resize(x.shape());
  const NormGeometry g = geometry(x);
  trained_forward_ = ctx.training;
  if (!ctx.training) {
    be.batch_norm_forward_inference(g, x.data(), gamma_data(), beta_data(),
                                    moving_mean_.value.data(), moving_variance_.value.data(),
                                    output.data());
    return;
  }
  batch_mean_.resize({channels_});
  batch_variance_.resize({channels_});
  be.batch_norm_forward_training(g, x.data(), gamma_data(), beta_data(), output.data(),
                                 batch_mean_.data(), batch_variance_.data());
  if (g.rows == 0) return;
  // moving = moving · momentum + batch · (1 - momentum), each product rounded as Keras does.
  const auto m = static_cast<float>(options_.momentum);
  const auto rest = static_cast<float>(1.0 - options_.momentum);
  constexpr float inf = std::numeric_limits<float>::infinity();
  for (auto [moving, batch] : {std::pair{&moving_mean_.value, &batch_mean_},
                               std::pair{&moving_variance_.value, &batch_variance_}}) {
    be.scale_clip(moving->data(), channels_, m, -inf, inf);
    be.axpy(rest, batch->data(), moving->data(), channels_);
  }
}

void BatchNormalization::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs,
                                  const Tensor& /*output*/, Tensor& dout,
                                  std::span<Tensor* const> dinputs) {
  if (!trained_forward_)
    throw Error(ErrorKind::Internal,
                "BatchNormalization '" + name() + "': backward without a training forward");
  const Tensor& x = *inputs[0];
  Backend& be = ctx.backend;
  float* dx = nullptr;
  if (!dinputs.empty() && dinputs[0]) {
    dinputs[0]->resize(x.shape());
    dx = dinputs[0]->data();
  }
  be.batch_norm_backward(geometry(x), x.data(), dout.data(), gamma_data(), batch_mean_.data(),
                         batch_variance_.data(), dx, gamma_grad(), beta_grad());
  add_penalty_gradients(be, ctx.penalty_scale);
}

}  // namespace glia
