// The op harness (in the spirit of ggml's test-backend-ops): every Backend method, on seeded
// random inputs of several shapes, run on every registered backend and compared with the
// reference backend. One gtest test per (backend, case), named BackendOps_<backend>.<op>_<shape>,
// so `--gtest_filter='BackendOps_cpu.gemm*'` runs one op.
//
// Shapes cover odd sizes, rows = 1, sizes above the CPU backend's parallel grain (kParallelGrain
// elements, 16384 when this was written) and the seed MLP's shapes (batch 50, 784 -> 300 -> 100
// -> 10). A device backend (e.g. "cuda") gets its buffers from its own tensor allocator and is
// synchronized before results are read.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "backends/reference_backend.hpp"
#include "glia/backend.hpp"
#include "glia/error.hpp"
#include "glia/runtime.hpp"
#include "harness.hpp"
#include "op_harness.hpp"

namespace glia {
namespace {

using test::all_close;
using test::all_close_bound;
using test::bit_equal;
using test::random_floats;
using namespace op_harness;

// Every pure virtual method of glia::Backend needs cases in all_cases() below (or in an area's
// file, test_backend_ops_<area>.cpp, through register_op_cases):
// BackendOps.CoversEveryBackendMethod reads the methods from include/glia/backend.hpp itself, so
// adding a method to the interface without cases fails it.

// Element counts for the flat ops: tiny, odd, 2^15 and an odd size above the parallel grain, and
// the seed's first kernel (784 x 300).
const std::vector<int64_t> kFlatSizes = {1, 7, 1000, 32768, 40001, 235200};

struct RowsCols {
  int64_t rows, cols;
};
// (rows, cols) shapes for the row-wise ops: rows = 1, odd, the seed's activations (50 x 784,
// 50 x 300, 50 x 100, 50 x 10) and ones above the parallel grain.
const std::vector<RowsCols> kMatrixShapes = {{1, 1},    {1, 10},   {7, 13},    {50, 10},  {50, 100},
                                             {50, 300}, {50, 784}, {1, 40000}, {257, 131}};

std::string rc(RowsCols s) {
  return std::to_string(s.rows) + "x" + std::to_string(s.cols);
}

// ---- gemm ----

// gemm, or gemm_bf16 (bf16): both backends round the operands alike, so they differ only in
// the float32 accumulation order, as gemm does.
void gemm_case(Backend& ref, Backend& be, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
               float alpha, float beta, int64_t pad, bool bf16 = false) {
  Rng rng(m * 1000003 + n * 1009 + k + ta * 7 + tb * 13);
  // BLAS requires leading dimensions of at least 1, also for empty operands.
  const int64_t lda = std::max<int64_t>(1, (ta ? m : k) + pad);
  const int64_t ldb = std::max<int64_t>(1, (tb ? k : n) + pad), ldc = n + pad;
  const int64_t a_rows = ta ? k : m, b_rows = tb ? n : k;
  std::vector<float> a = random_floats(rng, a_rows * lda), b = random_floats(rng, b_rows * ldb);
  std::vector<float> c0 = random_floats(rng, m * ldc);
  // beta == 0 means C is not read (BLAS): NaNs there must not leak into the result.
  if (beta == 0.0f)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c0[i * ldc + j] = kNaN;
  // The padding between rows of C must be left alone.
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = n; j < ldc; ++j) c0[i * ldc + j] = 12345.0f;
  std::vector<float> want = c0;
  Dev da(a), db(b), dc(c0);
  if (bf16) {
    ref.gemm_bf16(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, want.data(), ldc);
    be.gemm_bf16(ta, tb, m, n, k, alpha, da.p(), lda, db.p(), ldb, beta, dc.p(), ldc);
  } else {
    ref.gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, want.data(), ldc);
    be.gemm(ta, tb, m, n, k, alpha, da.p(), lda, db.p(), ldb, beta, dc.p(), ldc);
  }
  const std::vector<float> got = dc.read(be);
  // float32 error grows with the sum of |terms|, not with the result.
  std::vector<double> bound(got.size(), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p)
        s += std::fabs((ta ? a[p * lda + i] : a[i * lda + p]) *
                       (tb ? b[j * ldb + p] : b[p * ldb + j]));
      bound[i * ldc + j] =
          std::fabs(alpha) * s + (beta == 0.0f ? 0.0 : std::fabs(beta * c0[i * ldc + j]));
    }
  EXPECT_TRUE(all_close_bound(got.data(), want.data(), bound, 1e-5, 1e-6));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = n; j < ldc; ++j) ASSERT_EQ(got[i * ldc + j], 12345.0f) << "padding written";
}

void add_gemm_cases(std::vector<OpCase>& cases) {
  struct Mnk {
    int64_t m, n, k;
  };
  // Small and odd shapes get every alpha/beta; the seed's shapes (forward x·W, backward x^T·dz
  // and dz·W^T of the 784 -> 300 layer, batch 50 and 1) get two.
  const std::vector<Mnk> small = {{1, 1, 1}, {7, 13, 5}, {33, 65, 129}, {3, 4, 0}};
  const std::vector<Mnk> seed = {
      {50, 300, 784}, {784, 300, 50}, {50, 784, 300}, {1, 300, 784}, {50, 10, 100}};
  struct AlphaBeta {
    float alpha, beta;
  };
  const std::vector<AlphaBeta> all_ab = {{1, 0}, {0.5f, 0}, {1, 1}, {-1.5f, 0.25f}};
  const std::vector<AlphaBeta> seed_ab = {{1, 0}, {0.5f, 1}};
  for (int t = 0; t < 4; ++t) {
    const bool ta = t & 1, tb = t & 2;
    const std::string tt = std::string(ta ? "T" : "N") + (tb ? "T" : "N");
    auto add = [&](Mnk s, AlphaBeta ab, int64_t pad) {
      // k = 0 must give C = beta*C (BLAS); oneDNN's sgemm alone leaves C untouched (regression).
      std::set<std::string> known;
      cases.push_back({"gemm",
                       tt + "_" + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                           std::to_string(s.k) + "_alpha" + fmt(ab.alpha) + "_beta" + fmt(ab.beta) +
                           (pad ? "_padded" : ""),
                       [=](Backend& ref, Backend& be) {
                         gemm_case(ref, be, ta, tb, s.m, s.n, s.k, ab.alpha, ab.beta, pad);
                       },
                       known});
    };
    for (Mnk s : small)
      for (AlphaBeta ab : all_ab) add(s, ab, 0);
    for (Mnk s : seed)
      for (AlphaBeta ab : seed_ab) add(s, ab, 0);
    add({7, 13, 5}, {1, 0.5f}, 3);  // leading dimensions larger than the rows
    // mixed_bfloat16's matrix products: every transpose, odd and the seed's shapes (batch 256
    // too), alpha/beta, padded leading dimensions and k = 0.
    auto add_bf16 = [&](Mnk s, AlphaBeta ab, int64_t pad) {
      cases.push_back({"gemm_bf16",
                       tt + "_" + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                           std::to_string(s.k) + "_alpha" + fmt(ab.alpha) + "_beta" + fmt(ab.beta) +
                           (pad ? "_padded" : ""),
                       [=](Backend& ref, Backend& be) {
                         gemm_case(ref, be, ta, tb, s.m, s.n, s.k, ab.alpha, ab.beta, pad, true);
                       }});
    };
    for (Mnk s : small)
      for (AlphaBeta ab : all_ab) add_bf16(s, ab, 0);
    for (Mnk s : {Mnk{256, 300, 784}, Mnk{784, 300, 256}, Mnk{256, 784, 300}, Mnk{50, 10, 100}})
      add_bf16(s, {1, 0}, 0);
    add_bf16({7, 13, 5}, {1, 0.5f}, 3);
  }
}

// ---- column_sum ----

void add_column_sum_cases(std::vector<OpCase>& cases) {
  std::vector<RowsCols> shapes = kMatrixShapes;
  shapes.push_back({1000, 40});
  for (RowsCols s : shapes)
    for (float beta : {0.0f, 0.5f, 1.0f})
      cases.push_back({"column_sum", rc(s) + "_beta" + fmt(beta), [=](Backend& ref, Backend& be) {
                         Rng rng(s.rows * 31 + s.cols);
                         auto dy = random_floats(rng, s.rows * s.cols);
                         auto db0 = random_floats(rng, s.cols);
                         if (beta == 0.0f) std::fill(db0.begin(), db0.end(), kNaN);
                         auto want = db0;
                         ref.column_sum(dy.data(), want.data(), s.rows, s.cols, beta);
                         Dev ddy(dy), ddb(db0);
                         be.column_sum(ddy.p(), ddb.p(), s.rows, s.cols, beta);
                         const auto got = ddb.read(be);
                         std::vector<double> bound(s.cols, 0.0);
                         for (int64_t c = 0; c < s.cols; ++c) {
                           for (int64_t r = 0; r < s.rows; ++r)
                             bound[c] += std::fabs(dy[r * s.cols + c]);
                           if (beta != 0.0f) bound[c] += std::fabs(beta * db0[c]);
                         }
                         EXPECT_TRUE(all_close_bound(got.data(), want.data(), bound, 1e-5, 1e-6));
                       }});
}

// ---- activations ----

// Every activation with its defaults, and the arguments the layers set.
std::vector<ActivationSpec> all_activations() {
  std::vector<ActivationSpec> acts;
  for (const std::string& name : ActivationSpec::names())
    acts.push_back(ActivationSpec::parse(name));
  auto with = [&](const char* name, auto set) {
    ActivationSpec a = ActivationSpec::parse(name);
    set(a);
    acts.push_back(a);
  };
  with("leaky_relu", [](ActivationSpec& a) { a.negative_slope = 0.01f; });
  with("relu", [](ActivationSpec& a) {
    a.relu_max_value = 2.5f, a.relu_negative_slope = 0.1f, a.relu_threshold = 0.5f;
  });
  with("relu", [](ActivationSpec& a) { a.relu_max_value = 6.0f; });
  with("relu", [](ActivationSpec& a) { a.relu_negative_slope = 0.2f; });
  with("elu", [](ActivationSpec& a) { a.alpha = 0.5f; });
  with("celu", [](ActivationSpec& a) { a.alpha = 2.0f; });
  with("gelu", [](ActivationSpec& a) { a.approximate = true; });
  with("soft_shrink", [](ActivationSpec& a) { a.threshold = 1.5f; });
  with("hard_shrink", [](ActivationSpec& a) { a.threshold = 1.5f; });
  with("squareplus", [](ActivationSpec& a) { a.b = 1.0f; });
  return acts;
}

std::string act_label(ActivationSpec a) {
  std::string l = a.name();
  if (a.has_default_arguments()) return l;
  switch (a.kind) {
    case ActivationKind::leaky_relu:
      return l + fmt(a.negative_slope);
    case ActivationKind::elu:
    case ActivationKind::celu:
      return l + "_alpha" + fmt(a.alpha);
    case ActivationKind::soft_shrink:
    case ActivationKind::hard_shrink:
      return l + "_threshold" + fmt(a.threshold);
    case ActivationKind::squareplus:
      return l + "_b" + fmt(a.b);
    case ActivationKind::gelu:
      return l + "_approximate";
    case ActivationKind::relu:
      return l + "_max" + fmt(a.relu_max_value) + "_slope" + fmt(a.relu_negative_slope) +
             "_threshold" + fmt(a.relu_threshold);
    default:
      return l;
  }
}

// sparsemax costs O(cols²) per row (no sort buffer, the same code on every backend): keep its
// cases to rows of at most 1000 values.
bool too_wide(ActivationSpec a, RowsCols s) {
  return a.kind == ActivationKind::sparsemax && s.cols > 1000;
}

void add_activation_cases(std::vector<OpCase>& cases) {
  for (ActivationSpec act : all_activations())
    for (RowsCols s : kMatrixShapes)
      for (int mode = 0; mode < 3; ++mode) {  // 0: bias, 1: no bias, 2: bias and in place
        if ((mode == 2 && s.rows * s.cols < 1000) || too_wide(act, s)) continue;
        const std::string m = mode == 0 ? "_bias" : mode == 1 ? "_nobias" : "_bias_inplace";
        cases.push_back(
            {"bias_activation", act_label(act) + "_" + rc(s) + m, [=](Backend& ref, Backend& be) {
               Rng rng(s.rows * 7 + s.cols * 3 + mode);
               auto x = random_floats(rng, s.rows * s.cols, -4, 4);
               auto bias = random_floats(rng, s.cols);
               std::vector<float> want(x.size(), kNaN);
               ref.bias_activation(x.data(), mode == 1 ? nullptr : bias.data(), want.data(), s.rows,
                                   s.cols, act);
               Dev dx(x), dbias(bias), dy(std::vector<float>(x.size(), kNaN));
               const float* bp = mode == 1 ? nullptr : dbias.p();
               // GELU's 1 + erf(x/√2) cancels for x < -3: one ulp of erff there (glibc's is not
               // correctly rounded) is |x|/2 * 6e-8, up to 1.5e-7 absolute.
               const double atol = act.kind == ActivationKind::gelu ? 2e-7 : 1e-7;
               if (mode == 2) {
                 be.bias_activation(dx.p(), bp, dx.p(), s.rows, s.cols, act);
                 EXPECT_TRUE(all_close(dx.read(be), want, 2e-6, atol));
               } else {
                 be.bias_activation(dx.p(), bp, dy.p(), s.rows, s.cols, act);
                 EXPECT_TRUE(all_close(dy.read(be), want, 2e-6, atol));
               }
             }});
      }
  for (ActivationSpec act : all_activations())
    for (RowsCols s : kMatrixShapes)
      for (bool inplace : {false, true}) {
        if ((inplace && s.rows * s.cols < 1000) || too_wide(act, s)) continue;
        cases.push_back(
            {"activation_backward", act_label(act) + "_" + rc(s) + (inplace ? "_inplace" : ""),
             [=](Backend& ref, Backend& be) {
               Rng rng(s.rows * 11 + s.cols * 5 + inplace);
               auto x = random_floats(rng, s.rows * s.cols, -4, 4);
               auto dy = random_floats(rng, s.rows * s.cols);
               std::vector<float> y(x.size());
               ref.bias_activation(x.data(), nullptr, y.data(), s.rows, s.cols, act);
               // Activations whose derivative comes from the output get no x: the backend must
               // not read it.
               const bool no_x = act.backward_from_output();
               std::vector<float> want(x.size(), kNaN);
               ref.activation_backward(no_x ? nullptr : x.data(), y.data(), dy.data(), want.data(),
                                       s.rows, s.cols, act);
               Dev ddx0(x), dyv(y), ddy(dy), ddx(std::vector<float>(x.size(), kNaN));
               const float* xp = no_x ? nullptr : ddx0.p();
               if (inplace) {
                 be.activation_backward(xp, dyv.p(), ddy.p(), ddy.p(), s.rows, s.cols, act);
                 EXPECT_TRUE(all_close(ddy.read(be), want, 2e-6, 1e-7));
               } else {
                 be.activation_backward(xp, dyv.p(), ddy.p(), ddx.p(), s.rows, s.cols, act);
                 EXPECT_TRUE(all_close(ddx.read(be), want, 2e-6, 1e-7));
               }
             }});
      }
}

// ---- element-wise ----

void add_elementwise_cases(std::vector<OpCase>& cases) {
  for (int64_t n : kFlatSizes)
    for (int alias = 0; alias < 3; ++alias) {  // 0: separate out, 1: out = a, 2: out = b
      const std::string al = alias == 0 ? "" : alias == 1 ? "_out_is_a" : "_out_is_b";
      for (bool is_add : {true, false})
        cases.push_back(
            {is_add ? "add" : "mul", std::to_string(n) + al, [=](Backend& ref, Backend& be) {
               Rng rng(n + alias);
               auto a = random_floats(rng, n, -3, 3), b = random_floats(rng, n, -3, 3);
               auto run = [&](Backend& k) {
                 Dev aa(a), bb(b), out(std::vector<float>(n, kNaN));
                 Dev& o = alias == 0 ? out : alias == 1 ? aa : bb;
                 if (is_add)
                   k.add(aa.p(), bb.p(), o.p(), n);
                 else
                   k.mul(aa.p(), bb.p(), o.p(), n);
                 return o.read(k);
               };
               auto want = run(ref), got = run(be);
               // One IEEE operation per element: results must agree exactly.
               EXPECT_TRUE(bit_equal(got.data(), want.data(), n));
             }});
    }
  for (int64_t n : kFlatSizes)
    for (float alpha : {1.0f, -0.37f, 0.0f})
      cases.push_back(
          {"axpy", std::to_string(n) + "_alpha" + fmt(alpha), [=](Backend& ref, Backend& be) {
             Rng rng(n * 3 + 1);
             auto x = random_floats(rng, n, -3, 3), y0 = random_floats(rng, n, -3, 3);
             auto want = y0;
             ref.axpy(alpha, x.data(), want.data(), n);
             Dev dx(x), dy(y0);
             be.axpy(alpha, dx.p(), dy.p(), n);
             const auto got = dy.read(be);
             // A fused multiply-add may round once instead of twice.
             std::vector<double> bound(n);
             for (int64_t i = 0; i < n; ++i) bound[i] = std::fabs(y0[i]) + std::fabs(alpha * x[i]);
             EXPECT_TRUE(all_close_bound(got.data(), want.data(), bound, 2.5e-7, 0));
           }});
}

void add_column_copy_cases(std::vector<OpCase>& cases) {
  struct Copy {
    int64_t rows, src_cols, dst_cols, offset;
  };
  const std::vector<Copy> copies = {{1, 1, 1, 0},         {1, 3, 10, 7},       {7, 5, 13, 0},
                                    {7, 5, 13, 8},        {50, 300, 400, 100}, {50, 100, 400, 0},
                                    {257, 131, 300, 169}, {1, 40000, 40001, 1}};
  for (Copy c : copies) {
    const std::string label = std::to_string(c.rows) + "x" + std::to_string(c.src_cols) + "_into_" +
                              std::to_string(c.dst_cols) + "_at" + std::to_string(c.offset);
    cases.push_back(
        {"copy_columns", label, [=](Backend& ref, Backend& be) {
           Rng rng(c.rows + c.src_cols);
           auto src = random_floats(rng, c.rows * c.src_cols);
           auto dst0 = random_floats(rng, c.rows * c.dst_cols);
           auto want = dst0;
           ref.copy_columns(src.data(), c.rows, c.src_cols, want.data(), c.dst_cols, c.offset);
           Dev dsrc(src), ddst(dst0);
           be.copy_columns(dsrc.p(), c.rows, c.src_cols, ddst.p(), c.dst_cols, c.offset);
           const auto got = ddst.read(be);
           EXPECT_TRUE(bit_equal(got.data(), want.data(), c.rows * c.dst_cols));
         }});
    // slice_columns is the inverse: take src_cols columns at offset out of a dst_cols-wide matrix.
    cases.push_back(
        {"slice_columns", label, [=](Backend& ref, Backend& be) {
           Rng rng(c.rows + c.dst_cols);
           auto wide = random_floats(rng, c.rows * c.dst_cols);
           std::vector<float> want(c.rows * c.src_cols, kNaN);
           ref.slice_columns(wide.data(), c.rows, c.dst_cols, c.offset, want.data(), c.src_cols);
           Dev dwide(wide), dout(want);
           be.slice_columns(dwide.p(), c.rows, c.dst_cols, c.offset, dout.p(), c.src_cols);
           const auto got = dout.read(be);
           EXPECT_TRUE(bit_equal(got.data(), want.data(), c.rows * c.src_cols));
         }});
  }
}

void add_dropout_cases(std::vector<OpCase>& cases) {
  for (int64_t n : kFlatSizes)
    for (float rate : {0.0f, 0.2f, 0.5f, 0.9f})
      for (uint64_t offset : {uint64_t{0}, uint64_t{123457}})
        cases.push_back(
            {"dropout_mask",
             std::to_string(n) + "_rate" + fmt(rate) + "_offset" + std::to_string(offset),
             [=](Backend& ref, Backend& be) {
               const uint64_t seed = 0xC0FFEE + n;
               std::vector<float> want(n, kNaN);
               ref.dropout_mask(seed, offset, rate, want.data(), n);
               Dev dgot(want);
               be.dropout_mask(seed, offset, rate, dgot.p(), n);
               const auto got = dgot.read(be);
               // Counter-based masks do not depend on the backend or the thread count.
               EXPECT_TRUE(bit_equal(got.data(), want.data(), n));
               const float keep = 1.0f / (1.0f - rate);
               int64_t dropped = 0;
               for (float v : got) {
                 ASSERT_TRUE(v == 0.0f || v == keep) << v;
                 dropped += v == 0.0f;
               }
               if (n >= 32768) {
                 EXPECT_NEAR(static_cast<double>(dropped) / n, rate, 0.01);
               }
               // Element i draws from (seed, offset + i): a shifted window sees the same values.
               if (n > 1) {
                 Dev dshift(std::vector<float>(n - 1, kNaN));
                 be.dropout_mask(seed, offset + 1, rate, dshift.p(), n - 1);
                 EXPECT_TRUE(bit_equal(dshift.read(be).data(), got.data() + 1, n - 1));
               }
             }});
}

void add_reduction_cases(std::vector<OpCase>& cases) {
  for (int64_t n : kFlatSizes) {
    for (bool squares : {true, false})
      cases.push_back(
          {squares ? "sum_squares" : "sum_abs", std::to_string(n), [=](Backend& ref, Backend& be) {
             Rng rng(n * 5 + squares);
             auto x = random_floats(rng, n, -2, 2);
             const double want = squares ? ref.sum_squares(x.data(), n) : ref.sum_abs(x.data(), n);
             Dev dx(x);
             const double got = squares ? be.sum_squares(dx.p(), n) : be.sum_abs(dx.p(), n);
             // Both accumulate in double; only the order may differ.
             EXPECT_NEAR(got, want, 1e-12 * want + 1e-300);
           }});
    for (float l1 : {0.0f, 0.01f})
      for (float l2 : {0.0f, 0.02f})
        cases.push_back({"l1l2_grad", std::to_string(n) + "_l1_" + fmt(l1) + "_l2_" + fmt(l2),
                         [=](Backend& ref, Backend& be) {
                           Rng rng(n * 9 + 2);
                           auto w = random_floats(rng, n), g0 = random_floats(rng, n);
                           for (int64_t i = 0; i < n; i += 5) w[i] = 0.0f;  // sign(0) = 0
                           auto want = g0;
                           ref.l1l2_grad(w.data(), want.data(), n, l1, l2);
                           Dev dw(w), dg(g0);
                           be.l1l2_grad(dw.p(), dg.p(), n, l1, l2);
                           const auto got = dg.read(be);
                           std::vector<double> bound(n);
                           for (int64_t i = 0; i < n; ++i)
                             bound[i] = std::fabs(g0[i]) + l1 + std::fabs(2 * l2 * w[i]);
                           EXPECT_TRUE(all_close_bound(got.data(), want.data(), bound, 3e-7, 0));
                         }});
    struct Clip {
      float scale, lo, hi;
    };
    for (Clip c : {Clip{1, -kInf, kInf}, Clip{0.5f, -kInf, kInf}, Clip{1, -0.3f, 0.3f},
                   Clip{2.5f, -1.0f, 0.5f}})
      cases.push_back(
          {"scale_clip",
           std::to_string(n) + "_scale" + fmt(c.scale) + "_lo" + fmt(c.lo) + "_hi" + fmt(c.hi),
           [=](Backend& ref, Backend& be) {
             Rng rng(n * 13 + 7);
             auto x = random_floats(rng, n, -2, 2);
             auto want = x;
             ref.scale_clip(want.data(), n, c.scale, c.lo, c.hi);
             Dev dx(x);
             be.scale_clip(dx.p(), n, c.scale, c.lo, c.hi);
             const auto got = dx.read(be);
             EXPECT_TRUE(bit_equal(got.data(), want.data(), n));
           }});
  }
}

// ---- losses ----

std::string loss_label(LossKind k) {
  switch (k) {
    case LossKind::categorical_crossentropy:
      return "cce";
    case LossKind::sparse_categorical_crossentropy:
      return "sparse_cce";
    case LossKind::binary_crossentropy:
      return "bce";
    case LossKind::mean_squared_error:
      return "mse";
    case LossKind::mean_absolute_error:
      return "mae";
  }
  return "?";
}

const LossKind kAllLosses[] = {
    LossKind::categorical_crossentropy, LossKind::sparse_categorical_crossentropy,
    LossKind::binary_crossentropy, LossKind::mean_squared_error, LossKind::mean_absolute_error};

// Targets and predictions valid for the loss: class indices or one-hot / 0-1 targets,
// probabilities (softmax rows, or sigmoid values including exact 0 and 1 to hit the clipping)
// or logits.
void loss_inputs(LossKind kind, const LossParams& p, int64_t rows, int64_t cols, Rng& rng,
                 std::vector<float>& y_true, std::vector<float>& y_pred) {
  ReferenceBackend ref;
  const bool categorical = kind == LossKind::categorical_crossentropy ||
                           kind == LossKind::sparse_categorical_crossentropy;
  auto logits = random_floats(rng, rows * cols, -5, 5);
  if (kind == LossKind::sparse_categorical_crossentropy) {
    y_true.resize(rows);
    for (auto& t : y_true) t = static_cast<float>(rng.below(cols));
  } else if (categorical) {
    y_true.assign(rows * cols, 0.0f);
    for (int64_t r = 0; r < rows; ++r) y_true[r * cols + rng.below(cols)] = 1.0f;
  } else if (kind == LossKind::binary_crossentropy) {
    y_true.resize(rows * cols);
    for (auto& t : y_true) t = static_cast<float>(rng.below(2));
  } else {
    y_true = random_floats(rng, rows * cols, -2, 2);
  }
  y_pred = logits;
  if (categorical && (p.fused_softmax || !p.from_logits)) {
    ref.bias_activation(logits.data(), nullptr, y_pred.data(), rows, cols,
                        ActivationSpec::parse("softmax"));
  } else if (kind == LossKind::binary_crossentropy && !p.from_logits) {
    ref.bias_activation(logits.data(), nullptr, y_pred.data(), rows, cols,
                        ActivationSpec::parse("sigmoid"));
    for (int64_t i = 0; i < rows * cols; i += 17) y_pred[i] = (i / 17) % 2 ? 1.0f : 0.0f;
  }
}

void add_loss_cases(std::vector<OpCase>& cases) {
  const std::vector<RowsCols> shapes = {{1, 10}, {7, 13}, {50, 10}, {50, 1}, {300, 120}};
  for (LossKind kind : kAllLosses)
    for (bool from_logits : {false, true})
      for (float smoothing : {0.0f, 0.1f})
        for (bool fused : {false, true})
          for (RowsCols s : shapes) {
            const bool categorical = kind == LossKind::categorical_crossentropy ||
                                     kind == LossKind::sparse_categorical_crossentropy;
            // Every flag combination, also those a loss ignores: a backend must ignore them too.
            if (s.cols == 1 && categorical) continue;
            LossParams p{from_logits, smoothing, fused};
            const std::string label = loss_label(kind) + (from_logits ? "_logits" : "") +
                                      (smoothing > 0 ? "_smooth" + fmt(smoothing) : "") +
                                      (fused ? "_fused" : "") + "_" + rc(s);
            auto setup = [=](std::vector<float>& t, std::vector<float>& pr) {
              Rng rng(s.rows * 101 + s.cols + static_cast<int>(kind) * 7 + from_logits);
              loss_inputs(kind, p, s.rows, s.cols, rng, t, pr);
            };
            cases.push_back({"loss_sum", label, [=](Backend& ref, Backend& be) {
                               std::vector<float> t, pr;
                               setup(t, pr);
                               const double want =
                                   ref.loss_sum(kind, t.data(), pr.data(), s.rows, s.cols, p);
                               Dev dt(t), dp(pr);
                               const double got =
                                   be.loss_sum(kind, dt.p(), dp.p(), s.rows, s.cols, p);
                               ASSERT_TRUE(std::isfinite(want));
                               EXPECT_NEAR(got, want, 1e-9 * std::fabs(want) + 1e-12);
                             }});
            cases.push_back({"loss_grad", label, [=](Backend& ref, Backend& be) {
                               std::vector<float> t, pr;
                               setup(t, pr);
                               std::vector<float> want(pr.size(), kNaN);
                               const float scale = 1.0f / static_cast<float>(s.rows);
                               ref.loss_grad(kind, t.data(), pr.data(), want.data(), s.rows, s.cols,
                                             p, scale);
                               Dev dt(t), dp(pr), dg(want);
                               be.loss_grad(kind, dt.p(), dp.p(), dg.p(), s.rows, s.cols, p, scale);
                               const auto got = dg.read(be);
                               EXPECT_TRUE(all_close(got, want, 1e-6, 1e-9));
                             }});
          }
}

// ---- optimizer updates ----

// Runs `steps` updates with fresh random gradients on both backends, comparing the weights and
// every slot after each step. Slots start at zero as in Keras.
void run_optimizer_case(Backend& ref, Backend& be, int64_t n, int nslots,
                        const std::function<void(Backend&, float* w, const float* g,
                                                 std::vector<float*>& slots, int step)>& update) {
  Rng rng(n * 17 + nslots);
  const auto w0 = random_floats(rng, n);
  const std::vector<float> zeros(n, 0.0f);
  std::vector<float> w = w0;
  std::vector<std::vector<float>> slots(nslots, zeros);
  Dev dw(w0);
  std::vector<Dev> dslots;
  for (int i = 0; i < nslots; ++i) dslots.emplace_back(zeros);
  for (int step = 0; step < 4; ++step) {
    const auto g = random_floats(rng, n, -2, 2);
    std::vector<float*> sp;
    for (auto& s : slots) sp.push_back(s.data());
    update(ref, w.data(), g.data(), sp, step);
    Dev dg(g);
    std::vector<float*> dsp;
    for (auto& d : dslots) dsp.push_back(d.p());
    update(be, dw.p(), dg.p(), dsp, step);
    SCOPED_TRACE("step " + std::to_string(step + 1));
    ASSERT_TRUE(all_close(dw.read(be), w, 1e-5, 1e-7)) << "weights";
    // Slots may cancel to near zero (momentum), where FMA contraction shows: absolute floor.
    for (int s = 0; s < nslots; ++s)
      ASSERT_TRUE(all_close(dslots[s].read(be), slots[s], 1e-5, 1e-7)) << "slot " << s;
  }
}

void add_optimizer_cases(std::vector<OpCase>& cases) {
  const std::vector<int64_t> sizes = {1, 7, 40001, 235200};
  struct Rms {
    const char* name;
    float momentum;
    bool centered;
  };
  for (Rms v : {Rms{"plain", 0, false}, Rms{"momentum", 0.9f, false}, Rms{"centered", 0, true},
                Rms{"centered_momentum", 0.5f, true}})
    for (int64_t n : sizes)
      cases.push_back(
          {"rmsprop_update", std::string(v.name) + "_" + std::to_string(n),
           [=](Backend& ref, Backend& be) {
             const int nslots = 1 + (v.momentum > 0) + v.centered;
             run_optimizer_case(
                 ref, be, n, nslots,
                 [&](Backend& k, float* w, const float* g, std::vector<float*>& s, int) {
                   float* mom = v.momentum > 0 ? s[1] : nullptr;
                   float* avg = v.centered ? s.back() : nullptr;
                   k.rmsprop_update(w, g, s[0], mom, avg, n, 0.01f, 0.9f, v.momentum, 1e-7f);
                 });
           }});
  for (bool amsgrad : {false, true})
    for (int64_t n : sizes)
      cases.push_back(
          {"adam_update", std::string(amsgrad ? "amsgrad" : "plain") + "_" + std::to_string(n),
           [=](Backend& ref, Backend& be) {
             run_optimizer_case(
                 ref, be, n, amsgrad ? 3 : 2,
                 [&](Backend& k, float* w, const float* g, std::vector<float*>& s, int step) {
                   const float t = static_cast<float>(step + 1);
                   const float alpha =
                       0.001f * std::sqrt(1.0f - std::pow(0.999f, t)) / (1.0f - std::pow(0.9f, t));
                   k.adam_update(w, g, s[0], s[1], amsgrad ? s[2] : nullptr, n, alpha, 0.9f, 0.999f,
                                 1e-7f);
                 });
           }});
  struct Sgd {
    const char* name;
    float momentum;
    bool nesterov;
  };
  for (Sgd v : {Sgd{"plain", 0, false}, Sgd{"momentum", 0.9f, false}, Sgd{"nesterov", 0.9f, true}})
    for (int64_t n : sizes)
      cases.push_back(
          {"sgd_update", std::string(v.name) + "_" + std::to_string(n),
           [=](Backend& ref, Backend& be) {
             run_optimizer_case(
                 ref, be, n, v.momentum > 0 ? 1 : 0,
                 [&](Backend& k, float* w, const float* g, std::vector<float*>& s, int) {
                   k.sgd_update(w, g, s.empty() ? nullptr : s[0], n, 0.01f, v.momentum, v.nesterov);
                 });
           }});
}

const std::vector<OpCase>& all_cases() {
  static const std::vector<OpCase> cases = [] {
    std::vector<OpCase> c;
    add_gemm_cases(c);
    add_column_sum_cases(c);
    add_activation_cases(c);
    add_elementwise_cases(c);
    add_column_copy_cases(c);
    add_dropout_cases(c);
    add_reduction_cases(c);
    add_loss_cases(c);
    add_optimizer_cases(c);
    for (CaseAdder add : registered_adders()) add(c);
    return c;
  }();
  return cases;
}

// One registered test: a case on one backend, with at least two compute threads so the CPU
// backend's parallel paths run even on a one-core machine, and the backend's tensor allocator.
class OpTest : public testing::Test {
 public:
  OpTest(std::string backend, size_t index) : backend_(std::move(backend)), index_(index) {}
  void SetUp() override {
    threads_ = num_threads();
    if (threads_ < 2) set_num_threads(2);
    previous_ = default_backend()->name();
    use_backend(backend_);  // installs the backend's tensor allocator for the Dev buffers
  }
  void TearDown() override {
    use_backend(previous_);
    if (num_threads() != threads_) set_num_threads(threads_);
  }
  void TestBody() override {
    ReferenceBackend ref;
    auto be = get_backend(backend_);
    all_cases().at(index_).run(ref, *be);
  }

 private:
  std::string backend_;
  size_t index_;
  int threads_ = 0;
  std::string previous_;
};

std::string test_name(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

bool g_registered = false;

}  // namespace

// Called from tests/unit/main.cpp after static initialisation, so backends that register
// themselves from static initializers (CUDA) are listed too.
namespace test {
void register_backend_op_tests();
}

void test::register_backend_op_tests() {
  if (g_registered) return;
  g_registered = true;
  for (const std::string& backend : backend_names()) {
    if (backend == "reference") continue;
    const auto& cases = all_cases();
    for (size_t i = 0; i < cases.size(); ++i)
      testing::RegisterTest(("BackendOps_" + backend).c_str(),
                            ((cases[i].known_failures.count(backend) ? "DISABLED_" : "") +
                             test_name(cases[i].op + "_" + cases[i].label))
                                .c_str(),
                            nullptr, nullptr, __FILE__, __LINE__,
                            [=]() -> testing::Test* { return new OpTest(backend, i); });
  }
}

namespace {

// The pure virtual methods declared in class Backend of include/glia/backend.hpp (comments and
// inline bodies stripped, then each declaration ending in "= 0" gives the name before its "("),
// or with pure_only false every virtual method (those with a default implementation too).
std::set<std::string> backend_interface_methods(
    const std::string& path = std::string(GLIA_SOURCE_DIR) + "/include/glia/backend.hpp",
    bool pure_only = true) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto begin = text.find("class Backend {");
  const auto end = text.find("\n};", begin);
  if (begin == std::string::npos || end == std::string::npos)
    throw Error(path + ": no 'class Backend { ... };'");
  std::string body = text.substr(begin + 15, end - begin - 15);
  body = std::regex_replace(body, std::regex("//[^\n]*"), "");
  body = std::regex_replace(body, std::regex("\\{[^{}]*\\}"), ";");
  std::set<std::string> methods;
  const std::regex pure(pure_only ? "virtual[^;]*?\\b(\\w+)\\s*\\([^;]*=\\s*0\\s*;"
                                  : "virtual[^;(]*?\\b(\\w+)\\s*\\([^;]*;");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), pure); it != std::sregex_iterator();
       ++it)
    methods.insert((*it)[1]);
  return methods;
}

TEST(BackendOps, CoversEveryBackendMethod) {
  EXPECT_TRUE(g_registered) << "main() must call register_backend_op_tests()";
  std::set<std::string> ops;
  for (const OpCase& c : all_cases()) ops.insert(c.op);
  std::set<std::string> interface = backend_interface_methods();
  // Sanity of the parse: methods of every kind are found, name() is the only non-kernel one.
  for (const char* m : {"gemm", "bias_activation", "loss_grad", "sgd_update", "name"})
    EXPECT_TRUE(interface.count(m)) << m << " not found in backend.hpp";
  EXPECT_FALSE(interface.count("synchronize")) << "synchronize() is not pure virtual";
  interface.erase("name");  // every case uses it
  for (const std::string& m : interface)
    EXPECT_TRUE(ops.count(m)) << "Backend::" << m << " has no op-harness case in all_cases()";
  // Virtual methods with a default body (gemm_bf16) may have cases too.
  const std::set<std::string> declared =
      backend_interface_methods(std::string(GLIA_SOURCE_DIR) + "/include/glia/backend.hpp", false);
  for (const std::string& op : ops)
    EXPECT_TRUE(declared.count(op)) << "case for '" << op << "', which Backend does not declare";
}

// The parse sees a method added to the interface (multi-line, after a comment) and skips
// non-pure virtuals with inline bodies: the coverage test above cannot pass by missing one.
TEST(BackendOps, InterfaceParseFindsAnAddedMethod) {
  std::ifstream in(std::string(GLIA_SOURCE_DIR) + "/include/glia/backend.hpp");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find("  // ---- linear algebra ----");
  ASSERT_NE(at, std::string::npos);
  text.insert(at,
              "  /// y = fancy(x) // a comment with virtual void fake() = 0; in it\n"
              "  virtual void fancy_op(const float* x,\n                        int64_t n) = 0;\n"
              "  virtual bool helper() const { return true; }\n");
  const std::string path = testing::TempDir() + "backend_with_fancy_op.hpp";
  std::ofstream(path) << text;
  const std::set<std::string> methods = backend_interface_methods(path);
  std::remove(path.c_str());
  EXPECT_TRUE(methods.count("fancy_op"));
  EXPECT_FALSE(methods.count("fake"));
  EXPECT_FALSE(methods.count("helper"));
  EXPECT_EQ(methods.size(), backend_interface_methods().size() + 1);
}

TEST(BackendOps, CaseNamesAreUnique) {
  std::set<std::string> names;
  for (const OpCase& c : all_cases())
    EXPECT_TRUE(names.insert(test_name(c.op + "_" + c.label)).second) << c.op << " " << c.label;
}

TEST(BackendOps, EveryNonReferenceBackendIsTested) {
  const auto names = backend_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "reference"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "cpu"), names.end());
  for (const std::string& n : names) EXPECT_EQ(get_backend(n)->name(), n);
  EXPECT_THROW(get_backend("tpu"), Error);
}

}  // namespace
}  // namespace glia
