#include "glia/initializers.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "glia/error.hpp"

namespace glia {

double Rng::uniform() {
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = 0.0;
  while (u1 <= 0.0) u1 = uniform();
  double u2 = uniform();
  double r = std::sqrt(-2.0 * std::log(u1));
  spare_ = r * std::sin(2.0 * M_PI * u2);
  has_spare_ = true;
  return r * std::cos(2.0 * M_PI * u2);
}

uint64_t Rng::below(uint64_t n) {
  // Rejection sampling keeps the draw unbiased.
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t v;
  do v = engine_();
  while (v >= limit);
  return v % n;
}

std::string Rng::engine_state() const {
  std::ostringstream out;
  out << engine_;
  return out.str();
}

void Rng::set_engine_state(const std::string& text) {
  std::istringstream in(text);
  std::mt19937_64 engine;
  std::string rest;
  in >> engine;
  if (in.fail() || (in >> rest)) throw Error("not a random generator's state");
  engine_ = engine;
  has_spare_ = false;
}

InitializerSpec InitializerSpec::parse(const std::string& name) {
  static const char* kNames[] = {"glorot_uniform", "glorot_normal",  "he_uniform", "he_normal",
                                 "lecun_normal",   "lecun_uniform",  "zeros",      "ones",
                                 "random_normal",  "random_uniform", "constant"};
  for (const char* n : kNames)
    if (name == n) return InitializerSpec{name};
  throw Error("unknown initializer '" + name +
              "' (expected glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_normal, "
              "lecun_uniform, zeros, ones, random_normal, random_uniform or constant)");
}

namespace {

void fans(const Shape& s, double& fan_in, double& fan_out) {
  if (s.empty()) {
    fan_in = fan_out = 1;
  } else if (s.size() == 1) {
    fan_in = fan_out = static_cast<double>(s[0]);
  } else if (s.size() == 2) {
    fan_in = static_cast<double>(s[0]);
    fan_out = static_cast<double>(s[1]);
  } else {  // convolution kernels: receptive field × channels
    double field = 1;
    for (size_t i = 0; i + 2 < s.size(); ++i) field *= static_cast<double>(s[i]);
    fan_in = static_cast<double>(s[s.size() - 2]) * field;
    fan_out = static_cast<double>(s.back()) * field;
  }
}

// Keras VarianceScaling: truncated normal (±2σ) with σ corrected by 0.8796…, or uniform.
void variance_scaling(Tensor& t, Rng& rng, double scale, const std::string& mode, bool normal) {
  double fan_in, fan_out;
  fans(t.shape(), fan_in, fan_out);
  double n = mode == "fan_in" ? fan_in : mode == "fan_out" ? fan_out : (fan_in + fan_out) / 2.0;
  double var = scale / std::max(1.0, n);
  float* p = t.data();
  if (normal) {
    double stddev = std::sqrt(var) / 0.87962566103423978;
    for (int64_t i = 0; i < t.size(); ++i) {
      double z;
      do z = rng.normal();
      while (std::fabs(z) > 2.0);
      p[i] = static_cast<float>(z * stddev);
    }
  } else {
    double limit = std::sqrt(3.0 * var);
    for (int64_t i = 0; i < t.size(); ++i)
      p[i] = static_cast<float>((2.0 * rng.uniform() - 1.0) * limit);
  }
}

}  // namespace

namespace {
thread_local bool skip_initialization = false;
}  // namespace

SkipInitialization::SkipInitialization() : previous_(skip_initialization) {
  skip_initialization = true;
}
SkipInitialization::~SkipInitialization() {
  skip_initialization = previous_;
}

void initialize(Tensor& t, const InitializerSpec& spec, Rng& model_rng) {
  if (skip_initialization) return;
  std::optional<Rng> own;
  if (spec.seed) own.emplace(*spec.seed);
  Rng& rng = own ? *own : model_rng;
  const std::string& n = spec.name;
  if (n == "zeros") return t.fill(0.0f);
  if (n == "ones") return t.fill(1.0f);
  if (n == "constant") return t.fill(static_cast<float>(spec.value));
  if (n == "glorot_uniform") return variance_scaling(t, rng, 1.0, "fan_avg", false);
  if (n == "glorot_normal") return variance_scaling(t, rng, 1.0, "fan_avg", true);
  if (n == "he_uniform") return variance_scaling(t, rng, 2.0, "fan_in", false);
  if (n == "he_normal") return variance_scaling(t, rng, 2.0, "fan_in", true);
  if (n == "lecun_normal") return variance_scaling(t, rng, 1.0, "fan_in", true);
  if (n == "lecun_uniform") return variance_scaling(t, rng, 1.0, "fan_in", false);
  float* p = t.data();
  if (n == "random_normal") {
    for (int64_t i = 0; i < t.size(); ++i)
      p[i] = static_cast<float>(spec.mean + spec.stddev * rng.normal());
    return;
  }
  if (n == "random_uniform") {
    for (int64_t i = 0; i < t.size(); ++i)
      p[i] = static_cast<float>(spec.minval + (spec.maxval - spec.minval) * rng.uniform());
    return;
  }
  InitializerSpec::parse(n);  // throws the unknown-name error
}

}  // namespace glia
