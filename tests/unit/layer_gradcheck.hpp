// Finite-difference checks of a layer's backward through the public Layer API, on the reference
// backend (tests/unit/test_gradcheck*.cpp): every input gradient and every variable gradient of
// L = sum(r * output) (+ the layer's regularization loss).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backends/reference_backend.hpp"
#include "glia/layer.hpp"
#include "harness.hpp"

namespace glia::test {

struct LayerHarness {
  Layer& layer;
  std::vector<Tensor> inputs;
  uint64_t seed = 0;
  bool regularization = false;
  ReferenceBackend be;
  Tensor r;  // objective weights: L = Σ r ⊙ output (+ regularization loss)

  std::vector<const Tensor*> input_ptrs() const {
    std::vector<const Tensor*> ins;
    for (const Tensor& t : inputs) ins.push_back(&t);
    return ins;
  }
  Tensor forward() {
    ForwardContext ctx{be, true, seed};
    Tensor out;
    auto ins = input_ptrs();
    layer.forward(ctx, ins, out);
    return out;
  }
  double objective() {
    Tensor out = forward();
    double l = weighted_sum(out.data(), r.data(), out.size());
    if (regularization) l += layer.regularization_loss(be);
    return l;
  }

  /// Runs forward + backward and checks every input gradient and variable gradient.
  void check() {
    Rng rng(41);
    Tensor out = forward();
    r = random_tensor(rng, out.shape());
    out = forward();
    Tensor dout = r.clone();
    std::vector<Tensor> dx(inputs.size());
    std::vector<Tensor*> dins;
    for (Tensor& d : dx) dins.push_back(&d);
    BackwardContext bctx{be};
    auto ins = input_ptrs();
    layer.backward(bctx, ins, out, dout, dins);
    auto f = [&] { return objective(); };
    for (size_t i = 0; i < inputs.size(); ++i) {
      SCOPED_TRACE("input " + std::to_string(i));
      ASSERT_EQ(dx[i].shape(), inputs[i].shape());
      const Tensor analytic = dx[i].clone();
      EXPECT_TRUE(
          grad_close(analytic.data(), numeric_gradient(f, inputs[i].data(), inputs[i].size())));
    }
    for (Variable* v : layer.variables()) {
      SCOPED_TRACE(v->name);
      ASSERT_EQ(v->grad.shape(), v->value.shape());
      const Tensor analytic = v->grad.clone();
      EXPECT_TRUE(
          grad_close(analytic.data(), numeric_gradient(f, v->value.data(), v->value.size())));
    }
  }
};

inline std::vector<Tensor> random_inputs(const std::vector<Shape>& shapes, uint64_t seed) {
  Rng rng(seed);
  std::vector<Tensor> out;
  for (const Shape& s : shapes) out.push_back(random_tensor(rng, s, -1.5, 1.5));
  return out;
}

inline std::vector<Shape> per_sample(const std::vector<Tensor>& batch) {
  std::vector<Shape> shapes;
  for (const Tensor& t : batch) shapes.emplace_back(t.shape().begin() + 1, t.shape().end());
  return shapes;
}

}  // namespace glia::test
