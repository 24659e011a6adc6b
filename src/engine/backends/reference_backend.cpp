#include "backends/reference_backend.hpp"

#include <algorithm>
#include <cmath>

#include "backends/loss_rows.hpp"
#include "backends/scalar_math.hpp"

namespace glia {

using detail::gelu;
using detail::gelu_grad;
using detail::sigmoid;

void ReferenceBackend::gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                            const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                            float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        float av = ta ? a[p * lda + i] : a[i * lda + p];
        float bv = tb ? b[j * ldb + p] : b[p * ldb + j];
        acc += static_cast<double>(av) * bv;
      }
      float prev = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
      c[i * ldc + j] = static_cast<float>(alpha * acc) + prev;
    }
  }
}

void ReferenceBackend::column_sum(const float* dy, float* db, int64_t rows, int64_t cols,
                                  float beta) {
  for (int64_t c = 0; c < cols; ++c) {
    double s = 0;
    for (int64_t r = 0; r < rows; ++r) s += dy[r * cols + c];
    db[c] = static_cast<float>(s) + (beta == 0.0f ? 0.0f : beta * db[c]);
  }
}

void ReferenceBackend::bias_activation(const float* x, const float* bias, float* y, int64_t rows,
                                       int64_t cols, ActivationSpec act) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    for (int64_t c = 0; c < cols; ++c) {
      float v = xr[c] + (bias ? bias[c] : 0.0f);
      switch (act.kind) {
        case ActivationKind::relu:
          v = v > 0 ? v : 0;
          break;
        case ActivationKind::sigmoid:
          v = sigmoid(v);
          break;
        case ActivationKind::tanh:
          v = std::tanh(v);
          break;
        case ActivationKind::gelu:
          v = gelu(v);
          break;
        case ActivationKind::leaky_relu:
          v = v > 0 ? v : act.negative_slope * v;
          break;
        default:
          break;
      }
      yr[c] = v;
    }
    if (act.kind == ActivationKind::softmax) {
      float mx = yr[0];
      for (int64_t c = 1; c < cols; ++c) mx = std::max(mx, yr[c]);
      double sum = 0;
      for (int64_t c = 0; c < cols; ++c) sum += (yr[c] = std::exp(yr[c] - mx));
      for (int64_t c = 0; c < cols; ++c) yr[c] = static_cast<float>(yr[c] / sum);
    }
  }
}

void ReferenceBackend::activation_backward(const float* x, const float* y, const float* dy,
                                           float* dx, int64_t rows, int64_t cols,
                                           ActivationSpec act) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    if (act.kind == ActivationKind::softmax) {
      double dot = 0;
      for (int64_t c = 0; c < cols; ++c) dot += static_cast<double>(dyr[c]) * yr[c];
      for (int64_t c = 0; c < cols; ++c) dxr[c] = static_cast<float>(yr[c] * (dyr[c] - dot));
      continue;
    }
    for (int64_t c = 0; c < cols; ++c) {
      float g = 1.0f;
      switch (act.kind) {
        case ActivationKind::relu:
          g = yr[c] > 0 ? 1.0f : 0.0f;
          break;
        case ActivationKind::sigmoid:
          g = yr[c] * (1.0f - yr[c]);
          break;
        case ActivationKind::tanh:
          g = 1.0f - yr[c] * yr[c];
          break;
        case ActivationKind::gelu:
          g = gelu_grad(x[r * cols + c]);
          break;
        case ActivationKind::leaky_relu:
          g = yr[c] > 0 ? 1.0f : act.negative_slope;
          break;
        default:
          break;
      }
      dxr[c] = dyr[c] * g;
    }
  }
}

void ReferenceBackend::add(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void ReferenceBackend::mul(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

void ReferenceBackend::axpy(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void ReferenceBackend::copy_columns(const float* src, int64_t rows, int64_t src_cols, float* dst,
                                    int64_t dst_cols, int64_t col_offset) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < src_cols; ++c)
      dst[r * dst_cols + col_offset + c] = src[r * src_cols + c];
}

void ReferenceBackend::slice_columns(const float* src, int64_t rows, int64_t src_cols,
                                     int64_t col_offset, float* dst, int64_t dst_cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < dst_cols; ++c)
      dst[r * dst_cols + c] = src[r * src_cols + col_offset + c];
}

void ReferenceBackend::dropout_mask(uint64_t seed, uint64_t offset, float rate, float* scale,
                                    int64_t n) {
  const float keep = 1.0f / (1.0f - rate);
  for (int64_t i = 0; i < n; ++i)
    scale[i] = detail::hash_uniform(seed, offset + i) < rate ? 0.0f : keep;
}

double ReferenceBackend::sum_squares(const float* x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

double ReferenceBackend::sum_abs(const float* x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::fabs(x[i]);
  return s;
}

void ReferenceBackend::l1l2_grad(const float* w, float* g, int64_t n, float l1, float l2) {
  for (int64_t i = 0; i < n; ++i) {
    float sign = w[i] > 0 ? 1.0f : (w[i] < 0 ? -1.0f : 0.0f);
    g[i] += l1 * sign + 2.0f * l2 * w[i];
  }
}

void ReferenceBackend::scale_clip(float* x, int64_t n, float scale, float lo, float hi) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::clamp(x[i] * scale, lo, hi);
}

double ReferenceBackend::loss_sum(LossKind kind, const float* y_true, const float* y_pred,
                                  int64_t rows, int64_t cols, const LossParams& p) {
  const int64_t tcols = kind == LossKind::sparse_categorical_crossentropy ? 1 : cols;
  double s = 0;
  for (int64_t r = 0; r < rows; ++r)
    s += detail::row_loss(kind, y_true + r * tcols, y_pred + r * cols, cols, p);
  return s;
}

void ReferenceBackend::loss_grad(LossKind kind, const float* y_true, const float* y_pred,
                                 float* grad, int64_t rows, int64_t cols, const LossParams& p,
                                 float scale) {
  const int64_t tcols = kind == LossKind::sparse_categorical_crossentropy ? 1 : cols;
  for (int64_t r = 0; r < rows; ++r)
    detail::row_grad(kind, y_true + r * tcols, y_pred + r * cols, grad + r * cols, cols, p, scale);
}

void ReferenceBackend::rmsprop_update(float* w, const float* g, float* rms, float* mom, float* avg,
                                      int64_t n, float lr, float rho, float momentum, float eps) {
  for (int64_t i = 0; i < n; ++i) {
    rms[i] = rho * rms[i] + (1.0f - rho) * g[i] * g[i];
    float denom = rms[i];
    if (avg) {
      avg[i] = rho * avg[i] + (1.0f - rho) * g[i];
      denom -= avg[i] * avg[i];
    }
    float inc = lr * g[i] / std::sqrt(denom + eps);
    if (mom) {
      mom[i] = momentum * mom[i] + inc;
      w[i] -= mom[i];
    } else {
      w[i] -= inc;
    }
  }
}

void ReferenceBackend::adam_update(float* w, const float* g, float* m, float* v, float* vhat,
                                   int64_t n, float alpha, float beta1, float beta2, float eps) {
  for (int64_t i = 0; i < n; ++i) {
    m[i] += (g[i] - m[i]) * (1.0f - beta1);
    v[i] += (g[i] * g[i] - v[i]) * (1.0f - beta2);
    float vv = v[i];
    if (vhat) vv = vhat[i] = std::max(vhat[i], v[i]);
    w[i] -= m[i] * alpha / (std::sqrt(vv) + eps);
  }
}

void ReferenceBackend::sgd_update(float* w, const float* g, float* mom, int64_t n, float lr,
                                  float momentum, bool nesterov) {
  for (int64_t i = 0; i < n; ++i) {
    if (!mom) {
      w[i] -= lr * g[i];
      continue;
    }
    mom[i] = momentum * mom[i] - lr * g[i];
    w[i] += nesterov ? momentum * mom[i] - lr * g[i] : mom[i];
  }
}

}  // namespace glia
