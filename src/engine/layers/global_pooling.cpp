// The global pooling layers: one window over every spatial position, per channel, on the same
// backend kernels as the windowed pools.
#include "glia/error.hpp"
#include "glia/layers_pool.hpp"

namespace glia {

GlobalPooling::GlobalPooling(PoolKind kind, int spatial_rank, GlobalPoolingOptions options,
                             const char* default_name)
    : PoolingBase(kind, spatial_rank,
                  options.name.empty() ? unique_layer_name(default_name) : options.name),
      keepdims_(options.keepdims) {}

Shape GlobalPooling::build(const std::vector<Shape>& input_shapes, Rng&) {
  const std::vector<int64_t> image = image_of(input_shapes.at(0));
  PoolGeometry& g = geometry_;
  g.kind = kind();
  g.in_h = image[0], g.in_w = image[1], g.channels = image[2];
  g.pool_h = g.in_h, g.pool_w = g.in_w, g.stride_h = g.stride_w = 1;
  g.pad_top = g.pad_bottom = g.pad_left = g.pad_right = 0;
  g.out_h = g.out_w = 1;
  if (!keepdims_)
    out_shape_ = {g.channels};
  else
    out_shape_ = spatial_rank() == 1 ? Shape{1, g.channels} : Shape{1, 1, g.channels};
  return out_shape_;
}

GlobalAveragePooling2D::GlobalAveragePooling2D(GlobalPoolingOptions options)
    : GlobalPooling(PoolKind::average, 2, std::move(options), "global_average_pooling2d") {}
GlobalMaxPooling2D::GlobalMaxPooling2D(GlobalPoolingOptions options)
    : GlobalPooling(PoolKind::max, 2, std::move(options), "global_max_pooling2d") {}
GlobalAveragePooling1D::GlobalAveragePooling1D(GlobalPoolingOptions options)
    : GlobalPooling(PoolKind::average, 1, std::move(options), "global_average_pooling1d") {}
GlobalMaxPooling1D::GlobalMaxPooling1D(GlobalPoolingOptions options)
    : GlobalPooling(PoolKind::max, 1, std::move(options), "global_max_pooling1d") {}

}  // namespace glia
