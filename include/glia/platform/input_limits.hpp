// The bounds on what a user, a job or a client can hand the platform in one piece: documents,
// nodes of a parsed document, lines of a tracking file, names that become file names. One place,
// so that docs/jobs.md and docs/tracking-protocol.md can quote them and the checks agree.
#pragma once

#include <cstddef>

namespace glia::platform {

/// A job YAML file (or `parse_job_spec` text) larger than this is refused before it is parsed.
inline constexpr std::size_t kMaxJobFileBytes = std::size_t{1} << 20;  // 1 MiB

/// The YAML nodes one walk of a parsed job file may visit. An alias counts every time it is
/// used, so a "billion laughs" document (aliases of aliases) is refused instead of expanded.
inline constexpr std::size_t kMaxJobFileNodes = 100'000;

/// A tracking-file line, its "\n" included; longer lines are skipped and reported.
inline constexpr std::size_t kMaxTrackingLineBytes = std::size_t{4} << 20;  // 4 MiB

/// Experiment names follow the asset name rule ([A-Za-z0-9][A-Za-z0-9._-]*) and are at most this
/// long: a run id is "<experiment>_<unix seconds>_<8 hex digits>" and names the run's folder, so
/// it must fit a file name (255 bytes) with 20 to spare.
inline constexpr std::size_t kMaxExperimentNameLength = 235;

/// A file name (one path component) on Linux file systems.
inline constexpr std::size_t kMaxFileNameBytes = 255;

}  // namespace glia::platform
