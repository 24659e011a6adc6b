// The reference backend: plain single-threaded loops, written for obviousness. Tests compare
// every other backend against it.
#pragma once

#include "glia/backend.hpp"

namespace glia {

class ReferenceBackend : public Backend {
 public:
  std::string name() const override { return "reference"; }
  void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
            const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
            int64_t ldc) override;
  void column_sum(const float* dy, float* db, int64_t rows, int64_t cols, float beta) override;
  void bias_activation(const float* x, const float* bias, float* y, int64_t rows, int64_t cols,
                       ActivationSpec act) override;
  void activation_backward(const float* x, const float* y, const float* dy, float* dx, int64_t rows,
                           int64_t cols, ActivationSpec act) override;
  void add(const float* a, const float* b, float* out, int64_t n) override;
  void mul(const float* a, const float* b, float* out, int64_t n) override;
  void axpy(float alpha, const float* x, float* y, int64_t n) override;
  void copy_columns(const float* src, int64_t rows, int64_t src_cols, float* dst, int64_t dst_cols,
                    int64_t col_offset) override;
  void slice_columns(const float* src, int64_t rows, int64_t src_cols, int64_t col_offset,
                     float* dst, int64_t dst_cols) override;
  void dropout_mask(uint64_t seed, uint64_t offset, float rate, float* scale, int64_t n) override;
  double sum_squares(const float* x, int64_t n) override;
  double sum_abs(const float* x, int64_t n) override;
  void l1l2_grad(const float* w, float* g, int64_t n, float l1, float l2) override;
  void scale_clip(float* x, int64_t n, float scale, float lo, float hi) override;
  double loss_sum(LossKind kind, const float* y_true, const float* y_pred, int64_t rows,
                  int64_t cols, const LossParams& p) override;
  void loss_grad(LossKind kind, const float* y_true, const float* y_pred, float* grad, int64_t rows,
                 int64_t cols, const LossParams& p, float scale) override;
  void rmsprop_update(float* w, const float* g, float* rms, float* mom, float* avg, int64_t n,
                      float lr, float rho, float momentum, float eps) override;
  void adam_update(float* w, const float* g, float* m, float* v, float* vhat, int64_t n,
                   float alpha, float beta1, float beta2, float eps) override;
  void sgd_update(float* w, const float* g, float* mom, int64_t n, float lr, float momentum,
                  bool nesterov) override;
  // ---- conv (issue 16) ----
  void conv2d_forward(const ConvGeometry& g, const float* x, const float* kernel, const float* bias,
                      float* y) override;
  void conv2d_backward_data(const ConvGeometry& g, const float* dy, const float* kernel,
                            float* dx) override;
  void conv2d_backward_weights(const ConvGeometry& g, const float* x, const float* dy,
                               float* dkernel, float* dbias) override;

  // ---- pool (issue 16) ----
  void pool_forward(const PoolGeometry& g, const float* x, float* y, float* workspace) override;
  void pool_backward(const PoolGeometry& g, const float* workspace, const float* dy,
                     float* dx) override;

  // ---- norm (issue 16) ----
  void batch_norm_forward_training(const NormGeometry& g, const float* x, const float* gamma,
                                   const float* beta, float* y, float* mean, float* variance,
                                   float* workspace) override;
  bool batch_norm_fuses_relu(const NormGeometry&) override { return true; }
  void batch_norm_forward_inference(const NormGeometry& g, const float* x, const float* gamma,
                                    const float* beta, const float* mean, const float* variance,
                                    float* y) override;
  void batch_norm_backward(const NormGeometry& g, const float* x, const float* dy,
                           const float* gamma, const float* mean, const float* variance,
                           const float* workspace, float* dx, float* dgamma, float* dbeta) override;
  void layer_norm_forward(const NormGeometry& g, const float* x, const float* gamma,
                          const float* beta, float* y, float* mean, float* variance) override;
  void layer_norm_backward(const NormGeometry& g, const float* x, const float* dy,
                           const float* gamma, const float* mean, const float* variance, float* dx,
                           float* dgamma, float* dbeta) override;

  // ---- shape (issue 16) ----
  void pad2d(const PadGeometry& g, const float* x, float* y) override;
  void pad2d_backward(const PadGeometry& g, const float* dy, float* dx) override;
  void affine(const float* x, float* y, int64_t n, float scale, float offset) override;
  // ---- mixed precision (issue 16) ----
  void round_bf16(const float* x, float* y, int64_t n) override;
};

}  // namespace glia
