// The options `glia endpoint create` and `update` share, and the requests they make of them
// and of Azure CLI v2 YAML files (-f): a flag given wins over the files.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "glia/platform/endpoints.hpp"

namespace glia::cli {

struct EndpointSpecArgs {
  std::vector<std::string> files;
  std::optional<std::string> name, model, host, auth, scoring_script, code, environment,
      description;
  std::optional<int64_t> port, instances, max_batch_size, max_queue_delay_us, max_queue,
      max_body_bytes, max_rows, request_timeout_ms;
  std::vector<std::string> tags;
};

/// Adds the options; `create` adds --name and the ones fixed at creation (--host, --port).
void add_endpoint_spec_options(CLI::App* cmd, EndpointSpecArgs& args, bool create);

/// The request of `glia endpoint create`: the files read in order, then the flags; the Python
/// environment built first when it is not (its output on stderr).
platform::EndpointCreate endpoint_create_request(platform::Workspace& ws,
                                                 const EndpointSpecArgs& args);
/// The same for `update` (only what is given changes).
platform::EndpointUpdate endpoint_update_request(platform::Workspace& ws, const std::string& name,
                                                 const EndpointSpecArgs& args);

/// When no agent serves a local workspace where the user owns endpoints (after a reboot, or
/// the agent killed), starts one: it serves them again.
void keep_endpoints_served(platform::Workspace& ws);

}  // namespace glia::cli
