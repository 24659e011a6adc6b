// The CPU backend's shape kernels (backend_shape.hpp) on oneDNN: the zero padding is a reorder of
// the input into the interior of the output (a submemory view of it) after its border is zeroed,
// its backward the reorder of that interior out; the affine map is oneDNN's eltwise_linear.
#include <algorithm>

#include "backends/cpu_backend.hpp"
#include "backends/dnnl_context.hpp"

namespace glia {

namespace {

using dnnl::memory;

// (N, H, W, C) images as oneDNN sees them: logical dims N, C, H, W in nhwc order.
memory::desc images(int64_t n, int64_t h, int64_t w, int64_t c) {
  return memory::desc({n, c, h, w}, memory::data_type::f32, memory::format_tag::nhwc);
}

// The padded tensor's interior, where the input goes: a view into the padded buffer.
memory::desc interior(const PadGeometry& g) {
  return images(g.batch, g.out_height(), g.out_width(), g.channels)
      .submemory_desc({g.batch, g.channels, g.height, g.width}, {0, 0, g.top, g.left});
}

void reorder(const memory::desc& src_md, const float* src, const memory::desc& dst_md, float* dst) {
  dnnl::engine& eng = dnnl_context::engine();
  memory src_mem(src_md, eng, const_cast<float*>(src));
  memory dst_mem(dst_md, eng, dst);
  dnnl::stream s = dnnl_context::stream();
  dnnl::reorder(src_mem, dst_mem).execute(s, src_mem, dst_mem);
  s.wait();
}

// Zeroes the border of the padded output (the interior is written by the reorder).
void zero_border(const PadGeometry& g, float* y) {
  const int64_t oh = g.out_height(), ow = g.out_width(), c = g.channels;
  const int64_t row = ow * c;
#pragma omp parallel for schedule(static) if (g.out_size() >= 65536)
  for (int64_t n = 0; n < g.batch; ++n) {
    float* img = y + n * oh * row;
    std::fill_n(img, g.top * row, 0.0f);
    std::fill_n(img + (g.top + g.height) * row, g.bottom * row, 0.0f);
    for (int64_t i = g.top; i < g.top + g.height; ++i) {
      std::fill_n(img + i * row, g.left * c, 0.0f);
      std::fill_n(img + i * row + (g.left + g.width) * c, g.right * c, 0.0f);
    }
  }
}

}  // namespace

void CpuBackend::pad2d(const PadGeometry& g, const float* x, float* y) {
  if (g.out_size() == 0) return;
  zero_border(g, y);
  if (g.in_size() == 0) return;
  reorder(images(g.batch, g.height, g.width, g.channels), x, interior(g), y);
}

void CpuBackend::pad2d_backward(const PadGeometry& g, const float* dy, float* dx) {
  if (g.in_size() == 0) return;
  reorder(interior(g), dy, images(g.batch, g.height, g.width, g.channels), dx);
}

void CpuBackend::affine(const float* x, float* y, int64_t n, float scale, float offset) {
  if (n <= 0) return;
  dnnl::engine& eng = dnnl_context::engine();
  const memory::desc md({n}, memory::data_type::f32, memory::format_tag::a);
  const dnnl::eltwise_forward::primitive_desc pd(
      {dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_linear, md, scale, offset},
      eng);
  memory src(md, eng, const_cast<float*>(x)), dst(md, eng, y);
  dnnl::stream s = dnnl_context::stream();
  dnnl::eltwise_forward(pd).execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
  s.wait();
}

}  // namespace glia
