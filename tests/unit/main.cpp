// The unit tests' entry point: like gtest_main, plus the op harness's per-backend tests, which
// are registered here, after every backend (including self-registering ones) is known.
#include <gtest/gtest.h>

namespace glia::test {
void register_backend_op_tests();
}

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  glia::test::register_backend_op_tests();
  return RUN_ALL_TESTS();
}
