// Conv2D and Conv1D (layers_conv.hpp): the backend's conv2d kernels, then the activation as
// Dense applies it.
#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "layers/kernel_bias.hpp"

namespace glia {

namespace {

std::string list_str(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

// An option with one positive value per spatial axis (empty: all 1).
std::vector<int64_t> per_axis(std::vector<int64_t> v, size_t rank, const std::string& what) {
  if (v.empty()) v.assign(rank, 1);
  if (v.size() != rank)
    throw Error(what + ": expected " + std::to_string(rank) + " value" + (rank > 1 ? "s" : "") +
                ", got " + list_str(v));
  for (int64_t d : v)
    if (d <= 0) throw Error(what + ": expected positive values, got " + list_str(v));
  return v;
}

bool any_above_one(const std::vector<int64_t>& v) {
  for (int64_t d : v)
    if (d > 1) return true;
  return false;
}

}  // namespace

Conv::Conv(const char* class_name, int64_t filters, std::vector<int64_t> kernel_size,
           ConvOptions options)
    : Layer(options.name.empty() ? unique_layer_name(snake(class_name)) : options.name),
      filters_(filters),
      kernel_size_(std::move(kernel_size)),
      options_(std::move(options)),
      act_(ActivationSpec::parse(options_.activation)) {
  const std::string what = std::string(class_name) + " '" + name() + "'";
  const size_t rank = std::string(class_name) == "Conv1D" ? 1 : 2;
  if (filters <= 0)
    throw Error(what + ": filters must be positive, got " + std::to_string(filters));
  if (kernel_size_.empty()) throw Error(what + ": kernel_size is empty");
  kernel_size_ = per_axis(kernel_size_, rank, what + " kernel_size");
  options_.strides = per_axis(options_.strides, rank, what + " strides");
  options_.dilation_rate = per_axis(options_.dilation_rate, rank, what + " dilation_rate");
  if (any_above_one(options_.strides) && any_above_one(options_.dilation_rate))
    throw Error(what + ": strides > 1 together with dilation_rate > 1 is not supported (strides " +
                list_str(options_.strides) + ", dilation_rate " + list_str(options_.dilation_rate) +
                ")");
  if (options_.padding == "valid") {
    padding_ = ConvPadding::valid;
  } else if (options_.padding == "same") {
    padding_ = ConvPadding::same;
  } else if (options_.padding == "causal" && rank == 1) {
    padding_ = ConvPadding::causal;
  } else {
    throw Error(what + ": padding '" + options_.padding + "' is not supported (expected " +
                (rank == 1 ? "valid, same or causal)" : "valid or same)"));
  }
  options_.kernel_constraint.check_rank(static_cast<int>(rank) + 2, what + " kernel_constraint");
  options_.bias_constraint.check_rank(1, what + " bias_constraint");
}

std::string Conv::snake(const char* class_name) {
  return std::string(class_name) == "Conv1D" ? "conv1d" : "conv2d";
}

Shape Conv::build(const std::vector<Shape>& input_shapes, Rng& rng) {
  const Shape& in = input_shapes.at(0);
  const size_t rank = kernel_size_.size();
  if (in.size() != rank + 1)
    throw Error(class_name() + " '" + name() + "' needs inputs shaped " +
                (rank == 1 ? "(batch, steps, channels)" : "(batch, height, width, channels)") +
                " (channels_last), got " + shape_str(in, true));
  ConvGeometry g;
  g.batch = 1;
  g.in_h = rank == 1 ? 1 : in[0];
  g.in_w = in[rank - 1];
  g.in_c = in[rank];
  g.kernel_h = rank == 1 ? 1 : kernel_size_[0];
  g.kernel_w = kernel_size_[rank - 1];
  g.out_c = filters_;
  g.stride_h = rank == 1 ? 1 : options_.strides[0];
  g.stride_w = options_.strides[rank - 1];
  g.dilation_h = rank == 1 ? 1 : options_.dilation_rate[0];
  g.dilation_w = options_.dilation_rate[rank - 1];
  try {
    per_sample_ = with_padding(g, padding_);
  } catch (const Error& e) {
    throw Error(class_name() + " '" + name() + "' on input " + shape_str(in, true) + ": " +
                e.what());
  }
  Shape kshape = kernel_size_;
  kshape.push_back(g.in_c);
  kshape.push_back(filters_);
  // Gradients are allocated by the first backward pass (as Dense's).
  kernel_ = {name() + "/kernel", Tensor(kshape), Tensor()};
  if (options_.use_bias) bias_ = {name() + "/bias", Tensor({filters_}), Tensor()};
  initialize(rng);
  if (rank == 1) return {per_sample_.out_w, filters_};
  return {per_sample_.out_h, per_sample_.out_w, filters_};
}

void Conv::initialize(Rng& rng) {
  glia::initialize(kernel_.value, options_.kernel_initializer, rng);
  if (options_.use_bias) glia::initialize(bias_.value, options_.bias_initializer, rng);
}

std::vector<Variable*> Conv::variables() {
  if (options_.use_bias) return {&kernel_, &bias_};
  return {&kernel_};
}

ConvGeometry Conv::geometry(int64_t batch) const {
  ConvGeometry g = per_sample_;
  g.batch = batch;
  g.bf16 = dtype_policy() == DTypePolicy::mixed_bfloat16;
  return g;
}

void Conv::forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const Tensor& x = *inputs[0];
  const ConvGeometry g = geometry(x.dim(0));
  Shape out_shape = {g.batch};
  out_shape.insert(out_shape.end(), output_shape().begin(), output_shape().end());
  output.resize(out_shape);
  const bool keep_preact = !act_.backward_from_output() && ctx.training;
  Tensor& z = keep_preact ? preact_ : output;
  if (keep_preact) preact_.resize(out_shape);
  const float* xin = x.data();
  const float* kin = kernel_.value.data();
  if (g.bf16 && !ctx.backend.native_bf16()) {  // rounded here for backends without bf16 kernels
    xin = kernel_bias::rounded_bf16(ctx.backend, x, x_bf16_);
    kin = kernel_bias::rounded_bf16(ctx.backend, kernel_.value, kernel_bf16_);
  }
  ctx.backend.conv2d_forward(g, xin, kin, options_.use_bias ? bias_.value.data() : nullptr,
                             z.data());
  if (act_.kind != ActivationKind::linear || keep_preact)
    ctx.backend.bias_activation(z.data(), nullptr, output.data(), output.rows(), filters_, act_);
  if (options_.activity_regularizer.active()) last_output_ = output;  // shares the storage
}

void Conv::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs,
                    const Tensor& output, Tensor& dout, std::span<Tensor* const> dinputs) {
  const Tensor& x = *inputs[0];
  const ConvGeometry g = geometry(x.dim(0));
  Backend& be = ctx.backend;
  kernel_bias::add_activity_gradient(ctx, options_, output, dout);
  // dz = dL/d(pre-activation), in place in dout.
  if (!ctx.grad_is_logits && act_.kind != ActivationKind::linear)
    be.activation_backward(preact_.data(), output.data(), dout.data(), dout.data(), output.rows(),
                           filters_, act_);
  // mixed_bfloat16 on a backend without bf16 kernels: the operands rounded here, the input and
  // kernel as the forward rounded them.
  const bool round_here = g.bf16 && !be.native_bf16();
  const float* dz = round_here ? kernel_bias::rounded_bf16(be, dout, dout_bf16_) : dout.data();
  // Under mixed_bfloat16 the bias gradient sums the float32 dz, as Dense's does (the kernels
  // would sum the rounded one).
  if (trainable()) {  // a frozen layer's weights get no gradient
    const float* xin = round_here ? kernel_bias::rounded_bf16(be, x, x_bf16_) : x.data();
    if (!kernel_.grad.defined()) kernel_.grad = Tensor(kernel_.value.shape());
    if (options_.use_bias && !bias_.grad.defined()) bias_.grad = Tensor(bias_.value.shape());
    const bool bias_here = g.bf16 && options_.use_bias;
    be.conv2d_backward_weights(g, xin, dz, kernel_.grad.data(),
                               options_.use_bias && !bias_here ? bias_.grad.data() : nullptr);
    if (bias_here)
      be.column_sum(dout.data(), bias_.grad.data(), dout.size() / filters_, filters_, 0.0f);
    kernel_bias::add_penalty_gradients(ctx, options_, kernel_, bias_);
  }
  if (!dinputs.empty() && dinputs[0]) {
    Tensor& dx = *dinputs[0];
    dx.resize(x.shape());
    const float* kin = round_here ? kernel_bias::rounded_bf16(be, kernel_.value, kernel_bf16_)
                                  : kernel_.value.data();
    be.conv2d_backward_data(g, dz, kin, dx.data());
  }
}

double Conv::regularization_loss(Backend& backend) {
  return kernel_bias::regularization_loss(backend, options_, kernel_.value, bias_.value,
                                          last_output_, trainable());
}

bool Conv::has_regularization() const {
  return kernel_bias::has_regularization(options_);
}

void Conv::apply_constraints(Backend& backend) {
  kernel_bias::apply_constraints(backend, options_, kernel_.value, bias_.value);
}

Conv2D::Conv2D(int64_t filters, std::vector<int64_t> kernel_size, ConvOptions options)
    : Conv("Conv2D", filters, std::move(kernel_size), std::move(options)) {}

Conv1D::Conv1D(int64_t filters, std::vector<int64_t> kernel_size, ConvOptions options)
    : Conv("Conv1D", filters, std::move(kernel_size), std::move(options)) {}

}  // namespace glia
