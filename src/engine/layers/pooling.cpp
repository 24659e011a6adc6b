// The windowed pooling layers (MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D)
// and what every pooling layer shares: the forward and backward on the backend's pool kernels.
#include <algorithm>
#include <cctype>

#include "glia/error.hpp"
#include "glia/layers_pool.hpp"

namespace glia {

// ---- PoolingBase ----

PoolingBase::PoolingBase(PoolKind kind, int spatial_rank, std::string name)
    : Layer(std::move(name)), kind_(kind), spatial_rank_(spatial_rank) {}

std::vector<int64_t> PoolingBase::image_of(const Shape& input) const {
  if (static_cast<int>(input.size()) != spatial_rank_ + 1)
    throw Error(
        class_name() + " '" + name() + "': expected an input of rank " +
        std::to_string(spatial_rank_ + 2) +
        (spatial_rank_ == 2 ? " (batch, height, width, channels)" : " (batch, steps, channels)") +
        ", got " + shape_str(input, true));
  for (int64_t d : input)
    if (d <= 0)
      throw Error(class_name() + " '" + name() + "': expected positive input dimensions, got " +
                  shape_str(input, true));
  if (spatial_rank_ == 1) return {1, input[0], input[1]};
  return {input[0], input[1], input[2]};
}

void PoolingBase::forward(ForwardContext& ctx, std::span<const Tensor* const> inputs,
                          Tensor& output) {
  const Tensor& x = *inputs[0];
  PoolGeometry g = geometry_;
  g.batch = x.rank() > 0 ? x.dim(0) : 0;
  if (x.size() != g.input_size())
    throw Error(class_name() + " '" + name() + "': input " + shape_str(x.shape()) +
                " does not match the built input shape");
  Shape shape = {g.batch};
  shape.insert(shape.end(), out_shape_.begin(), out_shape_.end());
  output.resize(shape);
  const bool keep = ctx.training && kind_ == PoolKind::max;
  if (keep) workspace_.resize({g.output_size()});
  ctx.backend.pool_forward(g, x.data(), output.data(), keep ? workspace_.data() : nullptr);
  have_workspace_ = keep;
}

void PoolingBase::backward(BackwardContext& ctx, std::span<const Tensor* const> inputs,
                           const Tensor&, Tensor& dout, std::span<Tensor* const> dinputs) {
  if (dinputs.empty() || !dinputs[0]) return;
  const Tensor& x = *inputs[0];
  PoolGeometry g = geometry_;
  g.batch = x.dim(0);
  const bool max = kind_ == PoolKind::max;
  if (max && (!have_workspace_ || workspace_.size() != g.output_size()))
    throw Error(ErrorKind::Internal, class_name() + " '" + name() +
                                         "': backward without a training forward of this batch");
  Tensor& dx = *dinputs[0];
  dx.resize(x.shape());
  ctx.backend.pool_backward(g, max ? workspace_.data() : nullptr, dout.data(), dx.data());
}

// ---- Pooling ----

namespace {

/// One value per spatial axis: a single value is repeated; positive values only.
std::vector<int64_t> per_axis(std::vector<int64_t> v, int rank, const char* what,
                              const std::string& layer) {
  if (v.empty()) v.assign(rank, 2);
  if (v.size() == 1) v.assign(rank, v[0]);
  if (static_cast<int>(v.size()) != rank)
    throw Error(layer + ": " + what + " needs " + std::to_string(rank) + " value" +
                (rank == 1 ? "" : "s") + ", got " + std::to_string(v.size()));
  for (int64_t d : v)
    if (d <= 0) throw Error(layer + ": " + what + " must be positive, got " + std::to_string(d));
  return v;
}

}  // namespace

Pooling::Pooling(PoolKind kind, int spatial_rank, PoolingOptions options, const char* cls,
                 const char* default_name)
    : PoolingBase(kind, spatial_rank,
                  options.name.empty() ? unique_layer_name(default_name) : options.name) {
  const std::string who = std::string(cls) + " '" + name() + "'";
  pool_size_ = per_axis(options.pool_size, spatial_rank, "pool_size", who);
  strides_ = options.strides.empty() ? pool_size_
                                     : per_axis(options.strides, spatial_rank, "strides", who);
  padding_ = options.padding;
  std::transform(padding_.begin(), padding_.end(), padding_.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (padding_ != "valid" && padding_ != "same")
    throw Error(who + ": padding must be \"valid\" or \"same\", got \"" + options.padding + "\"");
}

Shape Pooling::build(const std::vector<Shape>& input_shapes, Rng&) {
  const std::vector<int64_t> image = image_of(input_shapes.at(0));
  const int r = spatial_rank();
  // 1-D is 2-D with height 1, a window of height 1 and stride 1 along it.
  const int64_t ph = r == 1 ? 1 : pool_size_[0], pw = pool_size_[r - 1];
  const int64_t sh = r == 1 ? 1 : strides_[0], sw = strides_[r - 1];
  PoolGeometry& g = geometry_;
  g.kind = kind();
  g.in_h = image[0], g.in_w = image[1], g.channels = image[2];
  g.pool_h = ph, g.pool_w = pw, g.stride_h = sh, g.stride_w = sw;
  if (padding_ == "same") {  // as TensorFlow: out = ceil(in / stride), the odd pixel after
    g.out_h = (g.in_h + sh - 1) / sh, g.out_w = (g.in_w + sw - 1) / sw;
    const int64_t th = std::max<int64_t>((g.out_h - 1) * sh + ph - g.in_h, 0);
    const int64_t tw = std::max<int64_t>((g.out_w - 1) * sw + pw - g.in_w, 0);
    g.pad_top = th / 2, g.pad_bottom = th - th / 2, g.pad_left = tw / 2, g.pad_right = tw - tw / 2;
  } else {
    if (ph > g.in_h || pw > g.in_w)
      throw Error(class_name() + " '" + name() + "': pool_size is larger than the input " +
                  shape_str(input_shapes[0], true) + " with padding \"valid\"");
    g.out_h = (g.in_h - ph) / sh + 1, g.out_w = (g.in_w - pw) / sw + 1;
    g.pad_top = g.pad_bottom = g.pad_left = g.pad_right = 0;
  }
  out_shape_ = r == 1 ? Shape{g.out_w, g.channels} : Shape{g.out_h, g.out_w, g.channels};
  return out_shape_;
}

MaxPooling2D::MaxPooling2D(PoolingOptions options)
    : Pooling(PoolKind::max, 2, std::move(options), "MaxPooling2D", "max_pooling2d") {}
AveragePooling2D::AveragePooling2D(PoolingOptions options)
    : Pooling(PoolKind::average, 2, std::move(options), "AveragePooling2D", "average_pooling2d") {}
MaxPooling1D::MaxPooling1D(PoolingOptions options)
    : Pooling(PoolKind::max, 1, std::move(options), "MaxPooling1D", "max_pooling1d") {}
AveragePooling1D::AveragePooling1D(PoolingOptions options)
    : Pooling(PoolKind::average, 1, std::move(options), "AveragePooling1D", "average_pooling1d") {}

}  // namespace glia
