// The platform's one wall clock: seconds since the Unix epoch, as stored with runs and metrics.
#pragma once

#include <chrono>

namespace glia::platform {

inline double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace glia::platform
