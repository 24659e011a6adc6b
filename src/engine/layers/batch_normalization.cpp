// BatchNormalization: batch statistics and moving statistics (Keras 3's formulas), and a ReLU
// after it fused when the model asks (ForwardContext::relu_fused).
#include <limits>

#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia {

namespace {

const ActivationSpec kRelu{.kind = ActivationKind::relu};  // Keras' defaults: max(x, 0)

}  // namespace

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
  NormGeometry g = geometry(x);
  // The ReLU the model fused into this layer: in the backend's kernels where they compute it
  // exactly and no slower, else applied here after them.
  mode_ = !ctx.training ? Mode::inference : trainable() ? Mode::batch_statistics : Mode::frozen;
  g.relu = ctx.relu_fused && mode_ == Mode::batch_statistics && be.batch_norm_fuses_relu(g);
  relu_ = !ctx.relu_fused ? ReluAt::none : g.relu ? ReluAt::backend : ReluAt::layer;
  const auto relu_here = [&] {
    if (relu_ == ReluAt::layer)
      be.bias_activation(output.data(), nullptr, output.data(), g.rows, g.channels, kRelu);
  };
  if (mode_ != Mode::batch_statistics) {
    be.batch_norm_forward_inference(g, x.data(), gamma_data(), beta_data(),
                                    moving_mean_.value.data(), moving_variance_.value.data(),
                                    output.data());
    relu_here();
    return;
  }
  batch_mean_.resize({channels_});
  batch_variance_.resize({channels_});
  if (g.relu) relu_mask_.resize({g.rows * g.channels});
  be.batch_norm_forward_training(g, x.data(), gamma_data(), beta_data(), output.data(),
                                 batch_mean_.data(), batch_variance_.data(),
                                 g.relu ? relu_mask_.data() : nullptr);
  relu_here();
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
                                  const Tensor& output, Tensor& dout,
                                  std::span<Tensor* const> dinputs) {
  if (mode_ == Mode::inference)
    throw Error(ErrorKind::Internal,
                "BatchNormalization '" + name() + "': backward without a training forward");
  const Tensor& x = *inputs[0];
  Backend& be = ctx.backend;
  float* dx = nullptr;
  if (!dinputs.empty() && dinputs[0]) {
    dinputs[0]->resize(x.shape());
    dx = dinputs[0]->data();
  }
  NormGeometry g = geometry(x);
  g.relu = relu_ == ReluAt::backend;
  if (relu_ == ReluAt::layer)  // the ReLU's backward, from its output (dout is its gradient)
    be.activation_backward(nullptr, output.data(), dout.data(), dout.data(), g.rows, g.channels,
                           kRelu);
  if (mode_ == Mode::frozen) {  // y = gamma (x - mean) / sqrt(var + eps) + beta, all fixed
    if (!dx) return;
    g.relu = false;
    if (zeros_.size() != channels_) zeros_ = Tensor({channels_});  // zero-filled
    // dx = dy · gamma / sqrt(var + eps): the inference kernel with a zero mean and no shift.
    be.batch_norm_forward_inference(g, dout.data(), gamma_data(), nullptr, zeros_.data(),
                                    moving_variance_.value.data(), dx);
    return;
  }
  be.batch_norm_backward(g, x.data(), dout.data(), gamma_data(), batch_mean_.data(),
                         batch_variance_.data(), g.relu ? relu_mask_.data() : nullptr, dx,
                         gamma_grad(), beta_grad());
  add_penalty_gradients(be, ctx.penalty_scale);
}

}  // namespace glia
