// `glia endpoint serve --config FILE`: the endpoint process itself (docs/endpoints.md, "The
// endpoint process"), started by the agent that supervises the endpoint.
#pragma once

#include <CLI/CLI.hpp>

namespace glia::cli {

/// Adds `serve` to the `glia endpoint` group.
void add_endpoint_serve(CLI::App& endpoint_group);

}  // namespace glia::cli
