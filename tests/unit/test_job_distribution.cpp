// Distributed jobs: the spec's `distribution` / `resources.instance_count` (parse, --set, JSON),
// and the launch lines and rank wrapper of distributed_launch.hpp, run through a real /bin/sh.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>

#include "compute/distributed_launch.hpp"
#include "error_of.hpp"
#include "glia/error.hpp"
#include "glia/platform/job_spec.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;
using compute::Distribution;
using testing_util::error_of;

JobSpec parse(const std::string& yaml) {
  return parse_job_spec(yaml, "job.yml", fs::current_path());
}

void expect_error(const std::string& yaml, std::initializer_list<std::string> parts) {
  const std::string message = error_of([&] { parse(yaml); });
  for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
}

TEST(JobDistribution, MpiAsAzureCliV2WritesIt) {
  const JobSpec spec = parse(
      "command: python train.py\n"
      "distribution:\n  type: mpi\n  process_count_per_instance: 4\n"
      "resources:\n  instance_count: 2\n");
  ASSERT_TRUE(spec.distribution);
  EXPECT_EQ(spec.distribution->type, "mpi");
  EXPECT_EQ(spec.distribution->process_count_per_instance, 4);
  EXPECT_EQ(spec.instance_count, 2);
  // Recorded on the run, and read back by the agent the same.
  const nlohmann::json json = to_json(spec);
  EXPECT_EQ(json["distribution"]["process_count_per_instance"], 4);
  EXPECT_EQ(json["resources"]["instance_count"], 2);
  const Distribution d = compute::distribution_of(nlohmann::json{{"job", json}});  // a run's
  EXPECT_EQ(d.type, "mpi");
  EXPECT_EQ(compute::distribution_of(json).processes(), 8);
  EXPECT_EQ(d.processes(), 8);
  EXPECT_TRUE(d.distributed());
  // SDK v1's spelling of the same count; without a count: one process per instance.
  EXPECT_EQ(parse("command: x\ndistribution: {type: mpi, process_count_per_node: 3}\n")
                .distribution->process_count_per_instance,
            3);
  EXPECT_EQ(
      parse("command: x\ndistribution: {type: mpi}\n").distribution->process_count_per_instance, 1);
}

TEST(JobDistribution, AJobWithoutOneIsOneProcess) {
  const JobSpec spec = parse("command: x\n");
  EXPECT_FALSE(spec.distribution);
  EXPECT_EQ(spec.instance_count, 1);
  const nlohmann::json json = to_json(spec);
  EXPECT_TRUE(json["distribution"].is_null());
  EXPECT_FALSE(json["resources"].contains("instance_count"));
  const Distribution d = compute::distribution_of(json);
  EXPECT_FALSE(d.distributed());
  EXPECT_EQ(d.processes(), 1);
}

TEST(JobDistribution, OtherTypesAreRecognisedAndRefusedWithWhatToUse) {
  expect_error(
      "command: x\ndistribution: {type: pytorch, process_count_per_instance: 2}\n",
      {"job.yml", "distribution.type", "'pytorch' is not supported", "use type: mpi", "RANK"});
  expect_error("command: x\ndistribution: {type: tensorflow, worker_count: 2}\n",
               {"distribution.type", "'tensorflow' is not supported", "use type: mpi"});
  expect_error("command: x\ndistribution: {type: horovod}\n",
               {"distribution.type", "unknown type 'horovod'", "expected mpi"});
  expect_error("command: x\ndistribution: {process_count_per_instance: 2}\n",
               {"distribution.type: required"});
  expect_error("command: x\ndistribution: mpi\n", {"distribution", "expected a mapping"});
  expect_error("command: x\ndistribution: {type: mpi, process_count_per_instance: 0}\n",
               {"distribution.process_count_per_instance", "positive integer", "'0'"});
  expect_error("command: x\ndistribution: {type: mpi, process_count_per_instance: two}\n",
               {"distribution.process_count_per_instance", "'two'"});
  expect_error("command: x\ndistribution: {type: mpi, worker_count: 2}\n",
               {"worker_count", "process_count_per_instance"});
  expect_error(
      "command: x\ndistribution: {type: mpi, process_count_per_instance: 2, "
      "process_count_per_node: 2}\n",
      {"once"});
}

TEST(JobDistribution, SetOverrides) {
  JobSpec spec = parse("command: x\n");
  apply_override(spec, "distribution.process_count_per_instance=4");
  ASSERT_TRUE(spec.distribution);
  EXPECT_EQ(spec.distribution->type, "mpi");
  EXPECT_EQ(spec.distribution->process_count_per_instance, 4);
  apply_override(spec, "resources.instance_count=2");
  EXPECT_EQ(spec.instance_count, 2);
  apply_override(spec, "distribution.type=mpi");
  EXPECT_EQ(spec.distribution->process_count_per_instance, 4);
  const std::string message =
      error_of([&] { apply_override(spec, "distribution.type=tensorflow"); });
  EXPECT_NE(message.find("use type: mpi"), std::string::npos) << message;
  EXPECT_EQ(spec.distribution->type, "mpi");
}

// Runs `line` with /bin/sh in `cwd` and `env` added; returns its exit status and output.
std::pair<int, std::string> run_sh(const std::string& line,
                                   const std::map<std::string, std::string>& env = {}) {
  std::string prefix;
  for (const auto& [k, v] : env) prefix += "export " + k + "=" + compute::sh_quote(v) + "; ";
  const std::string cmd = "/bin/sh -c " + compute::sh_quote(prefix + line) + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class RankWrapper : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("glia-ranks-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(RankWrapper, ExportsTheAliasesFromOpenMpisVariables) {
  const auto [code, out] = run_sh(
      compute::rank_wrapper("echo $RANK $WORLD_SIZE $LOCAL_RANK $LOCAL_WORLD_SIZE $NODE_RANK "
                            "$MASTER_ADDR $AZ_BATCHAI_MPI_MASTER_NODE",
                            dir_),
      {{"OMPI_COMM_WORLD_RANK", "3"},
       {"OMPI_COMM_WORLD_SIZE", "4"},
       {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
       {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out, "3 4 1 2 1 127.0.0.1 127.0.0.1\n");
  std::ifstream in(dir_ / "rank-3.exit");
  std::string status;
  in >> status;
  EXPECT_EQ(status, "0");
  EXPECT_FALSE(fs::exists(dir_ / ".rank-3.exit.tmp"));
}

TEST_F(RankWrapper, ExportsTheAliasesFromSlurmsVariablesAndKeepsTheJobsOwn) {
  const auto [code, out] = run_sh(
      compute::rank_wrapper("echo $RANK $WORLD_SIZE $LOCAL_RANK $LOCAL_WORLD_SIZE $NODE_RANK "
                            "$MASTER_ADDR",
                            dir_),
      {{"SLURM_PROCID", "5"},
       {"SLURM_NTASKS", "6"},
       {"SLURM_LOCALID", "2"},
       {"SLURM_TASKS_PER_NODE", "3(x2)"},
       {"SLURM_NODEID", "1"},
       {"MASTER_ADDR", "node7"}});
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out, "5 6 2 3 1 node7\n");
}

TEST_F(RankWrapper, RecordsHowTheRankEnded) {
  auto [code, out] = run_sh(compute::rank_wrapper("exit 3", dir_),
                            {{"OMPI_COMM_WORLD_RANK", "1"}, {"OMPI_COMM_WORLD_SIZE", "2"}});
  EXPECT_EQ(code, 3) << out;
  // A program killed by a signal (its shell reports 128 + the signal).
  std::tie(code, out) = run_sh(compute::rank_wrapper("sh -c 'kill -9 $$'", dir_),
                               {{"OMPI_COMM_WORLD_RANK", "0"}, {"OMPI_COMM_WORLD_SIZE", "2"}});
  EXPECT_EQ(code, 137) << out;
  const auto message = compute::failed_rank_message(dir_, 2);
  ASSERT_TRUE(message);
  EXPECT_EQ(*message,
            "rank 0 of 2 was killed by signal 9 (SIGKILL); rank 1 of 2 exited with code 3");
}

TEST_F(RankWrapper, FailedRankMessage) {
  EXPECT_EQ(compute::failed_rank_message(dir_, 2).value_or(""),
            "ranks 0, 1 of 2 ended without recording their exit status");
  std::ofstream(dir_ / "rank-0.exit") << "0\n";
  EXPECT_EQ(compute::failed_rank_message(dir_, 2).value_or(""),
            "rank 1 of 2 ended without recording its exit status");
  std::ofstream(dir_ / "rank-1.exit") << "0\n";
  EXPECT_FALSE(compute::failed_rank_message(dir_, 2));
  std::ofstream(dir_ / "rank-1.exit") << "143\n";
  EXPECT_EQ(compute::failed_rank_message(dir_, 2).value_or(""),
            "rank 1 of 2 was killed by signal 15 (SIGTERM)");
}

TEST_F(RankWrapper, TheWatchdogEndsARankWhoseLauncherIsGone) {
  // The launcher (the wrapper's parent) is a shell killed with SIGKILL while the rank sleeps:
  // the rank's process group must end within a few seconds.
  const fs::path pid_file = dir_ / "sleeper.pid";
  const std::string rank = compute::rank_wrapper(
      "sleep 60 & echo $! > " + compute::sh_quote(pid_file.string()) + "; wait", dir_);
  const std::string launcher = "/bin/sh -c " + compute::sh_quote(rank) + " & wait";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", launcher.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_t sleeper = 0;
  for (int i = 0; i < 100 && sleeper == 0; ++i) {
    std::ifstream in(pid_file);
    if (!(in >> sleeper)) sleeper = 0;
    if (sleeper == 0) ::usleep(50000);
  }
  ASSERT_GT(sleeper, 0);
  // The rank wrapper lives in the launcher's group here: move nothing, kill only the launcher.
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(sleeper) + "/stat");
    std::string line;
    gone = !std::getline(stat, line) || line.find(") Z ") != std::string::npos;
    if (!gone) ::usleep(100000);
  }
  EXPECT_TRUE(gone) << "the rank's program outlived its launcher";
  if (!gone) ::kill(sleeper, SIGKILL);
}

TEST(DistributedLaunch, LocalMpirunLineDividesTheThreads) {
  const Distribution d{"mpi", 2, 1};
  const compute::LaunchPlan plan = compute::local_mpi_launch(d, "python train.py", 5, "/r");
  EXPECT_EQ(plan.processes, 2);
  EXPECT_EQ(plan.threads_per_process, 2);
  EXPECT_NE(plan.command.find("mpirun' -np 2"), std::string::npos) << plan.command;
  EXPECT_NE(plan.command.find("--bind-to none"), std::string::npos);
  EXPECT_NE(plan.command.find("--oversubscribe"), std::string::npos);
  EXPECT_EQ(plan.command.find("--allow-run-as-root") != std::string::npos, ::geteuid() == 0);
  EXPECT_EQ(compute::local_mpi_launch({"mpi", 4, 1}, "x", 2, "/r").threads_per_process, 1);
  const std::string message = error_of([&] {
    compute::local_mpi_launch({"mpi", 2, 2}, "x", 4, "/r");
  });
  EXPECT_NE(message.find("one machine"), std::string::npos) << message;
}

TEST(DistributedLaunch, SrunLineForMNodesOfNTasks) {
  const std::string line = compute::srun_line({"mpi", 2, 3}, "python t.py", "/r", "pmix");
  EXPECT_EQ(line.rfind("srun --mpi=pmix --nodes=3 --ntasks-per-node=2 --ntasks=6 ", 0), 0u) << line;
  EXPECT_NE(line.find("python t.py"), std::string::npos);
}

TEST(DistributedLaunch, AMissingLauncherIsAClearError) {
  const std::string message = error_of([] {
    compute::check_launcher({{"PATH", "/nonexistent-glia-dir"}});
  });
  EXPECT_NE(message.find("mpirun was not found on the job's PATH"), std::string::npos) << message;
  EXPECT_NE(message.find("openmpi-bin"), std::string::npos);
}

}  // namespace
}  // namespace glia::platform
