// A run records only the allow-listed part of its submitter's environment, and who submitted it.
#include <gtest/gtest.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "glia/platform/artifact_store.hpp"
#include "glia/platform/environment.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/local_agent.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

TEST(RecordedEnvironment, OnlyTheAllowListIsKept) {
  EXPECT_TRUE(is_recorded_variable("PATH"));
  EXPECT_TRUE(is_recorded_variable("LC_ALL"));
  EXPECT_TRUE(is_recorded_variable("LC_NUMERIC"));
  EXPECT_FALSE(is_recorded_variable("LC"));
  EXPECT_FALSE(is_recorded_variable("MY_SECRET_TOKEN"));
  EXPECT_FALSE(is_recorded_variable("AWS_SECRET_ACCESS_KEY"));
  EXPECT_FALSE(is_recorded_variable("PATHX"));
  const auto kept = recordable_environment(
      {{"PATH", "/bin"}, {"GITHUB_TOKEN", "ghp_x"}, {"LANG", "C.UTF-8"}, {"TZ", "UTC"}});
  EXPECT_EQ(kept, (std::map<std::string, std::string>{
                      {"LANG", "C.UTF-8"}, {"PATH", "/bin"}, {"TZ", "UTC"}}));
}

TEST(RecordedEnvironment, SubmitStoresNoSecretAndRecordsTheSubmitter) {
  const fs::path dir = testing_util::fresh_test_dir("renv");
  fs::create_directories(dir / "code");
  std::ofstream(dir / "code" / "e.sh")
      << "mkdir -p outputs && echo \"${MY_SECRET_TOKEN:-unset} $FROM_YAML $LANG\" > "
         "outputs/e.txt\n";
  Workspace ws = Workspace::init(dir / "ws");
  ::setenv("MY_SECRET_TOKEN", "tok-3f9a1c", 1);
  ::setenv("LANG", "C.UTF-8", 1);
  const RunRecord run = submit_job(
      ws,
      parse_job_spec("command: sh e.sh\ncode: code\nenvironment_variables: {FROM_YAML: y}\n",
                     "job.yml", dir),
      {current_environment(), {}});
  ::unsetenv("MY_SECRET_TOKEN");
  const RunRecord back = ws.store().get_run(run.id);
  EXPECT_EQ(back.spec.find("tok-3f9a1c"), std::string::npos);
  EXPECT_EQ(back.spec.find("MY_SECRET_TOKEN"), std::string::npos);
  const auto env = nlohmann::json::parse(back.spec)["environment"];
  EXPECT_EQ(env["LANG"], "C.UTF-8");
  for (const auto& [k, v] : env.items()) EXPECT_TRUE(is_recorded_variable(k)) << k;
  ASSERT_TRUE(back.submitter_uid);
  EXPECT_EQ(*back.submitter_uid, static_cast<int64_t>(::getuid()));
  if (const passwd* pw = ::getpwuid(::getuid())) {
    EXPECT_EQ(back.submitter_name, pw->pw_name);
  }
  // The job gets what was recorded and the YAML's variables, not the submitter's secret.
  AgentOptions options;
  options.idle_exit_seconds = 0.2;
  ASSERT_TRUE(run_local_agent(ws.root(), options));
  const RunRecord done = ws.store().get_run(run.id);
  ASSERT_EQ(done.status, RunStatus::Completed) << done.error;
  std::string seen;
  for (const RunFile& f : ws.store().run_files(run.id))
    if (f.path == "outputs/e.txt") seen = ArtifactStore(ws.artifacts_path()).read_blob(f.sha256);
  EXPECT_EQ(seen, "unset y C.UTF-8\n");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace glia::platform
