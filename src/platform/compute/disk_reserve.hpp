// Room kept for a run's last word. The agent keeps a small preallocated file in the workspace
// (.glia/agent/space.reserve); when the disk fills up while a job ends, finishing releases it so
// that the run's final status and reason can still be written, instead of the run staying
// Running with nobody able to say why. The agent makes it again once space has returned.
#pragma once

#include <cstdint>
#include <filesystem>

namespace glia::platform::compute {

inline constexpr int64_t kReserveBytes = 4 << 20;

/// The reserve's path in the workspace.
std::filesystem::path reserve_path(const std::filesystem::path& workspace_root);

/// Makes the reserve if it is missing and the disk has room for it; true if it is there after.
bool ensure_reserve(const std::filesystem::path& workspace_root);

/// Frees the reserve's space (removes the file); true if there was one to free.
bool release_reserve(const std::filesystem::path& workspace_root);

}  // namespace glia::platform::compute
