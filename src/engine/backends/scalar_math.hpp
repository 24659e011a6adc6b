// Scalar building blocks shared by the backends (element formulas, the dropout hash). The loops
// around them differ per backend; the formulas must not.
#pragma once

#include <cmath>
#include <cstdint>

namespace glia::detail {

inline float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}

// Exact GELU (Keras approximate=False): x Φ(x).
inline float gelu(float x) {
  return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
}
inline float gelu_grad(float x) {
  float cdf = 0.5f * (1.0f + std::erf(x * 0.70710678118654752f));
  float pdf = 0.39894228040143268f * std::exp(-0.5f * x * x);
  return cdf + x * pdf;
}

// Counter-based uniform in [0, 1): SplitMix64 finaliser of (seed, index).
inline float hash_uniform(uint64_t seed, uint64_t index) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * 0x1.0p-24f;
}

constexpr float kEpsilon = 1e-7f;  // Keras backend epsilon(): clipping of probabilities

}  // namespace glia::detail
