// Random sampling: a counter-based draw per (seed, trial index, parameter name), so trial k's
// parameters never depend on the trials drawn before it.
#include <cmath>
#include <numbers>

#include "glia/error.hpp"
#include "glia/platform/sweep_space.hpp"
#include "sweeps/expression_value.hpp"

namespace glia::platform::sweeps {

Parameters sample_random(const SearchSpace& space, uint64_t seed, int64_t index) {
  if (index < 0) {
    throw Error("random sampling: trial index must be >= 0, got " + std::to_string(index));
  }
  using detail::splitmix64;
  Parameters out;
  for (const auto& [name, e] : space) {
    // The key of this draw: seed, index and name mixed through splitmix64; the uniforms are
    // the key's splitmix64 stream.
    const uint64_t key = splitmix64(splitmix64(splitmix64(seed) ^ static_cast<uint64_t>(index)) ^
                                    detail::fnv1a(name));
    const double u1 = detail::unit_from_bits(splitmix64(key));
    if (detail::is_normal_family(e.kind)) {
      // Box-Muller from two uniforms in (0, 1).
      const double u2 = detail::unit_from_bits(splitmix64(key + 0x9E3779B97F4A7C15ULL));
      const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
      out.emplace(name, detail::value_from_normal(e, z));
    } else {
      out.emplace(name, detail::value_from_uniform(e, u1));
    }
  }
  return out;
}

}  // namespace glia::platform::sweeps
