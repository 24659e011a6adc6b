// What saving.cpp and model_lookup.cpp share: file tests, and why a config did not take the
// model.* weights beside it.
#pragma once

#include <filesystem>
#include <string>

namespace glia::formats {

/// The extension of `path`, lower-cased (".keras", ".h5", ".json").
std::string lower_extension(const std::string& path);
/// Whether `p` is a regular file (following links); false on any error.
bool is_file(const std::filesystem::path& p);
/// Why model.weights.h5 / model.h5 beside the config `json_path` were not taken: they are
/// (or may be) another config's; "" when there are none, or they were looked for.
std::string others_weights(const std::string& json_path);

}  // namespace glia::formats
