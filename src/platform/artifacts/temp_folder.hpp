// Each process's own folder for the artifact store's temporary files, and the cleanup of the
// folders of processes that died (kill -9) without removing theirs.
#pragma once

#include <filesystem>

namespace glia::platform::artifacts {

/// <root>/tmp/w-XXXXXX: this process's temporary folder in the store rooted at `root`, created
/// on first use and held with an flock until the process exits. Before creating it, every
/// w-* folder whose lock is free (its process is gone) is removed, and so are loose files and
/// unfinished folders that older Glia versions or a crash left there more than a day ago.
std::filesystem::path temp_folder(const std::filesystem::path& root);

}  // namespace glia::platform::artifacts
