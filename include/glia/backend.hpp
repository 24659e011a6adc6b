// The compute backend: the narrow set of kernels every layer, loss and optimizer is written
// against. A backend is stateless apart from its configuration; new backends (GPU, bf16) add a
// subclass and register it, without touching layers.
//
// All matrices are row-major. Pointers address the backend's memory (host memory for the CPU
// and reference backends).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glia/activations.hpp"
#include "glia/backend_conv.hpp"
#include "glia/backend_norm.hpp"
#include "glia/backend_pool.hpp"
#include "glia/tensor.hpp"
// ---- shape (issue 16) ----
#include "glia/backend_shape.hpp"

namespace glia {

enum class LossKind {
  categorical_crossentropy,
  sparse_categorical_crossentropy,
  binary_crossentropy,
  mean_squared_error,
  mean_absolute_error,
};

struct LossParams {
  bool from_logits = false;
  float label_smoothing = 0.0f;
  /// y_pred holds softmax probabilities and the caller wants the gradient with respect to the
  /// logits that produced them (fused softmax + cross-entropy).
  bool fused_softmax = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  /// Waits until every kernel issued so far has finished (a no-op on the CPU). The model calls it
  /// before the host reads results and at the end of each training step.
  virtual void synchronize() {}

  // ---- linear algebra ----
  /// C = alpha * op(A) * op(B) + beta * C with op(A) m×k and op(B) k×n.
  virtual void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                    int64_t ldc) = 0;
  /// db[c] = beta * db[c] + sum over rows of dy[r, c].
  virtual void column_sum(const float* dy, float* db, int64_t rows, int64_t cols, float beta) = 0;

  // ---- activations ----
  /// y[r, c] = act(x[r, c] + bias[c]); bias may be null; x and y may alias.
  virtual void bias_activation(const float* x, const float* bias, float* y, int64_t rows,
                               int64_t cols, ActivationSpec act) = 0;
  /// dx = dL/dx given x (pre-activation; may be null when act.backward_from_output()), the
  /// output y and dy. dx may alias dy.
  virtual void activation_backward(const float* x, const float* y, const float* dy, float* dx,
                                   int64_t rows, int64_t cols, ActivationSpec act) = 0;

  // ---- element-wise ----
  /// out = a + b (out may alias a or b).
  virtual void add(const float* a, const float* b, float* out, int64_t n) = 0;
  /// out = a * b (out may alias a or b).
  virtual void mul(const float* a, const float* b, float* out, int64_t n) = 0;
  /// y += alpha * x.
  virtual void axpy(float alpha, const float* x, float* y, int64_t n) = 0;
  /// Copies a rows×src_cols block into columns [col_offset, col_offset+src_cols) of dst.
  virtual void copy_columns(const float* src, int64_t rows, int64_t src_cols, float* dst,
                            int64_t dst_cols, int64_t col_offset) = 0;
  /// Copies columns [col_offset, col_offset+dst_cols) of src (src_cols wide) into dst.
  virtual void slice_columns(const float* src, int64_t rows, int64_t src_cols, int64_t col_offset,
                             float* dst, int64_t dst_cols) = 0;
  /// Dropout scale mask: scale[i] = 0 with probability `rate`, else 1/(1-rate). Counter-based:
  /// element i draws from (seed, offset + i), so results do not depend on threading.
  virtual void dropout_mask(uint64_t seed, uint64_t offset, float rate, float* scale,
                            int64_t n) = 0;

  // ---- reductions used by regularizers and gradient clipping ----
  virtual double sum_squares(const float* x, int64_t n) = 0;
  virtual double sum_abs(const float* x, int64_t n) = 0;
  /// g += l1 * sign(w) + 2 * l2 * w.
  virtual void l1l2_grad(const float* w, float* g, int64_t n, float l1, float l2) = 0;
  /// x = clamp(x * scale, lo, hi).
  virtual void scale_clip(float* x, int64_t n, float scale, float lo, float hi) = 0;

  // ---- losses (rows samples × cols outputs) ----
  /// Sum over rows of the per-sample loss (each the mean over the last axis for MSE/MAE/BCE).
  /// For the sparse loss y_true holds one class index per row (rows×1).
  virtual double loss_sum(LossKind kind, const float* y_true, const float* y_pred, int64_t rows,
                          int64_t cols, const LossParams& p) = 0;
  /// grad = scale * d(loss_sum)/d(y_pred), or d/d(logits) when p.fused_softmax.
  virtual void loss_grad(LossKind kind, const float* y_true, const float* y_pred, float* grad,
                         int64_t rows, int64_t cols, const LossParams& p, float scale) = 0;

  // ---- optimizer updates (Keras 3 formulas; see docs/optimizers.md) ----
  /// rms = rho*rms + (1-rho) g²; [avg = rho*avg + (1-rho) g]; inc = lr g / sqrt(rms [- avg²] +
  /// eps); momentum>0: mom = momentum*mom + inc, w -= mom; else w -= inc. avg/mom may be null.
  virtual void rmsprop_update(float* w, const float* g, float* rms, float* mom, float* avg,
                              int64_t n, float lr, float rho, float momentum, float eps) = 0;
  /// m += (g-m)(1-b1); v += (g²-v)(1-b2); [vhat = max(vhat, v)]; w -= alpha m / (sqrt(v|vhat)+eps).
  virtual void adam_update(float* w, const float* g, float* m, float* v, float* vhat, int64_t n,
                           float alpha, float beta1, float beta2, float eps) = 0;
  /// No momentum (mom null): w -= lr g. Else mom = momentum*mom - lr g; w += mom, or with
  /// nesterov w += momentum*mom - lr g.
  virtual void sgd_update(float* w, const float* g, float* mom, int64_t n, float lr, float momentum,
                          bool nesterov) = 0;

  // ---- conv (issue 16) ----
  /// Keras' Conv2D (a cross-correlation): y (N, out_h, out_w, out_c) = x (N, in_h, in_w, in_c)
  /// convolved with kernel (kh, kw, in_c, out_c) + bias (out_c; may be null).
  virtual void conv2d_forward(const ConvGeometry& g, const float* x, const float* kernel,
                              const float* bias, float* y) = 0;
  /// dx (N, in_h, in_w, in_c) = dL/dx given dy (N, out_h, out_w, out_c); overwrites dx.
  virtual void conv2d_backward_data(const ConvGeometry& g, const float* dy, const float* kernel,
                                    float* dx) = 0;
  /// dkernel (kh, kw, in_c, out_c) = dL/dkernel, and dbias (out_c; may be null) = the sum of dy
  /// over N, H, W; both overwritten.
  virtual void conv2d_backward_weights(const ConvGeometry& g, const float* x, const float* dy,
                                       float* dkernel, float* dbias) = 0;
  // ---- pool (issue 16) ----
  /// y = pool(x): x (batch, in_h, in_w, channels) to y (batch, out_h, out_w, channels), both
  /// channels_last. workspace: null (inference), or g.output_size() floats the backend fills
  /// with what pool_backward needs for max pooling (contents are the backend's own).
  virtual void pool_forward(const PoolGeometry& g, const float* x, float* y, float* workspace) = 0;
  /// dx (overwritten, g.input_size()) = dL/dx given dy (g.output_size()); for max pooling the
  /// workspace of the training forward (unused, may be null, for average pooling). A max's
  /// gradient goes to one maximum of its window (the first in row-major order on ties).
  virtual void pool_backward(const PoolGeometry& g, const float* workspace, const float* dy,
                             float* dx) = 0;
  // ---- norm (issue 16) ----
  // x, y, dy, dx: rows×channels. gamma (scale) and beta (shift) have `channels` values; null
  // means 1 and 0 (Keras' scale=False / center=False). Variances are biased (divided by the
  // count), as Keras' ops.moments computes them; x̂ = (x - mean) / sqrt(variance + epsilon).
  /// Training-mode batch normalization: mean[c] and variance[c] of column c over the rows,
  /// written out (for backward and the moving statistics), and y = gamma x̂ + beta. With g.relu,
  /// y = max(gamma x̂ + beta, 0) and `workspace` (rows·channels floats; null without g.relu) is
  /// filled with what batch_norm_backward needs to mask the gradient (contents are the
  /// backend's own).
  virtual void batch_norm_forward_training(const NormGeometry& g, const float* x,
                                           const float* gamma, const float* beta, float* y,
                                           float* mean, float* variance, float* workspace) = 0;
  /// Inference-mode batch normalization with the given (moving) mean and variance (with g.relu,
  /// followed by max(·, 0)).
  virtual void batch_norm_forward_inference(const NormGeometry& g, const float* x,
                                            const float* gamma, const float* beta,
                                            const float* mean, const float* variance, float* y) = 0;
  /// Backward of batch_norm_forward_training (mean and variance as it wrote them, and with
  /// g.relu its workspace; dy is then the gradient of the ReLU's output): dx, and
  /// dgamma = Σ dy' x̂, dbeta = Σ dy' over the rows, dy' = dy times the ReLU's derivative
  /// (dx, dgamma, dbeta may each be null: not wanted).
  virtual void batch_norm_backward(const NormGeometry& g, const float* x, const float* dy,
                                   const float* gamma, const float* mean, const float* variance,
                                   const float* workspace, float* dx, float* dgamma,
                                   float* dbeta) = 0;
  /// True when batch_norm_* with g.relu (g as it is, relu set) computes exactly what the
  /// kernels without it followed by this backend's ReLU compute (NaN and infinities included),
  /// and no slower; otherwise the caller applies the ReLU itself (the CPU backend declines
  /// where oneDNN would switch to a slower kernel).
  /// (False by default: a backend says so where its kernels honour g.relu.)
  virtual bool batch_norm_fuses_relu(const NormGeometry& g) { return false; }
  /// Layer normalization: each row normalized over its channels, y = gamma x̂ + beta; the rows'
  /// mean and variance written to mean/variance (rows values each) unless they are null.
  virtual void layer_norm_forward(const NormGeometry& g, const float* x, const float* gamma,
                                  const float* beta, float* y, float* mean, float* variance) = 0;
  /// Backward of layer_norm_forward (its mean and variance): dx, and dgamma = Σ dy x̂,
  /// dbeta = Σ dy over the rows (dx, dgamma, dbeta may each be null).
  virtual void layer_norm_backward(const NormGeometry& g, const float* x, const float* dy,
                                   const float* gamma, const float* mean, const float* variance,
                                   float* dx, float* dgamma, float* dbeta) = 0;
  // ---- shape (issue 16) ----
  /// y = x zero-padded as g says: (N, H, W, C) → (N, top+H+bottom, left+W+right, C).
  virtual void pad2d(const PadGeometry& g, const float* x, float* y) = 0;
  /// dx = the (N, H, W, C) interior of dy (N, top+H+bottom, left+W+right, C): pad2d's backward.
  virtual void pad2d_backward(const PadGeometry& g, const float* dy, float* dx) = 0;
  /// y = x * scale + offset over n elements (x and y may alias).
  virtual void affine(const float* x, float* y, int64_t n, float scale, float offset) = 0;
  // ---- mixed precision (issue 16) ----
  /// y[i] = x[i] rounded to the nearest bfloat16 (ties to even; NaN stays NaN, infinities stay),
  /// held in a float; x and y may alias.
  virtual void round_bf16(const float* x, float* y, int64_t n) = 0;
  /// gemm on bfloat16 operands: op(A) and op(B) rounded to bfloat16 (round_bf16), the products
  /// summed in float32 into C (Keras' mixed_bfloat16 compute for Dense). The default rounds
  /// copies of A and B in backend memory and calls gemm; backends with bfloat16 hardware
  /// override it.
  virtual void gemm_bf16(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                         const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                         float* c, int64_t ldc);
  /// True when bfloat16 compute runs on hardware made for it (AMX or AVX512-BF16 on the CPU), so
  /// mixed_bfloat16 is faster than float32 here; false where it is emulated.
  virtual bool native_bf16() const { return false; }
};

/// How a backend that lives outside the core library (e.g. CUDA, linked into the programs that
/// want it) makes itself known: register_backend() from a static initializer.
struct BackendFactory {
  std::function<bool()> available;                 // e.g. "a GPU is present"
  std::function<std::shared_ptr<Backend>()> make;  // called once, on first use
  std::optional<TensorAllocator> allocator;        // installed by use_backend()
};
void register_backend(const std::string& name, BackendFactory factory);

/// "cpu" (oneDNN, multithreaded) and "reference" (plain loops), plus registered backends that
/// are available here ("cuda" in programs linked with glia_cuda, where a GPU is present).
std::vector<std::string> backend_names();
/// Shared instance of the named backend; throws glia::Error for an unknown name.
std::shared_ptr<Backend> get_backend(const std::string& name);
/// The backend used when none is chosen: "cpu" unless use_backend() picked another.
std::shared_ptr<Backend> default_backend();
/// Makes `name` the default backend for models created or compiled afterwards, and installs its
/// tensor allocator (call it first thing, before building models). Throws for unknown names.
void use_backend(const std::string& name);

}  // namespace glia
