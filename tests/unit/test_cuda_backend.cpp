// The CUDA backend beyond the op harness (test_backend_ops.cpp compares every op with the
// reference backend wherever "cuda" is registered).
//
// CudaMath runs everywhere: the device formulas in backends/cuda/formulas.hpp compile as plain
// host functions, and must agree with the host formulas they copy (the dropout hash bit for bit).
// CudaBackend needs a GPU and skips itself unless backend_names() lists "cuda": the managed
// allocator, staging of plain host memory, errors, and training the seed MLP against the CPU
// backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/formulas.hpp"
#include "backends/loss_rows.hpp"
#include "backends/reference_backend.hpp"
#include "backends/scalar_math.hpp"
#include "glia/backend.hpp"
#include "glia/callbacks.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "glia/model.hpp"
#include "glia/optimizers.hpp"
#include "harness.hpp"

namespace glia {
namespace {

using test::all_close;
using test::bit_equal;
using test::random_floats;

// ---- CudaMath: the shared host/device formulas (formulas.hpp), evaluated on the host ----

// Dropout masks must not change between releases: a run re-trained from the same seed must
// draw the same masks on every backend.
TEST(CudaMath, DropoutHashIsPinned) {
  struct Pinned {
    uint64_t seed, index;
    float value;
  };
  for (Pinned p : {Pinned{0, 0, 0.883310795f}, Pinned{0, 1, 0.431527972f},
                   Pinned{0, 12345, 0.680595994f}, Pinned{0xC0FFEE, 0, 0.791047454f},
                   Pinned{0xC0FFEE, 1, 0.925359428f}, Pinned{0xC0FFEE, 12345, 0.725497603f}})
    EXPECT_EQ(formulas::hash_uniform(p.seed, p.index), p.value) << p.seed << " " << p.index;
  double sum = 0;
  for (uint64_t i = 0; i < 200000; ++i) sum += formulas::hash_uniform(7, i);
  EXPECT_NEAR(sum / 200000, 0.5, 0.005);
}

// The shared activations against double-precision definitions.
TEST(CudaMath, ActivationsMatchDoublePrecision) {
  Rng rng(5);
  const auto x = random_floats(rng, 100000, -6, 6);
  for (float v : x) {
    const double d = v, cdf = 0.5 * (1.0 + std::erf(d / std::sqrt(2.0)));
    const double pdf = std::exp(-0.5 * d * d) / std::sqrt(2.0 * M_PI);
    ASSERT_NEAR(formulas::sigmoid(v), 1.0 / (1.0 + std::exp(-d)), 2e-7) << v;
    ASSERT_NEAR(formulas::gelu(v), d * cdf, 1e-7 + 3e-8 * std::fabs(d) + 2e-7 * std::fabs(d * cdf))
        << v;
    ASSERT_NEAR(formulas::gelu_grad(v), cdf + d * pdf, 3e-7) << v;
  }
}

TEST(CudaMath, ActivationGradientsMatchReference) {
  ReferenceBackend ref;
  Rng rng(6);
  const int64_t n = 4096;
  const auto x = random_floats(rng, n, -4, 4), dy = random_floats(rng, n);
  for (const std::string& name : ActivationSpec::names()) {
    const ActivationSpec act = ActivationSpec::parse(name);
    if (act.row_wise()) continue;
    std::vector<float> y(n), want(n), got(n), got_y(n);
    ref.bias_activation(x.data(), nullptr, y.data(), 1, n, act);
    ref.activation_backward(x.data(), y.data(), dy.data(), want.data(), 1, n, act);
    for (int64_t i = 0; i < n; ++i) {
      got_y[i] = formulas::activate(act, x[i]);
      got[i] = formulas::activation_grad(act, x[i], y[i], dy[i]);
    }
    // libglia may be built with FMA contraction (GLIA_NATIVE), the device code never contracts:
    // a product feeding an addition may differ in its last bit.
    EXPECT_TRUE(all_close(got_y.data(), y.data(), n, 1e-6, 1e-7)) << name;
    EXPECT_TRUE(all_close(got.data(), want.data(), n, 1e-6, 1e-7)) << name;
  }
}

TEST(CudaMath, SparseLabelOutsideTheClassesIsReported) {
  const float labels[] = {-1.0f, 10.0f, 12.5f, NAN};
  const int64_t want[] = {-1, 10, 12, -1};
  std::vector<float> pred(10, 0.1f), grad(10);
  for (int i = 0; i < 4; ++i) {
    int64_t bad = 0;
    formulas::row_loss(LossKind::sparse_categorical_crossentropy, &labels[i], pred.data(), 10, {},
                       &bad);
    EXPECT_EQ(bad, want[i]);
    bad = 0;
    formulas::row_grad(LossKind::sparse_categorical_crossentropy, &labels[i], pred.data(),
                       grad.data(), 10, {}, 1.0f, &bad);
    EXPECT_EQ(bad, want[i]);
  }
}

// Bit-identical where libglia is built without FMA contraction (GLIA_NATIVE=OFF); within 1 ulp
// otherwise.
TEST(CudaMath, OptimizerElementsMatchReference) {
  ReferenceBackend ref;
  Rng rng(7);
  const int64_t n = 1000;
  const auto w0 = random_floats(rng, n), g = random_floats(rng, n, -2, 2);
  const auto s0 = random_floats(rng, n, 0, 1), s1 = random_floats(rng, n, -1, 1);
  for (int variant = 0; variant < 4; ++variant) {  // RMSprop: plain, momentum, centered, both
    const bool with_mom = variant & 1, centered = variant & 2;
    std::vector<float> w = w0, rms = s0, mom = s1, avg = s1;
    ref.rmsprop_update(w.data(), g.data(), rms.data(), with_mom ? mom.data() : nullptr,
                       centered ? avg.data() : nullptr, n, 0.01f, 0.9f, 0.5f, 1e-7f);
    std::vector<float> w2 = w0, rms2 = s0, mom2 = s1, avg2 = s1;
    for (int64_t i = 0; i < n; ++i)
      formulas::rmsprop_element(w2[i], g[i], rms2[i], with_mom ? &mom2[i] : nullptr,
                                centered ? &avg2[i] : nullptr, 0.01f, 0.9f, 0.5f, 1e-7f);
    // Centered: rms - avg² cancels, which amplifies a contracted rounding.
    EXPECT_TRUE(all_close(w2, w, 1e-5, 1e-7)) << "rmsprop variant " << variant;
    EXPECT_TRUE(all_close(rms2, rms, 1e-6, 1e-7)) << "rmsprop variant " << variant;
  }
  for (bool amsgrad : {false, true}) {
    std::vector<float> w = w0, m = s1, v = s0, vhat = s0;
    ref.adam_update(w.data(), g.data(), m.data(), v.data(), amsgrad ? vhat.data() : nullptr, n,
                    0.001f, 0.9f, 0.999f, 1e-7f);
    std::vector<float> w2 = w0, m2 = s1, v2 = s0, vhat2 = s0;
    for (int64_t i = 0; i < n; ++i)
      formulas::adam_element(w2[i], g[i], m2[i], v2[i], amsgrad ? &vhat2[i] : nullptr, 0.001f, 0.9f,
                             0.999f, 1e-7f);
    EXPECT_TRUE(all_close(w2, w, 1e-6, 1e-7)) << "adam amsgrad " << amsgrad;
  }
  for (int variant = 0; variant < 3; ++variant) {  // SGD: plain, momentum, nesterov
    std::vector<float> w = w0, mom = s1;
    ref.sgd_update(w.data(), g.data(), variant ? mom.data() : nullptr, n, 0.01f, 0.9f,
                   variant == 2);
    std::vector<float> w2 = w0, mom2 = s1;
    for (int64_t i = 0; i < n; ++i)
      formulas::sgd_element(w2[i], g[i], variant ? &mom2[i] : nullptr, 0.01f, 0.9f, variant == 2);
    EXPECT_TRUE(all_close(w2, w, 1e-6, 1e-7)) << "sgd variant " << variant;
  }
  std::vector<float> gw = g, gg = g;
  ref.l1l2_grad(w0.data(), gw.data(), n, 0.01f, 0.02f);
  for (int64_t i = 0; i < n; ++i) gg[i] = formulas::l1l2_element(w0[i], gg[i], 0.01f, 0.02f);
  EXPECT_TRUE(all_close(gg, gw, 1e-6, 1e-7)) << "l1l2";
}

// ---- CudaBackend: on a GPU ----

bool has_cuda() {
  const auto names = backend_names();
  return std::find(names.begin(), names.end(), "cuda") != names.end();
}

// Makes "cuda" the default backend (and its allocator current) for the test's lifetime.
class CudaBackendTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!has_cuda()) GTEST_SKIP() << "no CUDA device (backend_names() has no \"cuda\")";
    previous_ = default_backend()->name();
    use_backend("cuda");
    be_ = get_backend("cuda");
  }
  void TearDown() override {
    if (!previous_.empty()) use_backend(previous_);
  }
  std::shared_ptr<Backend> be_;
  std::string previous_;
};

TEST_F(CudaBackendTest, ManagedAllocatorGivesZeroedSharedMemory) {
  EXPECT_STREQ(tensor_allocator().name, "cuda_managed");
  for (int64_t n : {1, 1000, 1 << 22}) {
    Tensor t({n});
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(t[i], 0.0f) << i;
    t.fill(2.0f);
    Tensor u = Tensor::full({n}, 0.5f);
    be_->mul(t.data(), u.data(), t.data(), n);  // the device reads and writes host-filled memory
    be_->synchronize();
    for (int64_t i = 0; i < n; i += 997) ASSERT_EQ(t[i], 1.0f) << i;
  }
}

TEST_F(CudaBackendTest, SeedGemmMatchesReference) {
  ReferenceBackend ref;
  Rng rng(11);
  // The 784 -> 300 layer: forward x·W (batch 50) and the weight gradient xᵀ·dz.
  const Tensor x = test::random_tensor(rng, {50, 784}), w = test::random_tensor(rng, {784, 300});
  const Tensor dz = test::random_tensor(rng, {50, 300});
  Tensor y({50, 300}), gw({784, 300});
  be_->gemm(false, false, 50, 300, 784, 1.0f, x.data(), 784, w.data(), 300, 0.0f, y.data(), 300);
  be_->gemm(true, false, 784, 300, 50, 1.0f, x.data(), 784, dz.data(), 300, 0.0f, gw.data(), 300);
  be_->synchronize();
  std::vector<float> want_y(50 * 300), want_gw(784 * 300);
  ref.gemm(false, false, 50, 300, 784, 1.0f, x.data(), 784, w.data(), 300, 0.0f, want_y.data(),
           300);
  ref.gemm(true, false, 784, 300, 50, 1.0f, x.data(), 784, dz.data(), 300, 0.0f, want_gw.data(),
           300);
  EXPECT_TRUE(all_close(y.to_vector(), want_y, 1e-4, 1e-4));
  EXPECT_TRUE(all_close(gw.to_vector(), want_gw, 1e-4, 1e-5));
}

TEST_F(CudaBackendTest, PlainHostMemoryIsStaged) {
  // std::vector memory is not CUDA memory: the backend copies it in and the results back.
  ReferenceBackend ref;
  Rng rng(12);
  const int64_t rows = 33, cols = 70;
  auto a = random_floats(rng, rows * cols), b = random_floats(rng, rows * cols);
  std::vector<float> got(rows * cols), want(rows * cols);
  be_->add(a.data(), b.data(), got.data(), rows * cols);
  ref.add(a.data(), b.data(), want.data(), rows * cols);
  EXPECT_TRUE(bit_equal(got.data(), want.data(), rows * cols));
  // In place, with a softmax row kernel.
  auto sm = a, sm_want = a;
  be_->bias_activation(sm.data(), b.data(), sm.data(), rows, cols,
                       ActivationSpec::parse("softmax"));
  ref.bias_activation(sm_want.data(), b.data(), sm_want.data(), rows, cols,
                      ActivationSpec::parse("softmax"));
  EXPECT_TRUE(all_close(sm, sm_want, 2e-6, 1e-7));
  // C = a·bᵀ (rows×rows) into a padded C: the padding survives the round trip.
  std::vector<float> c(rows * (rows + 3), 7.0f), c_want = c;
  be_->gemm(false, true, rows, rows, cols, 1.0f, a.data(), cols, b.data(), cols, 0.5f, c.data(),
            rows + 3);
  ref.gemm(false, true, rows, rows, cols, 1.0f, a.data(), cols, b.data(), cols, 0.5f, c_want.data(),
           rows + 3);
  EXPECT_TRUE(all_close(c, c_want, 1e-4, 1e-5));
  EXPECT_NEAR(be_->sum_squares(a.data(), rows * cols), ref.sum_squares(a.data(), rows * cols),
              1e-9);
}

TEST_F(CudaBackendTest, ReductionsAreDeterministic) {
  Rng rng(13);
  const Tensor x = test::random_tensor(rng, {3000001});
  const double first = be_->sum_squares(x.data(), x.size());
  for (int i = 0; i < 5; ++i) ASSERT_EQ(be_->sum_squares(x.data(), x.size()), first);
  const double abs_first = be_->sum_abs(x.data(), x.size());
  for (int i = 0; i < 5; ++i) ASSERT_EQ(be_->sum_abs(x.data(), x.size()), abs_first);
}

TEST_F(CudaBackendTest, SparseLabelOutOfRangeThrows) {
  Tensor labels = Tensor::from({3, 1}, {1.0f, 10.0f, 3.0f});
  Tensor pred = Tensor::full({3, 10}, 0.1f), grad({3, 10});
  const LossKind kind = LossKind::sparse_categorical_crossentropy;
  for (int call = 0; call < 2; ++call) {
    try {
      if (call == 0)
        be_->loss_sum(kind, labels.data(), pred.data(), 3, 10, {});
      else
        be_->loss_grad(kind, labels.data(), pred.data(), grad.data(), 3, 10, {}, 1.0f);
      ADD_FAILURE() << "no error for label 10 of 10 classes (call " << call << ")";
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "sparse label 10 is outside [0, 10)");
    }
  }
  labels[1] = 9.0f;  // the backend is usable afterwards
  EXPECT_NEAR(be_->loss_sum(kind, labels.data(), pred.data(), 3, 10, {}), 3 * -std::log(0.1), 1e-6);
}

// The seed MLP (784 -> 300 -> 100 -> 10, RMSprop, categorical cross-entropy) on random data.
History train_seed_mlp(const std::string& backend, const Tensor& x, const Tensor& y, int epochs,
                       std::vector<Tensor>* weights) {
  use_backend(backend);
  Sequential model;
  model.add(std::make_shared<InputLayer>(Shape{784}));
  model.add(std::make_shared<Dense>(300, DenseOptions{.activation = "relu"}));
  model.add(std::make_shared<Dense>(100, DenseOptions{.activation = "relu"}));
  model.add(std::make_shared<Dense>(10, DenseOptions{.activation = "softmax"}));
  model.initialize_weights(42);
  model.set_backend(get_backend(backend));
  model.compile({.optimizer = std::make_shared<RMSprop>(),
                 .loss = Loss::parse("categorical_crossentropy"),
                 .metrics = {"accuracy"}});
  // The inputs are copied into tensors of this backend's allocator.
  Tensor xb = x.clone(), yb = y.clone();
  History h = model.fit(xb, yb, {.batch_size = 50, .epochs = epochs, .verbose = 0, .seed = 7});
  if (weights) *weights = model.get_weights();
  return h;
}

TEST_F(CudaBackendTest, SeedMlpTrainsLikeTheCpuBackend) {
  Rng rng(14);
  const Tensor x = test::random_tensor(rng, {1000, 784}, 0, 1);
  const Tensor y = test::one_hot(rng, 1000, 10);
  std::vector<Tensor> w_cuda, w_cuda2, w_cpu;
  const History cuda = train_seed_mlp("cuda", x, y, 3, &w_cuda);
  const History cuda2 = train_seed_mlp("cuda", x, y, 3, &w_cuda2);
  const History cpu = train_seed_mlp("cpu", x, y, 3, &w_cpu);
  const auto& lc = cuda.history.at("loss");
  const auto& lp = cpu.history.at("loss");
  ASSERT_EQ(lc.size(), 3u);
  for (size_t e = 0; e < lc.size(); ++e) {
    EXPECT_TRUE(std::isfinite(lc[e]));
    EXPECT_NEAR(lc[e], lp[e], 2e-3 * std::fabs(lp[e])) << "epoch " << e + 1;
  }
  // Two runs on the GPU agree bit for bit.
  EXPECT_EQ(cuda2.history.at("loss"), lc);
  ASSERT_EQ(w_cuda.size(), w_cuda2.size());
  for (size_t i = 0; i < w_cuda.size(); ++i)
    EXPECT_TRUE(bit_equal(w_cuda[i].data(), w_cuda2[i].data(), w_cuda[i].size())) << "weight " << i;
}

TEST_F(CudaBackendTest, DropoutModelPredictsLikeTheCpuBackend) {
  // Inference through an inactive Dropout layer (a copy of its input) after training with an
  // active one (device masks, bit-identical to the CPU's).
  Rng rng(15);
  const Tensor x = test::random_tensor(rng, {200, 20});
  const Tensor y = test::one_hot(rng, 200, 4);
  std::vector<std::vector<float>> predictions;
  for (const std::string backend : {"cuda", "cpu"}) {
    use_backend(backend);
    Sequential model;
    model.add(std::make_shared<InputLayer>(Shape{20}));
    model.add(std::make_shared<Dense>(64, DenseOptions{.activation = "gelu"}));
    model.add(std::make_shared<Dropout>(0.3f, 5));
    model.add(std::make_shared<Dense>(4, DenseOptions{.activation = "softmax"}));
    model.initialize_weights(3);
    model.set_backend(get_backend(backend));
    model.compile(
        {.optimizer = std::make_shared<Adam>(), .loss = Loss::parse("categorical_crossentropy")});
    Tensor xb = x.clone(), yb = y.clone();
    model.fit(xb, yb, {.batch_size = 20, .epochs = 2, .verbose = 0, .seed = 9});
    predictions.push_back(model.predict(xb, 50).to_vector());
  }
  EXPECT_TRUE(all_close(predictions[0], predictions[1], 1e-3, 1e-5));
}

}  // namespace
}  // namespace glia
