#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia {

Dropout::Dropout(float rate, std::optional<uint64_t> seed, std::string name)
    : Layer(name.empty() ? unique_layer_name("dropout") : std::move(name)),
      rate_(rate),
      fixed_seed_(seed.has_value()),
      seed_(seed.value_or(0)) {
  if (!(rate >= 0.0f && rate < 1.0f))
    throw Error("Dropout '" + this->name() + "': rate must be in [0, 1), got " +
                std::to_string(rate));
}

Shape Dropout::build(const std::vector<Shape>& input_shapes, Rng& rng) {
  if (!fixed_seed_) seed_ = rng.next();
  return input_shapes[0];
}

void Dropout::initialize(Rng& rng) {
  if (!fixed_seed_) seed_ = rng.next();
}

void Dropout::forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const Tensor& x = *inputs[0];
  output.resize(x.shape());
  active_ = ctx.training && rate_ > 0.0f;
  if (!active_) {  // a device-side copy: x may still be being written
    ctx.backend.copy_columns(x.data(), 1, x.size(), output.data(), output.size(), 0);
    return;
  }
  mask_.resize(x.shape());
  // The mask depends on the layer's seed and the step's seed only: reproducible at any thread
  // count.
  const auto per_row =
      static_cast<uint64_t>(x.rank() > 0 && x.dim(0) > 0 ? x.size() / x.dim(0) : 0);
  ctx.backend.dropout_mask(seed_ ^ ctx.seed, static_cast<uint64_t>(ctx.row_offset) * per_row, rate_,
                           mask_.data(), x.size());
  ctx.backend.mul(x.data(), mask_.data(), output.data(), x.size());
}

void Dropout::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs,
                       const Tensor& output, Tensor& dout, std::span<Tensor* const> dinputs) {
  if (dinputs.empty() || !dinputs[0]) return;
  Tensor& dx = *dinputs[0];
  dx.resize(dout.shape());
  if (!active_) {
    ctx.backend.copy_columns(dout.data(), 1, dout.size(), dx.data(), dx.size(), 0);
    return;
  }
  ctx.backend.mul(dout.data(), mask_.data(), dx.data(), dout.size());
}

}  // namespace glia
