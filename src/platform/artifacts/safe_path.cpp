// safe_relative_path: the one check every path from a user, a manifest or a request goes
// through before it is joined to a folder on disk.
#include <string>

#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/input_limits.hpp"
#include "glia/platform/safe_path.hpp"

namespace glia::platform {

namespace {

constexpr size_t kMaxPathLength = 4096;

std::string shown(const std::string& path) {
  std::string s;
  for (char c : path) s += c == '\0' ? std::string("\\0") : std::string(1, c);
  return s.size() > 200 ? s.substr(0, 200) + "..." : s;
}

}  // namespace

std::string safe_relative_path(const std::string& path, const std::string& what) {
  auto fail = [&](const std::string& why) -> void {
    throw Error(what + " '" + shown(path) + "' " + why);
  };
  if (path.empty()) throw Error(what + " is empty");
  if (path.size() > kMaxPathLength)
    fail("is longer than " + std::to_string(kMaxPathLength) + " characters");
  if (path.find('\0') != std::string::npos) fail("contains a NUL byte");
  if (path.front() == '/') fail("is absolute; a relative path is needed");
  size_t start = 0;
  for (;;) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = std::string_view(path).substr(start, end - start);
    if (part.empty()) fail("has an empty component");
    if (part == "." || part == "..") fail("contains '" + std::string(part) + "'");
    if (end == path.size()) break;
    start = end + 1;
  }
  return path;  // already '/'-separated and free of redundant parts
}

std::string safe_path_component(const std::string& name, const std::string& what) {
  safe_relative_path(name, what);
  if (name.find('/') != std::string::npos)
    throw Error(what + " '" + shown(name) + "' contains '/'; a single name is needed");
  if (name.size() > kMaxFileNameBytes)
    throw Error(what + " '" + shown(name) + "' is longer than " +
                std::to_string(kMaxFileNameBytes) + " bytes (the longest file name)");
  return name;
}

}  // namespace glia::platform
