// The op harness's shared parts (tests/unit/test_backend_ops.cpp runs it): an OpCase (one Backend
// method on one set of shapes, run on a backend and on the reference backend), device buffers
// for the tested backend, and register_op_cases() for cases written in files of their own
// (test_backend_ops_<area>.cpp), so that each area's kernels keep their cases beside them.
#pragma once

#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "glia/backend.hpp"
#include "glia/tensor.hpp"

namespace glia::op_harness {

struct OpCase {
  std::string op;     // the Backend method
  std::string label;  // shapes and parameters
  std::function<void(Backend& ref, Backend& be)> run;
  /// Backends on which the case is a known, reported bug: registered as DISABLED_ there (run
  /// them with --gtest_also_run_disabled_tests). Remove the entry once the bug is fixed.
  std::set<std::string> known_failures = {};
};

inline std::string fmt(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

inline const float kNaN = std::numeric_limits<float>::quiet_NaN();
inline const float kInf = std::numeric_limits<float>::infinity();

// Memory the tested backend can address: a Tensor from the current tensor allocator (the test
// calls use_backend(), which installs the backend's allocator, e.g. CUDA managed memory). The
// reference side uses plain vectors.
struct Dev {
  Tensor t;
  explicit Dev(const std::vector<float>& v)
      : t(Tensor::from({static_cast<int64_t>(v.size())}, v)) {}
  float* p() { return t.data(); }
  /// Waits for the backend, then copies the contents back to the host.
  std::vector<float> read(Backend& be) const {
    be.synchronize();
    return t.to_vector();
  }
};

using CaseAdder = void (*)(std::vector<OpCase>& cases);
/// The adders registered by the area files (from static initializers: the test binary links
/// every object file). all_cases() calls them after its own.
inline std::vector<CaseAdder>& registered_adders() {
  static std::vector<CaseAdder> adders;
  return adders;
}
/// `static const bool registered = register_op_cases(add_conv_cases);` in an area's file.
inline bool register_op_cases(CaseAdder adder) {
  registered_adders().push_back(adder);
  return true;
}

}  // namespace glia::op_harness
