// The reference backend's convolutions: direct loops over (kh, kw, in_c, out_c) kernels on
// channels_last data, summed in double.
#include <vector>

#include "backends/reference_backend.hpp"

namespace glia {

namespace {

// Calls fn(n, oy, ox, iy, ix, ky, kx) for every tap of the kernel that lands inside the input.
template <class Fn>
void for_each_tap(const ConvGeometry& g, Fn&& fn) {
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t oy = 0; oy < g.out_h; ++oy)
      for (int64_t ox = 0; ox < g.out_w; ++ox)
        for (int64_t ky = 0; ky < g.kernel_h; ++ky) {
          const int64_t iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
          if (iy < 0 || iy >= g.in_h) continue;
          for (int64_t kx = 0; kx < g.kernel_w; ++kx) {
            const int64_t ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
            if (ix < 0 || ix >= g.in_w) continue;
            fn(n, oy, ox, iy, ix, ky, kx);
          }
        }
}

int64_t x_at(const ConvGeometry& g, int64_t n, int64_t iy, int64_t ix) {
  return ((n * g.in_h + iy) * g.in_w + ix) * g.in_c;
}
int64_t y_at(const ConvGeometry& g, int64_t n, int64_t oy, int64_t ox) {
  return ((n * g.out_h + oy) * g.out_w + ox) * g.out_c;
}
int64_t k_at(const ConvGeometry& g, int64_t ky, int64_t kx) {
  return (ky * g.kernel_w + kx) * g.in_c * g.out_c;
}

void store(const std::vector<double>& acc, float* out) {
  for (size_t i = 0; i < acc.size(); ++i) out[i] = static_cast<float>(acc[i]);
}

}  // namespace

void ReferenceBackend::conv2d_forward(const ConvGeometry& g, const float* x, const float* kernel,
                                      const float* bias, float* y) {
  check_conv_geometry(g);
  std::vector<double> acc(static_cast<size_t>(g.output_size()), 0.0);
  for_each_tap(
      g, [&](int64_t n, int64_t oy, int64_t ox, int64_t iy, int64_t ix, int64_t ky, int64_t kx) {
        const float* xp = x + x_at(g, n, iy, ix);
        const float* kp = kernel + k_at(g, ky, kx);
        double* yp = acc.data() + y_at(g, n, oy, ox);
        for (int64_t ci = 0; ci < g.in_c; ++ci)
          for (int64_t co = 0; co < g.out_c; ++co)
            yp[co] += static_cast<double>(xp[ci]) * kp[ci * g.out_c + co];
      });
  if (bias)
    for (size_t i = 0; i < acc.size(); ++i) acc[i] += bias[static_cast<int64_t>(i) % g.out_c];
  store(acc, y);
}

void ReferenceBackend::conv2d_backward_data(const ConvGeometry& g, const float* dy,
                                            const float* kernel, float* dx) {
  check_conv_geometry(g);
  std::vector<double> acc(static_cast<size_t>(g.input_size()), 0.0);
  for_each_tap(
      g, [&](int64_t n, int64_t oy, int64_t ox, int64_t iy, int64_t ix, int64_t ky, int64_t kx) {
        const float* dyp = dy + y_at(g, n, oy, ox);
        const float* kp = kernel + k_at(g, ky, kx);
        double* dxp = acc.data() + x_at(g, n, iy, ix);
        for (int64_t ci = 0; ci < g.in_c; ++ci)
          for (int64_t co = 0; co < g.out_c; ++co)
            dxp[ci] += static_cast<double>(dyp[co]) * kp[ci * g.out_c + co];
      });
  store(acc, dx);
}

void ReferenceBackend::conv2d_backward_weights(const ConvGeometry& g, const float* x,
                                               const float* dy, float* dkernel, float* dbias) {
  check_conv_geometry(g);
  std::vector<double> acc(static_cast<size_t>(g.kernel_size()), 0.0);
  for_each_tap(
      g, [&](int64_t n, int64_t oy, int64_t ox, int64_t iy, int64_t ix, int64_t ky, int64_t kx) {
        const float* xp = x + x_at(g, n, iy, ix);
        const float* dyp = dy + y_at(g, n, oy, ox);
        double* kp = acc.data() + k_at(g, ky, kx);
        for (int64_t ci = 0; ci < g.in_c; ++ci)
          for (int64_t co = 0; co < g.out_c; ++co)
            kp[ci * g.out_c + co] += static_cast<double>(xp[ci]) * dyp[co];
      });
  store(acc, dkernel);
  if (!dbias) return;
  std::vector<double> db(static_cast<size_t>(g.out_c), 0.0);
  const int64_t rows = g.batch * g.out_h * g.out_w;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t co = 0; co < g.out_c; ++co) db[co] += dy[r * g.out_c + co];
  store(db, dbias);
}

}  // namespace glia
