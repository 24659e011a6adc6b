// What the layers with a kernel and an optional bias share (Dense, Conv2D, Conv1D): their weight
// penalties and constraints, and the activity regularizer on the output. Templates over the
// layer's options struct (use_bias, kernel/bias/activity_regularizer, kernel/bias_constraint).
#pragma once

#include "glia/layer.hpp"
#include "glia/regularizers.hpp"

namespace glia::kernel_bias {

/// The layer's matrix product: bfloat16 operands under mixed_bfloat16, else float32.
inline void gemm(const Layer& layer, Backend& be, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc) {
  if (layer.dtype_policy() == DTypePolicy::mixed_bfloat16)
    be.gemm_bf16(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
  else
    be.gemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

/// `x` rounded to bfloat16 into `scratch` (resized to x's shape); returns its data.
inline const float* rounded_bf16(Backend& be, const Tensor& x, Tensor& scratch) {
  scratch.resize(x.shape());
  be.round_bf16(x.data(), scratch.data(), x.size());
  return scratch.data();
}

template <class Options>
bool has_regularization(const Options& o) {
  return o.kernel_regularizer.active() || (o.use_bias && o.bias_regularizer.active()) ||
         o.activity_regularizer.active();
}

/// The weight penalties (only while the layer is trainable: Keras 3 sums those of trainable
/// weights), plus the activity penalty of `last_output` divided by its batch size (Keras 3).
template <class Options>
double regularization_loss(Backend& be, const Options& o, const Tensor& kernel, const Tensor& bias,
                           const Tensor& last_output, bool trainable) {
  double loss = 0.0;
  if (trainable) {
    loss += o.kernel_regularizer.penalty(be, kernel);
    if (o.use_bias) loss += o.bias_regularizer.penalty(be, bias);
  }
  if (o.activity_regularizer.active() && last_output.defined() && last_output.dim(0) > 0)
    loss +=
        o.activity_regularizer.penalty(be, last_output) / static_cast<double>(last_output.dim(0));
  return loss;
}

/// The activity penalty's gradient added to dL/dy (before the activation's backward).
template <class Options>
void add_activity_gradient(const BackwardContext& ctx, const Options& o, const Tensor& output,
                           Tensor& dout) {
  const Regularizer& a = o.activity_regularizer;
  if (!a.active()) return;
  const float per_sample =
      1.0f / static_cast<float>(ctx.batch_rows > 0 ? ctx.batch_rows : output.dim(0));
  Regularizer{a.l1 * per_sample, a.l2 * per_sample}.add_gradient(ctx.backend, output, dout);
}

/// The weight penalties' gradients added to the variables' gradients (times ctx.penalty_scale).
template <class Options>
void add_penalty_gradients(const BackwardContext& ctx, const Options& o, Variable& kernel,
                           Variable& bias) {
  const float s = ctx.penalty_scale;
  const Regularizer &kr = o.kernel_regularizer, &br = o.bias_regularizer;
  Regularizer{kr.l1 * s, kr.l2 * s}.add_gradient(ctx.backend, kernel.value, kernel.grad);
  if (o.use_bias)
    Regularizer{br.l1 * s, br.l2 * s}.add_gradient(ctx.backend, bias.value, bias.grad);
}

template <class Options>
void apply_constraints(Backend& be, const Options& o, Tensor& kernel, Tensor& bias) {
  o.kernel_constraint.apply(be, kernel);
  if (o.use_bias) o.bias_constraint.apply(be, bias);
}

}  // namespace glia::kernel_bias
