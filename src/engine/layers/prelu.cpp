// PReLU: relu(x) - alpha relu(-x), alpha trainable and shared along chosen axes. Written with
// backend kernels only: alpha is broadcast to one value per feature with a GEMM against a 0/1
// matrix (when axes are shared) and over the batch with a GEMM against ones.
#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia {

PReLU::PReLU(PReLUOptions options)
    : Layer(options.name.empty() ? unique_layer_name("p_re_lu") : options.name),
      options_(std::move(options)) {}

Shape PReLU::build(const std::vector<Shape>& input_shapes, Rng& rng) {
  const Shape& in = input_shapes.at(0);
  if (in.empty()) throw Error("PReLU '" + name() + "' needs an input with a feature axis");
  Shape param = in;
  for (int a : options_.shared_axes) {
    if (a < 1 || a > static_cast<int>(in.size()))
      throw Error("PReLU '" + name() + "': shared axis " + std::to_string(a) +
                  " is not an axis of a sample of shape " + shape_str(in, true) + " (expected 1.." +
                  std::to_string(in.size()) + ")");
    param[a - 1] = 1;
  }
  options_.alpha_constraint.check_rank(static_cast<int>(param.size()),
                                       "PReLU '" + name() + "' alpha_constraint");
  cols_ = shape_numel(in);
  alpha_ = {name() + "/alpha", Tensor(param), Tensor()};
  const int64_t m = shape_numel(param);
  if (m != cols_) {
    // expand_[p, c] = 1 where feature c takes alpha p.
    expand_ = Tensor({m, cols_});
    std::vector<int64_t> index(in.size(), 0);
    for (int64_t c = 0; c < cols_; ++c) {
      int64_t p = 0;
      for (size_t d = 0; d < in.size(); ++d) p = p * param[d] + (param[d] == 1 ? 0 : index[d]);
      expand_.data()[p * cols_ + c] = 1.0f;
      for (size_t d = in.size(); d-- > 0;) {  // next multi-index, last axis fastest
        if (++index[d] < in[d]) break;
        index[d] = 0;
      }
    }
  }
  initialize(rng);
  return in;
}

void PReLU::initialize(Rng& rng) {
  glia::initialize(alpha_.value, options_.alpha_initializer, rng);
}

void PReLU::expand_alpha(Backend& be) {
  if (!expand_.defined()) {
    alpha_full_ = alpha_.value;  // already one value per feature (shares the storage)
    return;
  }
  alpha_full_.resize({cols_});
  const int64_t m = alpha_.value.size();
  be.gemm(false, false, 1, cols_, m, 1.0f, alpha_.value.data(), m, expand_.data(), cols_, 0.0f,
          alpha_full_.data(), cols_);
}

void PReLU::forward(ForwardContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  Backend& be = ctx.backend;
  const Tensor& x = *inputs[0];
  const int64_t rows = x.dim(0), n = x.size();
  output.resize(x.shape());
  expand_alpha(be);
  if (ones_.size() < rows) {
    be.synchronize();
    ones_ = Tensor({rows});
    ones_.fill(1.0f);
  }
  alpha_rows_.resize({rows, cols_});
  be.gemm(false, false, rows, cols_, 1, 1.0f, ones_.data(), 1, alpha_full_.data(), cols_, 0.0f,
          alpha_rows_.data(), cols_);
  pos_.resize({rows, cols_});
  neg_.resize({rows, cols_});
  be.bias_activation(x.data(), nullptr, pos_.data(), 1, n, ActivationSpec::parse("relu"));
  be.copy_columns(x.data(), 1, n, neg_.data(), n, 0);
  be.axpy(-1.0f, pos_.data(), neg_.data(), n);  // min(x, 0)
  be.mul(alpha_rows_.data(), neg_.data(), output.data(), n);
  be.add(pos_.data(), output.data(), output.data(), n);
}

void PReLU::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs,
                     const Tensor& /*output*/, Tensor& dout, std::span<Tensor* const> dinputs) {
  Backend& be = ctx.backend;
  const Tensor& x = *inputs[0];
  const int64_t rows = x.dim(0), n = x.size(), m = alpha_.value.size();
  scratch_.resize({rows, cols_});
  if (trainable()) {  // d/dalpha = Σ over the batch of dy ⊙ min(x, 0), over the shared axes
    if (!alpha_.grad.defined()) alpha_.grad = Tensor(alpha_.value.shape());
    be.mul(dout.data(), neg_.data(), scratch_.data(), n);
    if (!expand_.defined()) {
      be.column_sum(scratch_.data(), alpha_.grad.data(), rows, cols_, 0.0f);
    } else {
      grad_full_.resize({cols_});
      be.column_sum(scratch_.data(), grad_full_.data(), rows, cols_, 0.0f);
      be.gemm(false, true, 1, m, cols_, 1.0f, grad_full_.data(), cols_, expand_.data(), cols_, 0.0f,
              alpha_.grad.data(), m);
    }
    const Regularizer& r = options_.alpha_regularizer;
    Regularizer{r.l1 * ctx.penalty_scale, r.l2 * ctx.penalty_scale}.add_gradient(be, alpha_.value,
                                                                                 alpha_.grad);
  }
  if (dinputs.empty() || !dinputs[0]) return;
  // dx = dy (x > 0) + alpha dy (x <= 0).
  Tensor& dx = *dinputs[0];
  dx.resize(x.shape());
  be.activation_backward(nullptr, pos_.data(), dout.data(), dx.data(), 1, n,
                         ActivationSpec::parse("relu"));
  be.copy_columns(dout.data(), 1, n, scratch_.data(), n, 0);
  be.axpy(-1.0f, dx.data(), scratch_.data(), n);
  be.mul(scratch_.data(), alpha_rows_.data(), scratch_.data(), n);
  be.add(dx.data(), scratch_.data(), dx.data(), n);
}

double PReLU::regularization_loss(Backend& backend) {
  if (!trainable()) return 0.0;  // Keras 3 sums the penalties of trainable weights only
  return options_.alpha_regularizer.penalty(backend, alpha_.value);
}

void PReLU::apply_constraints(Backend& backend) {
  options_.alpha_constraint.apply(backend, alpha_.value);
}

}  // namespace glia
