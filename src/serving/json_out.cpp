// JSON string literals (json_out.hpp).
#include "json_out.hpp"

#include <nlohmann/json.hpp>

namespace glia::serving::detail {

std::string json_string(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace glia::serving::detail
