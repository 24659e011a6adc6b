// `--threads 0` (every program's default) means $GLIA_THREADS, else $OMP_NUM_THREADS, else the
// usable cores: how a job on the local target gets its share of the cores.
#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>

#include <optional>
#include <string>

#include "glia/error.hpp"
#include "glia/runtime.hpp"

namespace glia {
namespace {

// Sets (or unsets) a variable for one test, restoring it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

int affinity_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  return CPU_COUNT(&set);
}

TEST(RuntimeThreads, GliaThreadsThenOmpNumThreadsThenTheUsableCores) {
  {
    ScopedEnv g("GLIA_THREADS", "3"), o("OMP_NUM_THREADS", "5");
    EXPECT_EQ(default_num_threads(), 3);
  }
  {
    ScopedEnv g("GLIA_THREADS", nullptr), o("OMP_NUM_THREADS", "5");
    EXPECT_EQ(default_num_threads(), 5);
  }
  {
    ScopedEnv g("GLIA_THREADS", nullptr), o("OMP_NUM_THREADS", "2,1");  // nested: the outer
    EXPECT_EQ(default_num_threads(), 2);
  }
  {
    ScopedEnv g("GLIA_THREADS", nullptr), o("OMP_NUM_THREADS", nullptr);
    EXPECT_EQ(default_num_threads(), affinity_cores());
  }
}

TEST(RuntimeThreads, ZeroHonoursOmpNumThreads) {
  const int before = num_threads();
  {
    ScopedEnv g("GLIA_THREADS", nullptr), o("OMP_NUM_THREADS", "1");
    set_num_threads(0);
    EXPECT_EQ(num_threads(), 1);
  }
  set_num_threads(before);
}

TEST(RuntimeThreads, ABadValueIsRefusedNamingTheVariable) {
  for (const char* bad : {"0", "-2", "lots", "2x"}) {
    ScopedEnv g("GLIA_THREADS", bad);
    try {
      default_num_threads();
      ADD_FAILURE() << "accepted GLIA_THREADS=" << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("GLIA_THREADS"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace glia
