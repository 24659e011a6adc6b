// Whether a job gets Glia's azureml.core shim: its GLIA_AZUREML_SHIM, checked at submit (a value
// that means neither on nor off is refused) and read again by the agent.
#include <algorithm>
#include <cctype>

#include "glia/error.hpp"
#include "glia/platform/environments.hpp"

namespace glia::platform {

bool azureml_shim_enabled(const std::map<std::string, std::string>& job_variables) {
  const auto it = job_variables.find("GLIA_AZUREML_SHIM");
  if (it == job_variables.end()) return true;
  std::string v = it->second;
  std::transform(v.begin(), v.end(), v.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v == "1" || v == "true" || v == "on" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "off" || v == "no") return false;
  throw Error("environment_variables.GLIA_AZUREML_SHIM: '" + it->second +
              "' (expected 0/false/off/no to leave Glia's azureml.core out of the job, or "
              "1/true/on/yes)");
}

}  // namespace glia::platform
