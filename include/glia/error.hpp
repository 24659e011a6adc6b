// The one exception type the engine throws for bad input: a one-line message that names the
// thing and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace glia {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace glia
