// Keras' mixed_bfloat16 policy: the policy names, the global policy and what layers take from
// it; bfloat16 matrix products within their documented bound of the exact product (and not
// float32 ones); layer configs read and written as Keras does; determinism of bf16 training.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

#include "glia/glia.hpp"
#include "harness.hpp"

namespace glia {
namespace {

// Sets the global policy for one test and puts float32 back.
struct GlobalPolicy {
  explicit GlobalPolicy(DTypePolicy p) { mixed_precision::set_global_policy(p); }
  ~GlobalPolicy() { mixed_precision::set_global_policy(DTypePolicy::float32); }
};

TEST(DTypePolicy, NamesParseAndOthersAreRefusedWithAKind) {
  EXPECT_EQ(parse_dtype_policy("float32"), DTypePolicy::float32);
  EXPECT_EQ(parse_dtype_policy("mixed_bfloat16"), DTypePolicy::mixed_bfloat16);
  EXPECT_EQ(policy_name(DTypePolicy::mixed_bfloat16), "mixed_bfloat16");
  EXPECT_EQ(compute_dtype_name(DTypePolicy::mixed_bfloat16), "bfloat16");
  for (const char* other : {"mixed_float16", "float16", "bfloat16", "int8", ""}) {
    try {
      parse_dtype_policy(other, "--dtype-policy");
      ADD_FAILURE() << other << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find("--dtype-policy"), std::string::npos) << e.what();
    }
  }
}

TEST(DTypePolicy, LayersTakeTheGlobalPolicyWhenMadeAndInputsStayFloat32) {
  Dense before(3);
  EXPECT_EQ(before.dtype_policy(), DTypePolicy::float32);
  {
    GlobalPolicy mixed(DTypePolicy::mixed_bfloat16);
    Dense d(3);
    InputLayer in(Shape{4});
    EXPECT_EQ(d.dtype_policy(), DTypePolicy::mixed_bfloat16);
    EXPECT_EQ(in.dtype_policy(), DTypePolicy::float32);
  }
  EXPECT_EQ(before.dtype_policy(), DTypePolicy::float32);
  EXPECT_EQ(Dense(2).dtype_policy(), DTypePolicy::float32);
}

// |bf16 product - exact| <= 2^-7 sum |a b| (+ float32 summation): each operand is within 2^-8
// relative of its rounding, so each term within 2^-7 + 2^-16.
void expect_within_bf16_bound(Backend& be) {
  const int64_t m = 33, n = 65, k = 300;
  Rng rng(11);
  const auto a = test::random_floats(rng, m * k), b = test::random_floats(rng, k * n);
  std::vector<float> c16(m * n), c32(m * n);
  be.gemm_bf16(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c16.data(), n);
  be.gemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c32.data(), n);
  double max_vs_f32 = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double exact = 0, mag = 0;
      for (int64_t p = 0; p < k; ++p) {
        exact += static_cast<double>(a[i * k + p]) * b[p * n + j];
        mag += std::fabs(static_cast<double>(a[i * k + p]) * b[p * n + j]);
      }
      const double err = std::fabs(c16[i * n + j] - exact);
      ASSERT_LE(err, (std::ldexp(1.0, -7) + 1e-6) * mag) << be.name() << " at " << i << "," << j;
      max_vs_f32 = std::max(max_vs_f32,
                            std::fabs(static_cast<double>(c16[i * n + j]) - c32[i * n + j]) / mag);
    }
  // The operands were rounded: the result is not float32's (which is within ~1e-6 of exact).
  EXPECT_GT(max_vs_f32, 1e-4) << be.name();
}

TEST(MixedPrecision, Bf16GemmIsWithinItsBoundOnEveryHostBackend) {
  expect_within_bf16_bound(*get_backend("reference"));
  expect_within_bf16_bound(*get_backend("cpu"));
}

std::shared_ptr<Model> small_model(uint64_t seed) {
  auto m = std::make_shared<Sequential>("mp");
  m->add(std::make_shared<InputLayer>(Shape{6, 5, 2}, "image"));
  m->add(std::make_shared<Conv2D>(
      4, std::vector<int64_t>{3, 3},
      ConvOptions{.padding = "same", .activation = "relu", .name = "conv"}));
  m->add(std::make_shared<Flatten>("flat"));
  m->add(std::make_shared<Dense>(8, DenseOptions{.activation = "relu", .name = "hidden"}));
  m->add(std::make_shared<Dense>(3, DenseOptions{.activation = "softmax", .name = "out"}));
  m->initialize_weights(seed);
  m->compile({.optimizer = make_optimizer("adam", 0.01),
              .loss = Loss::parse("categorical_crossentropy"),
              .metrics = {"accuracy"}});
  return m;
}

std::vector<float> trained_weights(DTypePolicy policy, Tensor& x, Tensor& y) {
  GlobalPolicy global(policy);
  auto m = small_model(3);
  m->fit(x, y, {.batch_size = 8, .epochs = 2, .verbose = 0, .seed = 5});
  std::vector<float> all;
  for (const Tensor& w : m->get_weights()) {
    const auto v = w.to_vector();
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

TEST(MixedPrecision, Bf16TrainingIsDeterministicAndDiffersFromFloat32) {
  Rng rng(7);
  Tensor x = test::random_tensor(rng, {40, 6, 5, 2}), y = test::one_hot(rng, 40, 3);
  const auto a = trained_weights(DTypePolicy::mixed_bfloat16, x, y);
  const auto b = trained_weights(DTypePolicy::mixed_bfloat16, x, y);
  const auto f = trained_weights(DTypePolicy::float32, x, y);
  ASSERT_EQ(a.size(), f.size());
  EXPECT_TRUE(test::bit_equal(a.data(), b.data(), static_cast<int64_t>(a.size())));
  double max_diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    max_diff = std::max<double>(max_diff, std::fabs(a[i] - f[i]));
  EXPECT_GT(max_diff, 1e-6);  // the policy was applied
  EXPECT_LT(max_diff, 0.05);  // and bf16 training stayed close to float32's
}

TEST(MixedPrecision, PredictionsStayWithinBf16ToleranceOfFloat32) {
  Rng rng(9);
  Tensor x = test::random_tensor(rng, {16, 6, 5, 2});
  auto m = small_model(4);
  const Tensor p32 = m->predict(x);
  m->set_dtype_policy(DTypePolicy::mixed_bfloat16);
  EXPECT_EQ(m->dtype_policy(), DTypePolicy::mixed_bfloat16);
  const Tensor p16 = m->predict(x);
  EXPECT_TRUE(test::all_close(p16.data(), p32.data(), p32.size(), 2e-2, 2e-3));
  EXPECT_FALSE(test::bit_equal(p16.data(), p32.data(), p32.size()));
}

// Each pass rounds exactly its own operands: with every operand already a bfloat16 value
// (input, kernel, output gradient), mixed_bfloat16 computes float32's sums; with one operand off
// the bfloat16 grid, exactly the passes that read it differ (the forward and the kernel gradient
// read the input; the forward and the input gradient the kernel; both gradients dz).
struct Passes {
  Tensor y, dx, dkernel, dbias;
};

Passes run_passes(Layer& layer, const Tensor& x, const Tensor& r, Backend& be) {
  ForwardContext fctx{be, true};
  const Tensor* in[] = {&x};
  Passes p;
  layer.forward(fctx, in, p.y);
  Tensor dout = r.clone();
  Tensor* dins[] = {&p.dx};
  BackwardContext bctx{be};
  layer.backward(bctx, in, p.y, dout, dins);
  p.dkernel = layer.variables()[0]->grad.clone();
  p.dbias = layer.variables()[1]->grad.clone();
  return p;
}

// max |a - b| relative to b's largest magnitude.
double max_rel_diff(const Tensor& a, const Tensor& b) {
  double m = 0, scale = 1e-30;
  for (int64_t i = 0; i < a.size(); ++i) {
    m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
  }
  return m / scale;
}

enum class Inexact { none, input, kernel, dout };

void expect_rounding_exactly_where_due(const std::function<LayerPtr()>& make, const Shape& in_shape,
                                       const std::string& backend) {
  Backend& be = *get_backend(backend);
  Backend& ref = *get_backend("reference");
  auto rounded = [&](Tensor t) {
    ref.round_bf16(t.data(), t.data(), t.size());
    return t;
  };
  for (Inexact off : {Inexact::none, Inexact::input, Inexact::kernel, Inexact::dout}) {
    Rng rng(3);
    LayerPtr f32 = make(), mixed = make();
    mixed->set_dtype_policy(DTypePolicy::mixed_bfloat16);
    Rng init(5);
    f32->ensure_built({in_shape}, init);
    mixed->ensure_built({in_shape}, init);
    Shape batch_shape = in_shape;
    batch_shape.insert(batch_shape.begin(), 3);
    Tensor x = test::random_tensor(rng, batch_shape);
    if (off != Inexact::input) x = rounded(x);
    for (Layer* l : {f32.get(), mixed.get()}) {
      Rng wr(9);
      for (Variable* v : l->variables()) {
        v->value = test::random_tensor(wr, v->value.shape());
        if (off != Inexact::kernel) v->value = rounded(v->value);
      }
    }
    Tensor probe;
    ForwardContext fctx{be, true};
    const Tensor* in[] = {&x};
    f32->forward(fctx, in, probe);
    Tensor r = test::random_tensor(rng, probe.shape());
    if (off != Inexact::dout) r = rounded(r);
    const Passes a = run_passes(*f32, x, r, be), b = run_passes(*mixed, x, r, be);
    const std::string what =
        f32->class_name() + " on " + backend + ", inexact operand " + std::to_string(int(off));
    auto expect = [&](const char* pass, double diff, bool reads_inexact) {
      if (reads_inexact)
        EXPECT_GT(diff, 1e-4) << what << ": " << pass << " did not round";
      else
        EXPECT_LT(diff, 1e-5) << what << ": " << pass << " differs from float32";
    };
    expect("forward", max_rel_diff(b.y, a.y), off == Inexact::input || off == Inexact::kernel);
    expect("input gradient", max_rel_diff(b.dx, a.dx),
           off == Inexact::kernel || off == Inexact::dout);
    expect("kernel gradient", max_rel_diff(b.dkernel, a.dkernel),
           off == Inexact::input || off == Inexact::dout);
    // The bias gradient sums the float32 output gradient under both policies.
    EXPECT_LT(max_rel_diff(b.dbias, a.dbias), 1e-5) << what;
  }
}

TEST(MixedPrecision, EveryPassRoundsExactlyItsOperands) {
  for (const char* backend : {"reference", "cpu"}) {
    expect_rounding_exactly_where_due([] { return std::make_shared<Dense>(7); }, {13}, backend);
    expect_rounding_exactly_where_due(
        [] {
          return std::make_shared<Conv2D>(16, std::vector<int64_t>{3, 3},
                                          ConvOptions{.padding = "same"});
        },
        {6, 5, 16}, backend);
    expect_rounding_exactly_where_due(
        [] { return std::make_shared<Conv1D>(4, std::vector<int64_t>{2}, ConvOptions{}); }, {9, 3},
        backend);
  }
}

TEST(MixedPrecision, ConfigsCarryThePolicyAsKerasWritesIt) {
  auto m = [] {
    GlobalPolicy mixed(DTypePolicy::mixed_bfloat16);
    return small_model(1);
  }();
  m->layers().back()->set_dtype_policy(DTypePolicy::float32);  // Keras' float32 output layer
  const auto k3 = nlohmann::json::parse(model_to_json(*m, ConfigStyle::keras3));
  const auto& layers = k3["config"]["layers"];
  EXPECT_EQ(layers[0]["config"]["dtype"], "float32");  // the InputLayer
  EXPECT_EQ(layers[1]["config"]["dtype"]["class_name"], "DTypePolicy");
  EXPECT_EQ(layers[1]["config"]["dtype"]["config"]["name"], "mixed_bfloat16");
  EXPECT_EQ(layers[4]["config"]["dtype"]["config"]["name"], "float32");
  EXPECT_EQ(k3["config"]["dtype"]["config"]["name"], "mixed_bfloat16");  // as Keras writes it
  const auto k2 = nlohmann::json::parse(model_to_json(*m, ConfigStyle::keras2));
  EXPECT_EQ(k2["config"]["layers"][1]["config"]["dtype"], "mixed_bfloat16");
  EXPECT_EQ(k2["config"]["layers"][4]["config"]["dtype"], "float32");
  for (ConfigStyle style : {ConfigStyle::keras2, ConfigStyle::keras3}) {
    auto back = model_from_json(model_to_json(*m, style));
    const auto ls = back->layers();
    ASSERT_EQ(ls.size(), 4u);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(ls[i]->dtype_policy(), DTypePolicy::mixed_bfloat16);
    EXPECT_EQ(ls[3]->dtype_policy(), DTypePolicy::float32);
  }
}

TEST(MixedPrecision, UnsupportedPoliciesInConfigsAreRefusedNamingTheLayer) {
  auto config = [](const std::string& in_dtype, const std::string& dense_dtype) {
    return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 4], "name": "in", "dtype": )" +
           in_dtype + R"(}},
      {"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": )" +
           dense_dtype + "}}]}}";
  };
  const std::string mixed16 =
      R"({"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}})";
  try {
    model_from_json(config("\"float32\"", mixed16));
    ADD_FAILURE() << "mixed_float16 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("mixed_float16"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("dtype"), std::string::npos) << e.what();
  }
  EXPECT_THROW(model_from_json(config("\"bfloat16\"", "\"float32\"")), Error);
  // tf.keras 2's Policy object is read too.
  auto k2 = model_from_json(
      config("\"float32\"", R"({"class_name": "Policy", "config": {"name": "mixed_bfloat16"}})"));
  EXPECT_EQ(k2->layers().back()->dtype_policy(), DTypePolicy::mixed_bfloat16);
  // A layer without a dtype takes the global policy, as in Keras.
  GlobalPolicy mixed(DTypePolicy::mixed_bfloat16);
  auto m = model_from_json(R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 4], "name": "in"}},
      {"class_name": "Dense", "config": {"name": "d", "units": 2}}]}})");
  EXPECT_EQ(m->layers().back()->dtype_policy(), DTypePolicy::mixed_bfloat16);
}

}  // namespace
}  // namespace glia
