// Jobs share the cores: the share computation, the variables a job gets, resources.threads,
// a target's threads_per_job, and the agent giving concurrent jobs their share.
#include <gtest/gtest.h>
#include <sched.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compute/thread_share.hpp"
#include "error_of.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/local_agent.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;
using testing_util::error_of;

TEST(ThreadShare, CoresAreDividedByTheJobsRunningAtOnceAtLeastOne) {
  EXPECT_EQ(compute::thread_share({}, {}, 8, 1).threads, 8);
  EXPECT_EQ(compute::thread_share({}, {}, 8, 2).threads, 4);
  EXPECT_EQ(compute::thread_share({}, {}, 8, 3).threads, 2);
  EXPECT_EQ(compute::thread_share({}, {}, 2, 4).threads, 1);
  EXPECT_EQ(compute::thread_share({}, {}, 1, 1).threads, 1);
  EXPECT_EQ(compute::thread_share({}, {}, 4, 0).threads, 4);  // never divides by zero
  EXPECT_EQ(compute::thread_share({}, {}, 2, 4).reason, "2 cores shared by 4 jobs");
}

TEST(ThreadShare, TheJobsOwnCountWinsThenTheTargets) {
  EXPECT_EQ(compute::thread_share(3, 5, 8, 4).threads, 3);
  EXPECT_EQ(compute::thread_share(3, 5, 8, 4).reason, "the job's resources.threads");
  EXPECT_EQ(compute::thread_share({}, 5, 8, 4).threads, 5);
  EXPECT_EQ(compute::thread_share({}, 5, 8, 4).reason, "the compute target's threads_per_job");
}

TEST(ThreadShare, UsableCoresFollowTheAffinity) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_EQ(compute::usable_cores(), CPU_COUNT(&set));
}

TEST(ThreadShare, ExportedTheUsualWaysUnlessTheJobSetsThem) {
  std::map<std::string, std::string> env{{"PATH", "/bin"}, {"OMP_NUM_THREADS", "64"}};
  compute::export_threads(env, 3, {});
  for (const char* name :
       {"OMP_NUM_THREADS", "GLIA_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
        "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"})
    EXPECT_EQ(env[name], "3") << name;
  EXPECT_EQ(env["OMP_WAIT_POLICY"], "PASSIVE");  // idle threads sleep
  EXPECT_EQ(env["PATH"], "/bin");

  std::map<std::string, std::string> user{{"OMP_NUM_THREADS", "7"}, {"GOMP_SPINCOUNT", "5"}};
  std::map<std::string, std::string> env2 = user;
  compute::export_threads(env2, 2, user);
  EXPECT_EQ(env2["OMP_NUM_THREADS"], "7");  // the user wins
  EXPECT_EQ(env2["GLIA_THREADS"], "2");
  EXPECT_EQ(env2["GOMP_SPINCOUNT"], "5");
  EXPECT_FALSE(env2.count("OMP_WAIT_POLICY"));  // the user chose a spin policy
}

TEST(JobResources, ThreadsIsAPositiveIntegerKey) {
  const fs::path dir = fs::temp_directory_path();
  EXPECT_EQ(parse_job_spec("command: x\nresources: {threads: 3}\n", "job.yml", dir).threads, 3);
  EXPECT_FALSE(parse_job_spec("command: x\n", "job.yml", dir).threads);
  EXPECT_EQ(to_json(parse_job_spec("command: x\nresources: {threads: 2}\n", "job.yml",
                                   dir))["resources"]["threads"],
            2);
  for (const char* bad : {"0", "-1", "1.5", "many", "''"}) {
    const std::string msg = error_of([&] {
      parse_job_spec(std::string("command: x\nresources: {threads: ") + bad + "}\n", "job.yml",
                     dir);
    });
    EXPECT_NE(msg.find("resources.threads"), std::string::npos) << msg;
  }
}

class JobThreads : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("jt");
    fs::create_directories(dir_ / "code");
    std::ofstream(dir_ / "code" / "t.sh")
        << "mkdir -p outputs && echo \"$OMP_NUM_THREADS $GLIA_THREADS $MKL_NUM_THREADS "
           "${OMP_WAIT_POLICY:-none}\" > outputs/t.txt\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunRecord submit(Workspace& ws, const std::string& extra) {
    return submit_job(ws, parse_job_spec("command: sh t.sh\ncode: code\n" + extra, "job.yml", dir_),
                      {current_environment(), {}});
  }
  std::string seen(Workspace& ws, const std::string& id) {
    for (const RunFile& f : ws.store().run_files(id))
      if (f.path == "outputs/t.txt") return ArtifactStore(ws.artifacts_path()).read_blob(f.sha256);
    return "(no outputs/t.txt)";
  }
  fs::path dir_;
};

TEST_F(JobThreads, JobsStartedTogetherShareTheCoresAndRecordIt) {
  Workspace ws = Workspace::init(dir_ / "ws");
  ws.store().create_compute({"quad", "local", 4, "", 0});
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(submit(ws, "compute: quad\n").id);
  const std::string own = submit(ws, "compute: quad\nresources: {threads: 5}\n").id;
  AgentOptions options;
  options.idle_exit_seconds = 0.2;
  ASSERT_TRUE(run_local_agent(ws.root(), options));
  const std::string share = std::to_string(std::max(1, compute::usable_cores() / 4));
  for (const auto& id : ids) {
    const RunRecord r = ws.store().get_run(id);
    ASSERT_EQ(r.status, RunStatus::Completed) << r.error;
    EXPECT_EQ(seen(ws, id), share + " " + share + " " + share + " PASSIVE\n");
    EXPECT_EQ(r.properties.at("threads"), share);
    EXPECT_EQ(r.properties.at("threads_from"),
              std::to_string(compute::usable_cores()) + " cores shared by 4 jobs");
  }
  EXPECT_EQ(seen(ws, own), "5 5 5 PASSIVE\n");
  EXPECT_EQ(ws.store().get_run(own).properties.at("threads"), "5");
}

TEST_F(JobThreads, TargetThreadsPerJobAndTheJobsVariablesWin) {
  Workspace ws = Workspace::init(dir_ / "ws");
  ComputeTarget t{"pinned", "local", 2, "", 0};
  t.threads_per_job = 3;
  ws.store().create_compute(t);
  const std::string a = submit(ws, "compute: pinned\n").id;
  const std::string b = submit(ws,
                               "compute: pinned\nenvironment_variables: {OMP_NUM_THREADS: '9', "
                               "OMP_WAIT_POLICY: ACTIVE}\n")
                            .id;
  AgentOptions options;
  options.idle_exit_seconds = 0.2;
  ASSERT_TRUE(run_local_agent(ws.root(), options));
  EXPECT_EQ(seen(ws, a), "3 3 3 PASSIVE\n");
  EXPECT_EQ(seen(ws, b), "9 3 3 ACTIVE\n");
  EXPECT_EQ(ws.store().get_run(a).properties.at("threads_from"),
            "the compute target's threads_per_job");
}

TEST(ComputeTargetCheck, ThreadsPerJobMustBePositive) {
  ComputeTarget t{"x", "local", 1, "", 0};
  t.threads_per_job = 0;
  EXPECT_THROW(check_compute(t), Error);
  t.threads_per_job = 2;
  EXPECT_NO_THROW(check_compute(t));
}

}  // namespace
}  // namespace glia::platform
