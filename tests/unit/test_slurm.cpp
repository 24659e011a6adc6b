// Slurm compute targets: the state table, the batch script, squeue/scontrol parsing, the
// target's checks and YAML file, and the store contract for the Slurm fields (SQLite, and
// PostgreSQL when GLIA_TEST_PG_URL is set) with the remote store's JSON codec.
#include <gtest/gtest.h>

#include "compute/slurm_queue.hpp"
#include "compute/slurm_script.hpp"
#include "compute/slurm_states.hpp"
#include "glia/error.hpp"
#include "glia/platform/compute_file.hpp"
#include "glia/platform/store_json.hpp"
#include "store_contract.hpp"

namespace glia::platform {
namespace {

using compute::map_slurm_state;

TEST(SlurmStates, EveryStateOfTheIssueMaps) {
  struct Row {
    const char* state;
    RunStatus status;
    bool terminal;
    const char* reason_part;
  };
  const Row rows[] = {
      {"PENDING", RunStatus::Queued, false, "pending (Resources)"},
      {"CONFIGURING", RunStatus::Starting, false, "configuring"},
      {"RUNNING", RunStatus::Running, false, ""},
      {"COMPLETING", RunStatus::Finalizing, false, "completing"},
      {"COMPLETED", RunStatus::Completed, true, ""},
      {"FAILED", RunStatus::Failed, true, "exit code 3"},
      {"CANCELLED", RunStatus::Canceled, true, "cancelled"},
      {"TIMEOUT", RunStatus::Failed, true, "Slurm: time limit reached"},
      {"NODE_FAIL", RunStatus::Failed, true, "node"},
      {"PREEMPTED", RunStatus::Failed, true, "preempted"},
      {"OUT_OF_MEMORY", RunStatus::Failed, true, "out of memory"},
  };
  for (const Row& r : rows) {
    const auto s = map_slurm_state(r.state, "Resources", r.status == RunStatus::Completed ? 0 : 3);
    ASSERT_TRUE(s) << r.state;
    EXPECT_EQ(s->status, r.status) << r.state;
    EXPECT_EQ(s->terminal, r.terminal) << r.state;
    EXPECT_NE(s->reason.find(r.reason_part), std::string::npos) << r.state << ": " << s->reason;
  }
}

TEST(SlurmStates, CompletedFollowsTheRecordedExitCode) {
  EXPECT_EQ(map_slurm_state("COMPLETED", "None", 0)->status, RunStatus::Completed);
  EXPECT_EQ(map_slurm_state("COMPLETED", "None", std::nullopt)->status, RunStatus::Completed);
  EXPECT_EQ(map_slurm_state("COMPLETED", "None", 2)->status, RunStatus::Failed);
  EXPECT_EQ(map_slurm_state("FAILED", "NonZeroExitCode", std::nullopt)->reason,
            "Slurm: the job failed (NonZeroExitCode)");
  EXPECT_EQ(map_slurm_state("PENDING", "None", std::nullopt)->reason, "Slurm: pending");
}

TEST(SlurmStates, RequeueAndSuffixesAndUnknown) {
  const auto r = map_slurm_state("REQUEUED", "None", std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->requeued);
  EXPECT_FALSE(r->terminal);
  EXPECT_EQ(r->reason, "requeued by Slurm");
  EXPECT_EQ(map_slurm_state("CANCELLED by 0", "None", std::nullopt)->status, RunStatus::Canceled);
  EXPECT_FALSE(map_slurm_state("WHATEVER", "None", std::nullopt));
}

compute::SlurmScriptInput script_input() {
  compute::SlurmScriptInput in;
  in.run_id = "run_1";
  in.target = ComputeTarget{"cpu", "slurm", 4, "", 0};
  in.target.partition = "batch";
  in.target.account = "ml";
  in.target.qos = "high";
  in.target.time_limit = "2:00:00";
  in.command = "python train.py --lr 'a b'";
  in.work_dir = "/shared/ws/.glia/runs/run_1/wd";
  in.std_log = "/shared/ws/.glia/runs/run_1/user_logs/std_log.txt";
  in.exit_file = "/shared/ws/.glia/runs/run_1/slurm/exit_code";
  in.rank_dir = "/shared/ws/.glia/runs/run_1/slurm/ranks";
  return in;
}

TEST(SlurmScript, DirectivesCommandAndExitFile) {
  const std::string s = compute::slurm_script(script_input());
  for (const char* line :
       {"#!/bin/sh\n", "#SBATCH --job-name=glia-run_1\n", "#SBATCH --partition=batch\n",
        "#SBATCH --account=ml\n", "#SBATCH --qos=high\n", "#SBATCH --time=2:00:00\n",
        "#SBATCH --nodes=1\n", "#SBATCH --ntasks-per-node=1\n",
        "#SBATCH --chdir=/shared/ws/.glia/runs/run_1/wd\n",
        "#SBATCH --output=/shared/ws/.glia/runs/run_1/user_logs/std_log.txt\n",
        "#SBATCH --open-mode=append\n", "#SBATCH --requeue\n", "#SBATCH --export=ALL\n",
        "/bin/sh -c 'python train.py --lr '\\''a b'\\'''\n",
        "mv -f '/shared/ws/.glia/runs/run_1/slurm/exit_code'.tmp "
        "'/shared/ws/.glia/runs/run_1/slurm/exit_code'\n",
        "exit $code\n"})
    EXPECT_NE(s.find(line), std::string::npos) << line << "\nin:\n" << s;
  EXPECT_EQ(s.find("--cpus-per-task"), std::string::npos);
}

TEST(SlurmScript, TimeoutWinsAndNodesAreLimited) {
  auto in = script_input();
  in.timeout = 61;
  in.cpus_per_task = 4;
  std::string s = compute::slurm_script(in);
  EXPECT_NE(s.find("#SBATCH --time=2\n"), std::string::npos) << s;
  EXPECT_EQ(s.find("--time=2:00:00"), std::string::npos) << s;
  EXPECT_NE(s.find("#SBATCH --cpus-per-task=4\n"), std::string::npos) << s;
  EXPECT_EQ(compute::slurm_minutes(1), "1");
  EXPECT_EQ(compute::slurm_minutes(60), "1");
  EXPECT_EQ(compute::slurm_minutes(3600.5), "61");
  in.target.max_nodes = 2;
  in.dist.instance_count = 3;
  try {
    compute::slurm_script(in);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("instance_count 3 is more than compute 'cpu' allows "
                                         "(max_nodes 2)"),
              std::string::npos)
        << e.what();
  }
}

TEST(SlurmScript, PathsWithSpacesAreRefused) {
  auto in = script_input();
  in.work_dir = "/shared/my ws/wd";
  EXPECT_THROW(compute::slurm_script(in), Error);
}

TEST(SlurmScript, PercentInTheLogPathIsNotAPattern) {  // sbatch: %j, %N... in --output
  auto in = script_input();
  in.std_log = "/shared/100%ws/.glia/runs/run_1/user_logs/std_log.txt";
  const std::string s = compute::slurm_script(in);
  EXPECT_NE(s.find("#SBATCH --output=/shared/100%%ws/.glia/runs/run_1/user_logs/std_log.txt\n"),
            std::string::npos)
      << s;
}

TEST(SlurmQueue, ParsesSqueueAndScontrol) {
  std::map<std::string, compute::SlurmJobInfo> out;
  compute::parse_squeue("12|RUNNING|None|0|\n13 |PENDING |Resources |2 |\n\n", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out["12"].state, "RUNNING");
  EXPECT_EQ(out["13"].state, "PENDING");
  EXPECT_EQ(out["13"].reason, "Resources");
  EXPECT_EQ(out["13"].restarts, 2);
  const auto j = compute::parse_scontrol_job(
      "JobId=7 JobName=glia-x UserId=root(0) JobState=TIMEOUT Reason=TimeLimit Dependency=(null) "
      "Requeue=1 Restarts=1 BatchFlag=1 ExitCode=0:15\n");
  ASSERT_TRUE(j);
  EXPECT_EQ(j->state, "TIMEOUT");
  EXPECT_EQ(j->reason, "TimeLimit");
  EXPECT_EQ(j->restarts, 1);
  EXPECT_FALSE(compute::parse_scontrol_job("slurm_load_jobs error: Invalid job id specified"));
}

TEST(SlurmTargets, Checks) {
  ComputeTarget t{"c", "slurm", 1, "", 0};
  EXPECT_THROW(check_compute(t), Error);  // no partition
  t.partition = "batch";
  check_compute(t);
  for (const char* ok : {"30", "1:30", "1:30:00", "2-0", "2-1:30", "2-1:30:00", "UNLIMITED"}) {
    t.time_limit = ok;
    EXPECT_NO_THROW(check_compute(t)) << ok;
  }
  for (const char* bad : {"1h", "1:2:3:4", "-1", "soon"}) {
    t.time_limit = bad;
    EXPECT_THROW(check_compute(t), Error) << bad;
  }
  t.time_limit.clear();
  t.max_nodes = 0;
  EXPECT_THROW(check_compute(t), Error);
  t.max_nodes.reset();
  t.account = "a b";
  EXPECT_THROW(check_compute(t), Error);
  ComputeTarget local{"l", "local", 1, "", 0};
  local.qos = "high";
  EXPECT_THROW(check_compute(local), Error);  // Slurm settings on a local target
}

TEST(SlurmTargets, ComputeFile) {
  const auto t = parse_compute_file(
      "$schema: x\nname: cpu-cluster\ntype: slurm\npartition: batch\nmax_instances: 4\n"
      "min_instances: 0\naccount: ml\nqos: high\ntime_limit: '1:00:00'\n",
      "compute.yml");
  EXPECT_EQ(t.name, "cpu-cluster");
  EXPECT_EQ(t.type, "slurm");
  EXPECT_EQ(t.partition, "batch");
  EXPECT_EQ(t.max_nodes, 4);
  EXPECT_EQ(t.account, "ml");
  EXPECT_EQ(t.qos, "high");
  EXPECT_EQ(t.time_limit, "1:00:00");
  EXPECT_THROW(parse_compute_file("name: x\ntype: slurm\n", "f"), Error);  // no partition
  EXPECT_THROW(parse_compute_file("name: x\ntype: slurm\npartition: p\nmin_instances: 1\n", "f"),
               Error);
  EXPECT_THROW(parse_compute_file("name: x\ntype: amlcompute\n", "f"), Error);
  EXPECT_THROW(parse_compute_file("name: x\ntype: slurm\npartition: p\nsize: big\n", "f"), Error);
  EXPECT_THROW(parse_compute_file("type: slurm\npartition: p\n", "f"), Error);  // no name
  EXPECT_THROW(parse_compute_file("name: x\nmax_nodes: many\n", "f"), Error);
  // The same setting twice (Azure's name and Glia's): refused, not the last one silently kept.
  EXPECT_THROW(parse_compute_file(
                   "name: x\ntype: slurm\npartition: p\nmax_nodes: 2\nmax_instances: 4\n", "f"),
               Error);
}

TEST(SlurmTargets, JsonRoundTrip) {  // the remote store's codec
  ComputeTarget t{"c", "slurm", 3, "d", 5};
  t.partition = "batch";
  t.max_nodes = 4;
  t.account = "a";
  t.qos = "q";
  t.time_limit = "30";
  nlohmann::json j = t;
  const auto back = j.get<ComputeTarget>();
  EXPECT_EQ(back.partition, "batch");
  EXPECT_EQ(back.max_nodes, 4);
  EXPECT_EQ(back.account, "a");
  EXPECT_EQ(back.qos, "q");
  EXPECT_EQ(back.time_limit, "30");
}

using namespace testing_store;
using StoreSlurm = StoreContract;

TEST_P(StoreSlurm, SlurmFieldsAreStoredAndUpdated) {
  ComputeTarget t{"cluster", "slurm", 8, "", 0};
  t.partition = "batch";
  t.max_nodes = 4;
  t.account = "ml";
  t.time_limit = "1:00:00";
  store_->create_compute(t);
  auto got = store_->get_compute("cluster");
  EXPECT_EQ(got.type, "slurm");
  EXPECT_EQ(got.partition, "batch");
  EXPECT_EQ(got.max_nodes, 4);
  EXPECT_EQ(got.account, "ml");
  EXPECT_EQ(got.qos, "");
  EXPECT_EQ(got.time_limit, "1:00:00");
  got.qos = "high";
  got.max_nodes.reset();
  got.partition = "gpu";
  store_->update_compute(got);
  got = store_->list_computes().at(0);
  EXPECT_EQ(got.name, "cluster");
  EXPECT_EQ(got.qos, "high");
  EXPECT_EQ(got.partition, "gpu");
  EXPECT_FALSE(got.max_nodes);
  got.partition.clear();
  EXPECT_THROW(store_->update_compute(got), Error);  // checked before writing
  const auto local = store_->get_compute("local");   // migrated rows: no Slurm settings
  EXPECT_EQ(local.partition, "");
  EXPECT_FALSE(local.max_nodes);
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreSlurm, testing::ValuesIn(kStores),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace glia::platform
