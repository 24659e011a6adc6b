// An endpoint's logs as `glia endpoint logs` and the REST API show them: the last lines of its
// process log (Azure's get_logs) or of its access log, read from .glia/endpoints/<name>/.
#pragma once

#include <cstdint>
#include <string>

#include "glia/platform/workspace.hpp"

namespace glia::platform {

/// The last `tail` lines (0: all) of the endpoint's process log, or of its access log; "" while
/// nothing was written. NotFound for an unknown endpoint.
std::string endpoint_log_tail(Workspace& ws, const std::string& name, int64_t tail,
                              bool access = false);

/// The byte offset where the last `tail` lines of `text` start (0: all of it).
size_t last_lines_offset(const std::string& text, int64_t tail);

}  // namespace glia::platform
