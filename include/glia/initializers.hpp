// Weight initializers with Keras names and formulas; every draw comes from an explicit seed.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "glia/tensor.hpp"

namespace glia {

/// Deterministic random source (64-bit Mersenne Twister with portable distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : engine_(seed) {}
  double uniform();  // [0, 1)
  double normal();   // standard normal (Box-Muller, portable)
  uint64_t next() { return engine_(); }
  /// Uniform integer in [0, n).
  uint64_t below(uint64_t n);
  /// The generator's state as text (the standard << of its engine), and back: after
  /// set_engine_state(s) the draws are those that followed engine_state() == s. A pending normal()
  /// draw is not part of it (set_engine_state drops one). Throws glia::Error when `text` is not a
  /// state.
  std::string engine_state() const;
  void set_engine_state(const std::string& text);

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

struct InitializerSpec {
  /// glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_normal, lecun_uniform, zeros,
  /// ones, random_normal, random_uniform, constant.
  std::string name = "glorot_uniform";
  double mean = 0.0, stddev = 0.05;      // random_normal
  double minval = -0.05, maxval = 0.05;  // random_uniform
  double value = 0.0;                    // constant
  /// Keras' per-initializer seed: when set, these weights are drawn from their own generator
  /// seeded with it (the same values whatever else the model holds), not the model's.
  std::optional<uint64_t> seed;

  static InitializerSpec parse(const std::string& name);  // throws glia::Error if unknown
};

/// While one is alive on this thread, initialize() leaves tensors as they are (zeros). For
/// loaders that overwrite every weight right after building a model from its config.
class SkipInitialization {
 public:
  SkipInitialization();
  ~SkipInitialization();
  SkipInitialization(const SkipInitialization&) = delete;
  SkipInitialization& operator=(const SkipInitialization&) = delete;

 private:
  bool previous_;
};

/// Fills t according to the spec. Fans follow Keras compute_fans: for a 2-D kernel
/// fan_in = shape[0], fan_out = shape[1]; for 1-D both are shape[0].
void initialize(Tensor& t, const InitializerSpec& spec, Rng& rng);

}  // namespace glia
