// Turning a draw into an expression's value, shared by the random and Sobol samplers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "glia/platform/sweep_space.hpp"

namespace glia::platform::sweeps::detail {

// True for the kinds drawn from a normal distribution (normal, qnormal, lognormal, qlognormal).
bool is_normal_family(ExpressionKind kind);

// The value of `e` for a uniform draw u in (0, 1): choice and randint pick floor(u * n), the
// uniform family min + u * (max - min); the normal family is mapped through the inverse normal
// CDF (value_from_normal).
nlohmann::json value_from_uniform(const Expression& e, double u);

// The value of a normal-family `e` for a standard normal draw z: mu + sigma * z, then exp for the
// log-forms, then the quantization for the q-forms.
nlohmann::json value_from_normal(const Expression& e, double z);

// Acklam's approximation of the inverse standard normal CDF (relative error < 1.2e-9), p in (0, 1).
double inverse_normal_cdf(double p);

// splitmix64: a bijective 64-bit mixer; the counter-based generator of the samplers.
uint64_t splitmix64(uint64_t x);
// A uniform double in (0, 1) from 64 random bits (never 0 nor 1).
double unit_from_bits(uint64_t bits);
// FNV-1a of a string, stable across platforms (std::hash is not).
uint64_t fnv1a(const std::string& s);

}  // namespace glia::platform::sweeps::detail
