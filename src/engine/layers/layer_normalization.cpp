// LayerNormalization: each sample normalized over its last axis.
#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia {

LayerNormalization::LayerNormalization(NormOptions options)
    : NormLayer(options, "LayerNormalization", "layer_normalization"),
      options_(std::move(options)) {}

void LayerNormalization::forward(ForwardContext& ctx, std::span<const Tensor* const> inputs,
                                 Tensor& output) {
  const Tensor& x = *inputs[0];
  output.resize(x.shape());
  const NormGeometry g = geometry(x);
  float *mean = nullptr, *variance = nullptr;
  if (ctx.training) {  // kept for backward
    mean_.resize({g.rows});
    variance_.resize({g.rows});
    mean = mean_.data();
    variance = variance_.data();
  }
  ctx.backend.layer_norm_forward(g, x.data(), gamma_data(), beta_data(), output.data(), mean,
                                 variance);
}

void LayerNormalization::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs,
                                  const Tensor& /*output*/, Tensor& dout,
                                  std::span<Tensor* const> dinputs) {
  const Tensor& x = *inputs[0];
  const NormGeometry g = geometry(x);
  if (!mean_.defined() || mean_.size() != g.rows)
    throw Error(ErrorKind::Internal,
                "LayerNormalization '" + name() + "': backward without a training forward");
  Backend& be = ctx.backend;
  float* dx = nullptr;
  if (!dinputs.empty() && dinputs[0]) {
    dinputs[0]->resize(x.shape());
    dx = dinputs[0]->data();
  }
  be.layer_norm_backward(g, x.data(), dout.data(), gamma_data(), mean_.data(), variance_.data(), dx,
                         gamma_grad(), beta_grad());
  add_penalty_gradients(be, ctx.penalty_scale);
}

}  // namespace glia
