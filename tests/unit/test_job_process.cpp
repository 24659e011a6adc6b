// Starting and signalling a job's process group (and the kind of error when the OS refuses a
// fork or a pipe); the agent end to end through the API.
#include <gtest/gtest.h>

#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>

#include "compute/job_process.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/local_agent.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

class JobProcessTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("jp");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  fs::path dir_;
};

TEST_F(JobProcessTest, RunsTheCommandInItsFolderWithExactlyItsEnvironment) {
  auto p = compute::spawn_job("echo \"$GREETING\" from $(pwd); echo oops >&2; exit 7", dir_,
                              {{"GREETING", "hello"}, {"PATH", "/usr/bin:/bin"}});
  EXPECT_GT(p.start_ticks, 0);
  EXPECT_EQ(::getpgid(p.pid), p.pid);  // a process group of its own
  EXPECT_EQ(read_all(p.out_fd), "hello from " + dir_.string() + "\n");
  EXPECT_EQ(read_all(p.err_fd), "oops\n");
  int status = 0;
  ASSERT_EQ(::waitpid(p.pid, &status, 0), p.pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  ::close(p.out_fd);
  ::close(p.err_fd);
}

TEST_F(JobProcessTest, SignalGroupReachesChildrenButNotAReusedPid) {
  auto p = compute::spawn_job("sleep 30 & sleep 30 & wait", dir_, {{"PATH", "/usr/bin:/bin"}});
  compute::signal_group(p.pid, p.start_ticks + 1, SIGKILL);  // wrong start time: left alone
  usleep(100000);
  int status = 0;
  EXPECT_EQ(::waitpid(p.pid, &status, WNOHANG), 0);
  compute::signal_group(p.pid, p.start_ticks, SIGKILL);
  ASSERT_EQ(::waitpid(p.pid, &status, 0), p.pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(read_all(p.out_fd), "");  // EOF: the children holding the pipe are gone too
  ::close(p.out_fd);
  ::close(p.err_fd);
}

TEST_F(JobProcessTest, SignalNamesAndStartTicks) {
  EXPECT_EQ(compute::signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(compute::signal_name(SIGTERM), "SIGTERM");
  EXPECT_TRUE(compute::process_start_ticks(::getpid()));
  EXPECT_FALSE(compute::process_start_ticks(999999999));
}

// What a forked child reports by its exit code: how `body` ended.
constexpr int kNoError = 1, kOtherException = 2, kSetupFailed = 3, kKindBase = 10;

// Runs `body` in a child process under a resource limit and says how it ended: kKindBase plus
// the glia::Error kind it threw, kNoError, kOtherException, or kSetupFailed. With
// `as_nobody`, the child first becomes the user nobody (root's forks ignore RLIMIT_NPROC, and
// the processes counted are then nobody's).
int in_limited_child(int resource, rlim_t limit, bool as_nobody,
                     const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (as_nobody && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
      ::_exit(kSetupFailed);
    const rlimit r{limit, limit};
    if (::setrlimit(resource, &r) != 0) ::_exit(kSetupFailed);
    int code = kNoError;
    try {
      body();
    } catch (const Error& e) {
      code = kKindBase + static_cast<int>(e.kind());
    } catch (...) {
      code = kOtherException;
    }
    ::_exit(code);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

constexpr int kUnavailable = kKindBase + static_cast<int>(ErrorKind::Unavailable);

TEST_F(JobProcessTest, AFailedPipeIsUnavailableNotABadRequest) {
  // Descriptors 0-2 only: the job's pipes cannot be made (EMFILE, root included).
  EXPECT_EQ(in_limited_child(RLIMIT_NOFILE, 3, false,
                             [&] {
                               compute::spawn_job("true", dir_, {{"PATH", "/usr/bin:/bin"}});
                             }),
            kUnavailable);
}

TEST_F(JobProcessTest, AFailedForkIsUnavailableNotABadRequest) {
  // One process for the user, which the child is: the fork fails with EAGAIN.
  EXPECT_EQ(in_limited_child(RLIMIT_NPROC, 1, ::geteuid() == 0,
                             [&] {
                               compute::spawn_job("true", dir_, {{"PATH", "/usr/bin:/bin"}});
                             }),
            kUnavailable);
}

TEST_F(JobProcessTest, AnAgentThatCannotBeForkedIsReportedNotWaitedFor) {
  // The agent's start forks twice; as nobody with two processes, the second fork (in the child
  // that would start the agent) fails, and its errno comes back instead of a silent timeout.
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the child as nobody";
  Workspace ws = Workspace::init(dir_ / "ws");
  for (const auto& entry : fs::recursive_directory_iterator(dir_))
    ASSERT_EQ(::chown(entry.path().c_str(), 65534, 65534), 0) << entry.path();
  ASSERT_EQ(::chown(dir_.c_str(), 65534, 65534), 0);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(in_limited_child(RLIMIT_NPROC, 2, true,
                             [&] {
                               Workspace mine = Workspace::open(dir_ / "ws");
                               ensure_agent(mine, {"/bin/sleep", "60"});
                             }),
            kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST_F(JobProcessTest, AgentRunsAQueuedJobToCompletionThroughTheApi) {
  Workspace ws = Workspace::init(dir_ / "ws");
  fs::create_directories(dir_ / "code");
  std::ofstream(dir_ / "code" / "run.sh") << "mkdir -p outputs && echo $1 > outputs/arg.txt\n"
                                             "printf '{\"kind\":\"metric\",\"name\":\"m\","
                                             "\"value\":1}\\n' >> \"$GLIA_TRACKING_FILE\"\n";
  JobSpec spec = parse_job_spec(
      "command: sh run.sh ${{inputs.word}}\ncode: code\ninputs: {word: hi}\n", "job.yml", dir_);
  RunRecord run = submit_job(ws, spec, {current_environment(), {}});
  EXPECT_EQ(run.status, RunStatus::Queued);
  EXPECT_EQ(run.command, "sh run.sh hi");
  EXPECT_EQ(run.experiment, "code");
  AgentOptions options;
  options.idle_exit_seconds = 0.2;
  ASSERT_TRUE(run_local_agent(ws.root(), options));
  RunRecord done = ws.store().get_run(run.id);
  EXPECT_EQ(done.status, RunStatus::Completed) << done.error;
  EXPECT_EQ(done.exit_code, 0);
  EXPECT_EQ(ws.store().metric_series(run.id, "m").size(), 1u);
  auto files = ws.store().run_files(run.id);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "outputs/arg.txt");
  EXPECT_EQ(ArtifactStore(ws.artifacts_path()).read_blob(files[0].sha256), "hi\n");
  EXPECT_FALSE(fs::exists(ws.root() / ".glia" / "runs" / run.id));
}

// Regression: limits.timeout 1.5 was reported as "timed out after 1 s".
TEST_F(JobProcessTest, ATimeoutIsReportedAsTheFileWroteIt) {
  Workspace ws = Workspace::init(dir_ / "ws");
  const RunRecord run =
      submit_job(ws, parse_job_spec("command: sleep 30\nlimits: {timeout: 1.5}\n", "job.yml", dir_),
                 {current_environment(), {}});
  AgentOptions options;
  options.idle_exit_seconds = 0.2;
  ASSERT_TRUE(run_local_agent(ws.root(), options));
  const RunRecord done = ws.store().get_run(run.id);
  EXPECT_EQ(done.status, RunStatus::Failed);
  EXPECT_EQ(done.exit_code, 124);
  EXPECT_EQ(done.error.rfind("timed out after 1.5 s (limits.timeout)", 0), 0u) << done.error;
}

TEST_F(JobProcessTest, SubmitRefusesWhatCannotRunAndCreatesNothing) {
  Workspace ws = Workspace::init(dir_ / "ws");
  auto refuse = [&](const std::string& yaml, const std::string& expected) {
    try {
      submit_job(ws, parse_job_spec(yaml, "job.yml", dir_), {current_environment(), {}});
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  refuse("command: definitely-not-a-program-42 x\n", "'definitely-not-a-program-42' was not found");
  refuse("command: echo hi\ncompute: nowhere\n", "unknown compute 'nowhere'");
  refuse("command: echo ${{inputs.d}}\ninputs: {d: {type: uri_folder, path: glia:mnist@latest}}\n",
         "unknown dataset 'mnist'");
  refuse("command: echo ${{inputs.n}}\ninputs: {n: {type: integer}}\n", "no value");
  EXPECT_TRUE(ws.store().list_runs({}).empty());
}

}  // namespace
}  // namespace glia::platform
