// Sobol sampling (Azure's `rule: sobol`): point index + 1 of a Sobol sequence in Gray-code order,
// with Joe and Kuo's direction numbers (new-joe-kuo-6.21201), scrambled by a random digital
// shift drawn from the seed.
#include <array>
#include <cstdint>

#include "glia/error.hpp"
#include "glia/platform/sweep_space.hpp"
#include "sweeps/expression_value.hpp"

namespace glia::platform::sweeps {

namespace {

constexpr int kBits = 32;

// One row of Joe and Kuo's table for dimensions 2, 3, ...: degree s, coefficients a, the
// initial direction integers m_1..m_s.
struct JoeKuoRow {
  int s;
  uint32_t a;
  std::array<uint32_t, 7> m;
};

constexpr std::array<JoeKuoRow, 21> kJoeKuo = {{
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
    {7, 7, {1, 1, 7, 13, 25, 5, 37}},
}};

using Directions = std::array<uint32_t, kBits>;  // v_1..v_32 scaled by 2^32

Directions directions(std::size_t dimension) {
  Directions v{};
  if (dimension == 0) {  // van der Corput
    for (int i = 0; i < kBits; ++i) v[i] = 1U << (kBits - 1 - i);
    return v;
  }
  const JoeKuoRow& row = kJoeKuo[dimension - 1];
  const int s = row.s;
  for (int i = 0; i < s; ++i) v[i] = row.m[i] << (kBits - 1 - i);
  for (int i = s; i < kBits; ++i) {
    uint32_t x = v[i - s] ^ (v[i - s] >> s);
    for (int k = 1; k < s; ++k) {
      if ((row.a >> (s - 1 - k)) & 1U) x ^= v[i - k];
    }
    v[i] = x;
  }
  return v;
}

const std::array<Directions, kJoeKuo.size() + 1>& all_directions() {
  static const auto table = [] {
    std::array<Directions, kJoeKuo.size() + 1> t{};
    for (std::size_t d = 0; d < t.size(); ++d) t[d] = directions(d);
    return t;
  }();
  return table;
}

// The 32-bit integer coordinates of Sobol point n (Gray-code order).
uint32_t coordinate(std::size_t dimension, uint64_t n) {
  const auto& v = all_directions()[dimension];
  const uint64_t gray = n ^ (n >> 1);
  uint32_t x = 0;
  for (int j = 0; j < kBits; ++j) {
    if ((gray >> j) & 1U) x ^= v[j];
  }
  return x;
}

void check_dimensions(std::size_t dimensions) {
  if (dimensions > sobol_max_dimensions()) {
    throw Error("sobol sampling: at most " + std::to_string(sobol_max_dimensions()) +
                " parameters, got " + std::to_string(dimensions));
  }
}

}  // namespace

std::size_t sobol_max_dimensions() {
  return kJoeKuo.size() + 1;
}

std::vector<double> sobol_unit_point(std::size_t dimensions, uint64_t n) {
  check_dimensions(dimensions);
  if (n >= (uint64_t{1} << kBits)) {
    throw Error("sobol sampling: point " + std::to_string(n) + " is past the sequence's 2^32");
  }
  std::vector<double> point(dimensions);
  for (std::size_t d = 0; d < dimensions; ++d) {
    point[d] = static_cast<double>(coordinate(d, n)) * 0x1.0p-32;
  }
  return point;
}

Parameters sample_sobol(const SearchSpace& space, uint64_t seed, int64_t index) {
  check_dimensions(space.size());
  if (index < 0 || static_cast<uint64_t>(index) + 1 >= (uint64_t{1} << kBits)) {
    throw Error("sobol sampling: trial index must be in [0, 2^32 - 1), got " +
                std::to_string(index));
  }
  const auto n = static_cast<uint64_t>(index) + 1;  // the origin is skipped
  Parameters out;
  std::size_t d = 0;
  for (const auto& [name, e] : space) {
    // The digital shift of this dimension: 32 random bits from the seed alone, so every point
    // of one sweep is shifted alike (the shift keeps the sequence's low discrepancy).
    const auto shift =
        static_cast<uint32_t>(detail::splitmix64(detail::splitmix64(seed) + d) >> 32);
    const uint32_t x = coordinate(d, n) ^ shift;
    const double u = (static_cast<double>(x) + 0.5) * 0x1.0p-32;  // strictly inside (0, 1)
    out.emplace(name, detail::value_from_uniform(e, u));
    ++d;
  }
  return out;
}

}  // namespace glia::platform::sweeps
