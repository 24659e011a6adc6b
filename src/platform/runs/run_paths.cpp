#include "glia/platform/run_paths.hpp"

namespace glia::platform {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

void move_paths(nlohmann::json& values, const std::string& from, const std::string& to) {
  if (!values.is_object()) return;
  for (auto& [name, value] : values.items())
    if (value.is_string()) value = replace_all(value.get<std::string>(), from, to);
}

}  // namespace glia::platform
