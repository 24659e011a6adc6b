// Migration 6's data step, shared by the stores: a run's recorded spec keeps only the allow-listed
// variables of its environment (glia/platform/environment.hpp).
#pragma once

#include <optional>
#include <string>

namespace glia::platform {

/// The spec with its environment scrubbed, or nullopt when nothing needs to change. Throws
/// glia::Error (Corrupt) for a spec that is not a JSON object.
std::optional<std::string> scrubbed_spec(const std::string& run_id, const std::string& spec);

}  // namespace glia::platform
