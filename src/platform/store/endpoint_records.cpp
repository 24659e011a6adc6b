// Endpoint states by name (endpoint_records.hpp), as `glia endpoint` prints them and the stores
// keep them.
#include "glia/platform/endpoint_records.hpp"

#include <array>

#include "glia/error.hpp"
#include "glia/escape.hpp"

namespace glia::platform {

namespace {

constexpr std::array<std::string_view, 5> kNames = {"Creating", "Healthy", "Unhealthy", "Failed",
                                                    "Deleting"};

}  // namespace

std::string_view endpoint_state_name(EndpointState state) {
  const auto i = static_cast<size_t>(state);
  if (i >= kNames.size()) throw Error(ErrorKind::Internal, "endpoint state out of range");
  return kNames[i];
}

EndpointState parse_endpoint_state(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (name == kNames[i]) return static_cast<EndpointState>(i);
  std::string all;
  for (std::string_view n : kNames) all += (all.empty() ? "" : ", ") + std::string(n);
  throw Error("unknown endpoint state " + quote_bytes(name) + " (expected one of " + all + ")");
}

}  // namespace glia::platform
