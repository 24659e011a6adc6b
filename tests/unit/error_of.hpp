// The message of the glia::Error a call throws: a test failure when it throws none.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "glia/error.hpp"

namespace glia::testing_util {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a glia::Error";
  return "(no error)";
}

}  // namespace glia::testing_util
