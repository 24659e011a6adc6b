#include "backends/cpu_backend.hpp"

#include <dnnl.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "backends/cpu_parallel.hpp"
#include "backends/loss_rows.hpp"
#include "backends/scalar_math.hpp"
#include "glia/error.hpp"
#include "glia/runtime.hpp"

namespace glia {

using cpu_parallel::kParallelGrain;
using cpu_parallel::parallel_chunks;
using cpu_parallel::parallel_sum;

CpuBackend::CpuBackend() {
  ensure_runtime();
}

void CpuBackend::gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                      const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                      float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // BLAS semantics: C = beta * C (oneDNN would leave C untouched)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  dnnl_status_t st =
      dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (st != dnnl_success)
    throw Error("oneDNN sgemm failed with status " + std::to_string(static_cast<int>(st)) + " (m=" +
                std::to_string(m) + " n=" + std::to_string(n) + " k=" + std::to_string(k) + ")");
}

void CpuBackend::column_sum(const float* dy, float* db, int64_t rows, int64_t cols, float beta) {
  // Row-major accumulation keeps the inner loop contiguous and vectorised; the row order is fixed.
  if (beta == 0.0f) {
    std::fill(db, db + cols, 0.0f);
  } else {
    for (int64_t c = 0; c < cols; ++c) db[c] *= beta;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = dy + r * cols;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c) db[c] += row[c];
  }
}

void CpuBackend::bias_activation(const float* x, const float* bias, float* y, int64_t rows,
                                 int64_t cols, ActivationSpec act) {
  // relu with arguments (the ReLU layer's max_value, ...) takes the general formula.
  const bool plain_relu = act.kind == ActivationKind::relu && act.has_default_arguments();
  auto body = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      switch (act.kind) {
        case ActivationKind::relu:
          if (!plain_relu) {
            for (int64_t c = 0; c < cols; ++c)
              yr[c] = formulas::activate(act, xr[c] + (bias ? bias[c] : 0.0f));
            break;
          }
#pragma omp simd
          for (int64_t c = 0; c < cols; ++c)
            yr[c] = std::max(xr[c] + (bias ? bias[c] : 0.0f), 0.0f);
          break;
        case ActivationKind::linear:
        case ActivationKind::softmax:
        case ActivationKind::log_softmax:
        case ActivationKind::sparsemax:
#pragma omp simd
          for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] + (bias ? bias[c] : 0.0f);
          break;
        case ActivationKind::leaky_relu:
          for (int64_t c = 0; c < cols; ++c) {
            float v = xr[c] + (bias ? bias[c] : 0.0f);
            yr[c] = v >= 0 ? v : act.negative_slope * v;
          }
          break;
        case ActivationKind::sigmoid:
          for (int64_t c = 0; c < cols; ++c)
            yr[c] = detail::sigmoid(xr[c] + (bias ? bias[c] : 0.0f));
          break;
        case ActivationKind::tanh:
          for (int64_t c = 0; c < cols; ++c) yr[c] = std::tanh(xr[c] + (bias ? bias[c] : 0.0f));
          break;
        case ActivationKind::gelu:
          if (!act.approximate) {
            for (int64_t c = 0; c < cols; ++c)
              yr[c] = detail::gelu(xr[c] + (bias ? bias[c] : 0.0f));
            break;
          }
          [[fallthrough]];
        default:
          for (int64_t c = 0; c < cols; ++c)
            yr[c] = formulas::activate(act, xr[c] + (bias ? bias[c] : 0.0f));
          break;
      }
      if (act.kind == ActivationKind::log_softmax) formulas::log_softmax_row(yr, yr, cols);
      if (act.kind == ActivationKind::sparsemax) formulas::sparsemax_row(yr, yr, cols);
      if (act.kind == ActivationKind::softmax) {
        float mx = yr[0];
        for (int64_t c = 1; c < cols; ++c) mx = std::max(mx, yr[c]);
        double sum = 0;
        for (int64_t c = 0; c < cols; ++c) sum += (yr[c] = std::exp(yr[c] - mx));
        const float inv = static_cast<float>(1.0 / sum);
        for (int64_t c = 0; c < cols; ++c) yr[c] *= inv;
      }
    }
  };
  if (rows * cols < kParallelGrain) return body(0, rows);
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) body(r, r + 1);
}

void CpuBackend::activation_backward(const float* x, const float* y, const float* dy, float* dx,
                                     int64_t rows, int64_t cols, ActivationSpec act) {
  if (act.row_wise()) {
    auto rows_body = [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float *yr = y + r * cols, *dyr = dy + r * cols;
        float* dxr = dx + r * cols;
        if (act.kind == ActivationKind::softmax) {
          double dot = 0;
          for (int64_t c = 0; c < cols; ++c) dot += static_cast<double>(dyr[c]) * yr[c];
          for (int64_t c = 0; c < cols; ++c) dxr[c] = static_cast<float>(yr[c] * (dyr[c] - dot));
        } else if (act.kind == ActivationKind::log_softmax) {
          formulas::log_softmax_row_grad(yr, dyr, dxr, cols);
        } else {
          formulas::sparsemax_row_grad(x + r * cols, dyr, dxr, cols);
        }
      }
    };
    // sparsemax costs O(cols²) per row: worth threads sooner than the O(cols) ones.
    const int64_t work = act.kind == ActivationKind::sparsemax ? rows * cols * cols : rows * cols;
    if (act.kind == ActivationKind::softmax || rows < 2 || work < kParallelGrain)
      return rows_body(0, rows);
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) rows_body(r, r + 1);
    return;
  }
  const bool plain_relu = act.kind == ActivationKind::relu && act.has_default_arguments();
  const bool leaky_from_y = act.kind == ActivationKind::leaky_relu && act.negative_slope >= 0.0f;
  parallel_chunks(rows * cols, [&](int64_t b, int64_t e) {
    if (plain_relu) {
#pragma omp simd
      for (int64_t i = b; i < e; ++i) {
        const float d = dy[i];  // unconditional load: lets GCC vectorise the select
        dx[i] = y[i] > 0.0f ? d : 0.0f;
      }
      return;
    }
    if (leaky_from_y) {
#pragma omp simd
      for (int64_t i = b; i < e; ++i) {
        const float d = dy[i];
        dx[i] = y[i] > 0.0f ? d : act.negative_slope * d;
      }
      return;
    }
    switch (act.kind) {
      case ActivationKind::sigmoid:
#pragma omp simd
        for (int64_t i = b; i < e; ++i) dx[i] = dy[i] * (y[i] * (1.0f - y[i]));
        break;
      case ActivationKind::tanh:
#pragma omp simd
        for (int64_t i = b; i < e; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
      case ActivationKind::linear:
        if (dx != dy) std::copy(dy + b, dy + e, dx + b);
        break;
      default:  // the rest need the pre-activation x
        for (int64_t i = b; i < e; ++i) dx[i] = formulas::activation_grad(act, x[i], y[i], dy[i]);
        break;
    }
  });
}

void CpuBackend::add(const float* a, const float* b, float* out, int64_t n) {
  parallel_chunks(n, [&](int64_t s, int64_t e) {
#pragma omp simd
    for (int64_t i = s; i < e; ++i) out[i] = a[i] + b[i];
  });
}

void CpuBackend::mul(const float* a, const float* b, float* out, int64_t n) {
  parallel_chunks(n, [&](int64_t s, int64_t e) {
#pragma omp simd
    for (int64_t i = s; i < e; ++i) out[i] = a[i] * b[i];
  });
}

void CpuBackend::axpy(float alpha, const float* x, float* y, int64_t n) {
  parallel_chunks(n, [&](int64_t s, int64_t e) {
#pragma omp simd
    for (int64_t i = s; i < e; ++i) y[i] += alpha * x[i];
  });
}

void CpuBackend::copy_columns(const float* src, int64_t rows, int64_t src_cols, float* dst,
                              int64_t dst_cols, int64_t col_offset) {
  for (int64_t r = 0; r < rows; ++r)
    std::copy(src + r * src_cols, src + (r + 1) * src_cols, dst + r * dst_cols + col_offset);
}

void CpuBackend::slice_columns(const float* src, int64_t rows, int64_t src_cols, int64_t col_offset,
                               float* dst, int64_t dst_cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* s = src + r * src_cols + col_offset;
    std::copy(s, s + dst_cols, dst + r * dst_cols);
  }
}

void CpuBackend::dropout_mask(uint64_t seed, uint64_t offset, float rate, float* scale, int64_t n) {
  const float keep = 1.0f / (1.0f - rate);
  parallel_chunks(n, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i)
      scale[i] = detail::hash_uniform(seed, offset + i) < rate ? 0.0f : keep;
  });
}

double CpuBackend::sum_squares(const float* x, int64_t n) {
  return parallel_sum(n, [&](int64_t s, int64_t e) {
    double acc = 0;
#pragma omp simd reduction(+ : acc)
    for (int64_t i = s; i < e; ++i) acc += static_cast<double>(x[i]) * x[i];
    return acc;
  });
}

double CpuBackend::sum_abs(const float* x, int64_t n) {
  return parallel_sum(n, [&](int64_t s, int64_t e) {
    double acc = 0;
#pragma omp simd reduction(+ : acc)
    for (int64_t i = s; i < e; ++i) acc += std::fabs(x[i]);
    return acc;
  });
}

void CpuBackend::l1l2_grad(const float* w, float* g, int64_t n, float l1, float l2) {
  parallel_chunks(n, [&](int64_t s, int64_t e) {
#pragma omp simd
    for (int64_t i = s; i < e; ++i) g[i] = formulas::l1l2_element(w[i], g[i], l1, l2);
  });
}

void CpuBackend::scale_clip(float* x, int64_t n, float scale, float lo, float hi) {
  parallel_chunks(n, [&](int64_t s, int64_t e) {
#pragma omp simd
    for (int64_t i = s; i < e; ++i) x[i] = std::min(std::max(x[i] * scale, lo), hi);
  });
}

double CpuBackend::loss_sum(LossKind kind, const float* y_true, const float* y_pred, int64_t rows,
                            int64_t cols, const LossParams& p) {
  const int64_t tcols = kind == LossKind::sparse_categorical_crossentropy ? 1 : cols;
  double s = 0;
  for (int64_t r = 0; r < rows; ++r)
    s += detail::row_loss(kind, y_true + r * tcols, y_pred + r * cols, cols, p);
  return s;
}

void CpuBackend::loss_grad(LossKind kind, const float* y_true, const float* y_pred, float* grad,
                           int64_t rows, int64_t cols, const LossParams& p, float scale) {
  const int64_t tcols = kind == LossKind::sparse_categorical_crossentropy ? 1 : cols;
  for (int64_t r = 0; r < rows; ++r)
    detail::row_grad(kind, y_true + r * tcols, y_pred + r * cols, grad + r * cols, cols, p, scale);
}

// The optimizer loops call the shared element formulas (formulas.hpp); the common cases pass
// constant null slot pointers so the inlined formula has no branch left and the loop vectorises.
void CpuBackend::rmsprop_update(float* w, const float* g, float* rms, float* mom, float* avg,
                                int64_t n, float lr, float rho, float momentum, float eps) {
  parallel_chunks(n, [&](int64_t s, int64_t e) {
    if (!mom && !avg) {
#pragma omp simd
      for (int64_t i = s; i < e; ++i)
        formulas::rmsprop_element(w[i], g[i], rms[i], nullptr, nullptr, lr, rho, momentum, eps);
      return;
    }
    for (int64_t i = s; i < e; ++i)
      formulas::rmsprop_element(w[i], g[i], rms[i], mom ? mom + i : nullptr,
                                avg ? avg + i : nullptr, lr, rho, momentum, eps);
  });
}

void CpuBackend::adam_update(float* w, const float* g, float* m, float* v, float* vhat, int64_t n,
                             float alpha, float beta1, float beta2, float eps) {
  parallel_chunks(n, [&](int64_t s, int64_t e) {
    if (!vhat) {
#pragma omp simd
      for (int64_t i = s; i < e; ++i)
        formulas::adam_element(w[i], g[i], m[i], v[i], nullptr, alpha, beta1, beta2, eps);
      return;
    }
    for (int64_t i = s; i < e; ++i)
      formulas::adam_element(w[i], g[i], m[i], v[i], vhat + i, alpha, beta1, beta2, eps);
  });
}

void CpuBackend::sgd_update(float* w, const float* g, float* mom, int64_t n, float lr,
                            float momentum, bool nesterov) {
  parallel_chunks(n, [&](int64_t s, int64_t e) {
    if (!mom) {
#pragma omp simd
      for (int64_t i = s; i < e; ++i)
        formulas::sgd_element(w[i], g[i], nullptr, lr, momentum, nesterov);
      return;
    }
#pragma omp simd
    for (int64_t i = s; i < e; ++i)
      formulas::sgd_element(w[i], g[i], mom + i, lr, momentum, nesterov);
  });
}

}  // namespace glia
