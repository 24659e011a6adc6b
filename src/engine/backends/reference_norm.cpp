// The reference backend's normalization kernels: plain loops in double, written for obviousness.
#include <cmath>
#include <vector>

#include "backends/reference_backend.hpp"

namespace glia {

namespace {

float scale_of(const float* gamma, int64_t c) {
  return gamma ? gamma[c] : 1.0f;
}
float shift_of(const float* beta, int64_t c) {
  return beta ? beta[c] : 0.0f;
}
double inv_std(const float* variance, int64_t i, float epsilon) {
  return 1.0 / std::sqrt(static_cast<double>(variance[i]) + static_cast<double>(epsilon));
}

}  // namespace

void ReferenceBackend::batch_norm_forward_training(const NormGeometry& g, const float* x,
                                                   const float* gamma, const float* beta, float* y,
                                                   float* mean, float* variance, float* workspace) {
  const int64_t rows = g.rows, cols = g.channels;
  for (int64_t c = 0; c < cols; ++c) {
    double s = 0;
    for (int64_t r = 0; r < rows; ++r) s += x[r * cols + c];
    const double m = rows > 0 ? s / static_cast<double>(rows) : 0.0;
    double q = 0;
    for (int64_t r = 0; r < rows; ++r) q += (x[r * cols + c] - m) * (x[r * cols + c] - m);
    mean[c] = static_cast<float>(m);
    variance[c] = static_cast<float>(rows > 0 ? q / static_cast<double>(rows) : 0.0);
  }
  batch_norm_forward_inference(g, x, gamma, beta, mean, variance, y);
  if (g.relu)  // the ReLU's mask: 1 where it passed its input through
    for (int64_t i = 0; i < rows * cols; ++i) workspace[i] = y[i] > 0 ? 1.0f : 0.0f;
}

void ReferenceBackend::batch_norm_forward_inference(const NormGeometry& g, const float* x,
                                                    const float* gamma, const float* beta,
                                                    const float* mean, const float* variance,
                                                    float* y) {
  const int64_t rows = g.rows, cols = g.channels;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const double xhat =
          (x[r * cols + c] - static_cast<double>(mean[c])) * inv_std(variance, c, g.epsilon);
      const auto v = static_cast<float>(scale_of(gamma, c) * xhat + shift_of(beta, c));
      y[r * cols + c] = g.relu && !(v > 0) ? 0.0f : v;
    }
}

void ReferenceBackend::batch_norm_backward(const NormGeometry& g, const float* x, const float* dy,
                                           const float* gamma, const float* mean,
                                           const float* variance, const float* workspace, float* dx,
                                           float* dgamma, float* dbeta) {
  const int64_t rows = g.rows, cols = g.channels;
  const double n = static_cast<double>(rows);
  std::vector<float> masked;  // with a fused ReLU: dy times its derivative (1 or 0), as the
  if (g.relu) {               // ReLU layer's backward (an infinite dy times 0 is NaN there too)
    masked.resize(static_cast<size_t>(rows * cols));
    for (int64_t i = 0; i < rows * cols; ++i) masked[i] = dy[i] * workspace[i];
    dy = masked.data();
  }
  for (int64_t c = 0; c < cols; ++c) {
    const double rstd = inv_std(variance, c, g.epsilon), m = mean[c];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const double d = dy[r * cols + c];
      sum_dy += d;
      sum_dy_xhat += d * (x[r * cols + c] - m) * rstd;
    }
    if (dgamma) dgamma[c] = static_cast<float>(sum_dy_xhat);
    if (dbeta) dbeta[c] = static_cast<float>(sum_dy);
    if (!dx) continue;
    const double k = scale_of(gamma, c) * rstd / n;
    for (int64_t r = 0; r < rows; ++r) {
      const double xhat = (x[r * cols + c] - m) * rstd;
      dx[r * cols + c] =
          static_cast<float>(k * (n * dy[r * cols + c] - sum_dy - xhat * sum_dy_xhat));
    }
  }
}

void ReferenceBackend::layer_norm_forward(const NormGeometry& g, const float* x, const float* gamma,
                                          const float* beta, float* y, float* mean,
                                          float* variance) {
  const int64_t rows = g.rows, cols = g.channels;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    double s = 0;
    for (int64_t c = 0; c < cols; ++c) s += xr[c];
    const double m = s / static_cast<double>(cols);
    double q = 0;
    for (int64_t c = 0; c < cols; ++c) q += (xr[c] - m) * (xr[c] - m);
    const double v = q / static_cast<double>(cols);
    const double rstd = 1.0 / std::sqrt(v + static_cast<double>(g.epsilon));
    for (int64_t c = 0; c < cols; ++c)
      y[r * cols + c] =
          static_cast<float>(scale_of(gamma, c) * (xr[c] - m) * rstd + shift_of(beta, c));
    if (mean) mean[r] = static_cast<float>(m);
    if (variance) variance[r] = static_cast<float>(v);
  }
}

void ReferenceBackend::layer_norm_backward(const NormGeometry& g, const float* x, const float* dy,
                                           const float* gamma, const float* mean,
                                           const float* variance, float* dx, float* dgamma,
                                           float* dbeta) {
  const int64_t rows = g.rows, cols = g.channels;
  std::vector<double> dg(static_cast<size_t>(cols), 0.0), db(static_cast<size_t>(cols), 0.0);
  const double n = static_cast<double>(cols);
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    const double rstd = inv_std(variance, r, g.epsilon), m = mean[r];
    double sum_g = 0, sum_g_xhat = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const double xhat = (xr[c] - m) * rstd, gc = dyr[c] * scale_of(gamma, c);
      sum_g += gc;
      sum_g_xhat += gc * xhat;
      dg[static_cast<size_t>(c)] += dyr[c] * xhat;
      db[static_cast<size_t>(c)] += dyr[c];
    }
    if (!dx) continue;
    for (int64_t c = 0; c < cols; ++c) {
      const double xhat = (xr[c] - m) * rstd, gc = dyr[c] * scale_of(gamma, c);
      dx[r * cols + c] = static_cast<float>(rstd / n * (n * gc - sum_g - xhat * sum_g_xhat));
    }
  }
  for (int64_t c = 0; c < cols; ++c) {
    if (dgamma) dgamma[c] = static_cast<float>(dg[static_cast<size_t>(c)]);
    if (dbeta) dbeta[c] = static_cast<float>(db[static_cast<size_t>(c)]);
  }
}

}  // namespace glia
