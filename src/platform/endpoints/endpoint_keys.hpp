// Making and sealing an endpoint's bearer keys (endpoint_keys.cpp): 32 random bytes each, as
// base64url text, kept only sealed with the workspace's secret key (secret_box.hpp).
#pragma once

#include <string>

#include "glia/platform/endpoints.hpp"

namespace glia::platform::endpoints {

/// A new random key: 32 bytes from randombytes_buf as 43 base64url characters.
std::string new_endpoint_key();
/// Both keys sealed with the workspace's key (its key file made on first use).
std::string seal_endpoint_keys(Workspace& ws, const EndpointKeys& keys);
/// Refuses a remote workspace (InvalidArgument): its endpoint keys live on its server.
void require_keys_here(const Workspace& ws, const std::string& what);

}  // namespace glia::platform::endpoints
