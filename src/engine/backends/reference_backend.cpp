#include "backends/reference_backend.hpp"

#include <algorithm>
#include <cmath>

#include "backends/loss_rows.hpp"
#include "backends/scalar_math.hpp"

namespace glia {

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
    for (int64_t c = 0; c < cols; ++c)
      yr[c] = formulas::activate(act, xr[c] + (bias ? bias[c] : 0.0f));
    if (act.kind == ActivationKind::softmax) {
      float mx = yr[0];
      for (int64_t c = 1; c < cols; ++c) mx = std::max(mx, yr[c]);
      double sum = 0;
      for (int64_t c = 0; c < cols; ++c) sum += (yr[c] = std::exp(yr[c] - mx));
      for (int64_t c = 0; c < cols; ++c) yr[c] = static_cast<float>(yr[c] / sum);
    } else if (act.kind == ActivationKind::log_softmax) {
      formulas::log_softmax_row(yr, yr, cols);
    } else if (act.kind == ActivationKind::sparsemax) {
      formulas::sparsemax_row(yr, yr, cols);
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
    if (act.kind == ActivationKind::log_softmax) {
      formulas::log_softmax_row_grad(yr, dyr, dxr, cols);
      continue;
    }
    if (act.kind == ActivationKind::sparsemax) {
      formulas::sparsemax_row_grad(x + r * cols, dyr, dxr, cols);
      continue;
    }
    for (int64_t c = 0; c < cols; ++c)
      dxr[c] = formulas::activation_grad(act, x ? x[r * cols + c] : 0.0f, yr[c], dyr[c]);
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
  for (int64_t i = 0; i < n; ++i) g[i] = formulas::l1l2_element(w[i], g[i], l1, l2);
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
  for (int64_t i = 0; i < n; ++i)
    formulas::rmsprop_element(w[i], g[i], rms[i], mom ? mom + i : nullptr, avg ? avg + i : nullptr,
                              lr, rho, momentum, eps);
}

void ReferenceBackend::adam_update(float* w, const float* g, float* m, float* v, float* vhat,
                                   int64_t n, float alpha, float beta1, float beta2, float eps) {
  for (int64_t i = 0; i < n; ++i)
    formulas::adam_element(w[i], g[i], m[i], v[i], vhat ? vhat + i : nullptr, alpha, beta1, beta2,
                           eps);
}

void ReferenceBackend::sgd_update(float* w, const float* g, float* mom, int64_t n, float lr,
                                  float momentum, bool nesterov) {
  for (int64_t i = 0; i < n; ++i)
    formulas::sgd_element(w[i], g[i], mom ? mom + i : nullptr, lr, momentum, nesterov);
}

}  // namespace glia
