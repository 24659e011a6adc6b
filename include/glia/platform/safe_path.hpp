// The checked helpers every path made from user-given text goes through (src/platform/artifacts/
// safe_path.cpp). `safe_relative_path` (declared in artifact_store.hpp) checks a relative path;
// `safe_path_component` checks one name that becomes a single folder or file name.
#pragma once

#include <string>

namespace glia::platform {

/// Returns `name` when it can be joined to a folder as exactly one component: not empty, no '/',
/// not "." or "..", no NUL, at most kMaxFileNameBytes. Throws glia::Error
/// "<what> '<name>' ..." otherwise.
std::string safe_path_component(const std::string& name, const std::string& what);

}  // namespace glia::platform
