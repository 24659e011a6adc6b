// What builds look like on disk (.glia/envs/: locks/<hash>.lock, builds/<hash>-<nonce>/, the
// <hash> link) and the locks around them, shared by building and pruning. Private to
// src/platform/envs.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "glia/platform/environments.hpp"

namespace glia::platform::envs {

inline constexpr const char* kMarker = "glia-environment.json";  // written last in a build
inline constexpr const char* kRequirements = "glia-requirements.txt";

/// 64 lower-case hex digits.
bool is_build_hash(const std::string& name);
std::filesystem::path build_lock_path(const std::filesystem::path& root, const std::string& hash);

/// An exclusive flock on a file, held until destroyed.
class FileLock {
 public:
  /// Takes the lock, waiting for it; `on_wait` is called once when another holds it first.
  static FileLock wait(const std::filesystem::path& file, const std::function<void()>& on_wait);
  /// Takes it without waiting: nullopt when another holds it (or, with !create, when the file
  /// does not exist).
  static std::optional<FileLock> try_take(const std::filesystem::path& file, bool create);
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  ~FileLock();

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// The build folders of `hash` under root/builds ("builds/<hash>-<nonce>"), and the one the
/// <hash> link names ("" when it is not published).
std::vector<std::string> builds_of(const std::filesystem::path& root, const std::string& hash);
std::string published_build(const std::filesystem::path& root, const std::string& hash);

/// Removes the build folder root/`name` unless a job uses it (BuildUse), holding its record's
/// lock while it does; what happened goes into `result` (removed with its bytes, in_use, or
/// failed with the reason). With `dry_run`, only counts.
void remove_build(const std::filesystem::path& root, const std::string& name, bool dry_run,
                  PruneResult& result);

}  // namespace glia::platform::envs
