// Constraints with Keras' formulas (keras/src/constraints/constraints.py) on every backend,
// applied after each optimizer update in training; configs refuse axes a variable lacks.
#include <gtest/gtest.h>

#include <cmath>

#include "error_of.hpp"
#include "glia/glia.hpp"
#include "harness.hpp"

namespace glia {
namespace {

using testing_util::error_of;

// Keras' constraint on a rows x cols matrix, in double: norms over `axis` (0: per column,
// 1: per row, 2: all), then w * desired / (1e-7 + norm).
std::vector<float> keras_constraint(const Constraint& c, const std::vector<float>& w, int64_t rows,
                                    int64_t cols, int axis) {
  std::vector<float> out(w.size());
  auto group = [&](int64_t r, int64_t k) { return axis == 0 ? k : axis == 1 ? r : 0; };
  std::vector<double> sq(std::max(rows, cols), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) sq[group(r, k)] += double(w[r * cols + k]) * w[r * cols + k];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) {
      const double n = std::sqrt(sq[group(r, k)]);
      double desired = n;
      if (c.kind == Constraint::Kind::max_norm) desired = std::min(n, double(c.max_value));
      if (c.kind == Constraint::Kind::unit_norm) desired = 1.0;
      if (c.kind == Constraint::Kind::min_max_norm)
        desired =
            c.rate * std::clamp(n, double(c.min_value), double(c.max_value)) + (1 - c.rate) * n;
      out[r * cols + k] = static_cast<float>(w[r * cols + k] * desired / (1e-7 + n));
    }
  return out;
}

TEST(Constraints, KerasFormulasOnEveryBackend) {
  const int64_t rows = 7, cols = 5;
  Rng rng(3);
  const std::vector<float> w0 = test::random_floats(rng, rows * cols, -2, 2);
  for (const std::string& backend : backend_names()) {
    use_backend(backend);
    auto be = get_backend(backend);
    for (int axis : {0, 1, 2}) {
      const std::vector<int> axes = axis == 2 ? std::vector<int>{0, 1} : std::vector<int>{axis};
      for (const Constraint& c : {Constraint::max_norm(1.5f, axes), Constraint::unit_norm(axes),
                                  Constraint::min_max_norm(0.5f, 1.5f, 0.7f, axes)}) {
        SCOPED_TRACE(backend + " " + c.class_name() + " axis " + std::to_string(axis));
        Tensor w = Tensor::from({rows, cols}, w0);
        c.apply(*be, w);
        be->synchronize();
        EXPECT_TRUE(
            test::all_close(w.to_vector(), keras_constraint(c, w0, rows, cols, axis), 2e-6, 1e-7));
      }
    }
    // Axis -1 is the last axis; a 1-D variable (a bias) takes one norm over all of it.
    Tensor w = Tensor::from({rows, cols}, w0);
    Constraint::unit_norm({-1}).apply(*be, w);
    be->synchronize();
    EXPECT_TRUE(test::all_close(
        w.to_vector(), keras_constraint(Constraint::unit_norm(), w0, rows, cols, 1), 2e-6, 1e-7));
    Tensor bias = Tensor::from({rows * cols}, w0);
    Constraint::max_norm(1.0f).apply(*be, bias);
    be->synchronize();
    EXPECT_TRUE(test::all_close(bias.to_vector(),
                                keras_constraint(Constraint::max_norm(1.0f), w0, rows, cols, 2),
                                2e-6, 1e-7));
    Tensor nn = Tensor::from({rows, cols}, w0);
    Constraint::non_neg().apply(*be, nn);
    be->synchronize();
    for (int64_t i = 0; i < nn.size(); ++i) EXPECT_EQ(nn[i], w0[i] >= 0 ? w0[i] : 0.0f);
  }
  use_backend("cpu");
}

TEST(Constraints, AxesAVariableLacksAreRefused) {
  DenseOptions k, b;
  k.kernel_constraint = Constraint::max_norm(2.0f, {2});
  b.bias_constraint = Constraint::unit_norm({1});
  EXPECT_NE(
      error_of([&] { Dense(3, k); }).find("constraint axis 2 does not exist in a 2-D variable"),
      std::string::npos);
  EXPECT_NE(error_of([&] {
              Dense(3, b);
            }).find("bias_constraint: constraint axis 1 does not exist in a 1-D variable"),
            std::string::npos);
}

// Training applies the constraints after each update (Keras' optimizer.apply): with a huge
// learning rate the weights would leave the constraint set, yet every kernel column keeps a
// norm <= max_value and the biases stay non-negative. predict() is unaffected by them.
TEST(Constraints, AppliedAfterEveryTrainingStep) {
  auto m = std::make_shared<Sequential>("c");
  m->add(std::make_shared<InputLayer>(Shape{6}));
  DenseOptions o;  // (designated initializers trip GCC 12's maybe-uninitialized here)
  o.activation = "tanh";
  o.kernel_constraint = Constraint::max_norm(0.5f);
  o.bias_constraint = Constraint::non_neg();
  m->add(std::make_shared<Dense>(4, o));
  m->add(std::make_shared<Dense>(3, DenseOptions{.activation = "softmax"}));
  m->initialize_weights(5);
  m->compile(
      {.optimizer = make_optimizer("sgd", 5.0), .loss = Loss::parse("categorical_crossentropy")});
  Rng rng(2);
  Tensor x = test::random_tensor(rng, {16, 6}, -3, 3);
  Tensor y({16, 3});
  for (int64_t i = 0; i < 16; ++i) y[i * 3 + i % 3] = 1.0f;
  const Tensor before = m->predict(x).clone();
  m->fit(x, y, {.batch_size = 4, .epochs = 2, .verbose = 0, .seed = 1});
  auto* d = dynamic_cast<Dense*>(m->layers()[0].get());
  const Tensor& k = d->kernel().value;
  for (int64_t c = 0; c < 4; ++c) {
    double n = 0;
    for (int64_t r = 0; r < 6; ++r) n += double(k[r * 4 + c]) * k[r * 4 + c];
    EXPECT_LE(std::sqrt(n), 0.5 + 1e-6) << "column " << c;
  }
  for (int64_t i = 0; i < 4; ++i) EXPECT_GE(d->bias().value[i], 0.0f);
  EXPECT_NE(m->predict(x).to_vector(), before.to_vector());  // it trained
}

}  // namespace
}  // namespace glia
