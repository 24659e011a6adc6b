// A run made from another one (a sweep's trial from its sweep, a resumed run from the run it
// resumes) gets that run's recorded command and inputs, whose paths name the other run's folder:
// these move them to the new run's.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace glia::platform {

/// `text` with every occurrence of `from` replaced by `to` (`from` empty: unchanged).
std::string replace_all(std::string text, const std::string& from, const std::string& to);

/// In a JSON object of input values (a run's recorded "inputs" or "dataset_inputs"), every string
/// value with `from` replaced by `to`; anything but an object is left as it is.
void move_paths(nlohmann::json& values, const std::string& from, const std::string& to);

}  // namespace glia::platform
