// Interactive runs (`glia run track`): the stdin protocol, the tracker's liveness as the
// reconciliation judges it, a run started and reconciled on a real workspace, and the columnar
// metrics JSON the Python SDK parses.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

#include "compute/job_process.hpp"
#include "glia/error.hpp"
#include "glia/platform/interactive_run.hpp"
#include "glia/platform/json_views.hpp"
#include "glia/platform/workspace.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

TEST(TrackerLine, Endings) {
  EXPECT_EQ(parse_tracker_line("complete").status, RunStatus::Completed);
  EXPECT_EQ(parse_tracker_line("complete \r").status, RunStatus::Completed);
  const auto c = parse_tracker_line("cancel");
  EXPECT_EQ(c.status, RunStatus::Canceled);
  EXPECT_EQ(c.error, "canceled");
  const auto f = parse_tracker_line("fail  ValueError: bad lr ");
  EXPECT_EQ(f.status, RunStatus::Failed);
  EXPECT_EQ(f.error, "ValueError: bad lr");
  EXPECT_EQ(parse_tracker_line("fail").error, "failed (no message given)");
  for (const char* bad : {"completed", "Complete", "failure x", "stop", " complete"}) {
    try {
      parse_tracker_line(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << bad;
    }
  }
}

TEST(TrackerInput, PiecesBlankLinesAndTheFirstEndingStand) {
  TrackerInput in;
  std::vector<std::string> warnings;
  in.feed("\n  \nfa", 6, warnings);
  in.feed("il out of ", 10, warnings);
  in.feed("memory\ncomplete\nbogus\n", 22, warnings);
  ASSERT_EQ(warnings.size(), 2u);  // the second ending, the bogus line: said, not applied
  EXPECT_NE(warnings[0].find("second ending"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("bogus"), std::string::npos) << warnings[1];
  warnings.clear();
  const auto e = in.at_eof(warnings);
  EXPECT_EQ(e.status, RunStatus::Failed);
  EXPECT_EQ(e.error, "out of memory");
  EXPECT_TRUE(warnings.empty());
}

TEST(TrackerInput, EofWithoutALineFailsTheRun) {
  TrackerInput in;
  std::vector<std::string> warnings;
  const auto e = in.at_eof(warnings);
  EXPECT_EQ(e.status, RunStatus::Failed);
  EXPECT_EQ(e.error, kNoEndingError);
}

TEST(TrackerInput, ALastLineWithoutItsNewlineCounts) {
  TrackerInput in;
  std::vector<std::string> warnings;
  in.feed("cancel", 6, warnings);
  EXPECT_EQ(in.at_eof(warnings).status, RunStatus::Canceled);
}

TEST(TrackerInput, AnOverlongLineIsIgnoredOnce) {
  TrackerInput in;
  std::vector<std::string> warnings;
  const std::string chunk(40000, 'x');
  for (int i = 0; i < 5; ++i) in.feed(chunk.data(), chunk.size(), warnings);
  in.feed("complete\ncomplete\n", 18, warnings);  // the first "complete" ends the long line
  ASSERT_EQ(warnings.size(), 1u) << warnings.back();
  EXPECT_EQ(in.at_eof(warnings).status, RunStatus::Completed);
}

TEST(ProcessStat, ParsesStateAndStartAfterACommandWithSpacesAndParens) {
  std::string line = "1234 (my (odd) prog) S 1 1234 1234 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 ";
  line += "987654 1000 100";
  const auto s = compute::parse_process_stat(line);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->start_ticks, 987654);
  EXPECT_FALSE(compute::parse_process_stat("1234 (cut"));
  EXPECT_FALSE(compute::parse_process_stat("1234 (x) R 1 2"));
  const auto self = compute::process_stat(::getpid());
  ASSERT_TRUE(self);
  EXPECT_EQ(self->start_ticks, compute::process_start_ticks(::getpid()).value());
}

RunRecord tracked(const std::string& host, const std::string& boot, int64_t uid, int64_t pid,
                  int64_t start, const std::string& folder) {
  RunRecord r;
  r.id = "r";
  r.job_type = kInteractiveJobType;
  r.properties = {{kTrackerHost, host},
                  {kTrackerBootId, boot},
                  {kTrackerUid, std::to_string(uid)},
                  {kTrackerPid, std::to_string(pid)},
                  {kTrackerPidStart, std::to_string(start)},
                  {kTrackerWorkspace, folder}};
  return r;
}

TEST(TrackerState, JudgedOnlyOnItsMachineFolderAndUser) {
  const MachineId here{"box", "boot-1", 1000, ""};
  std::optional<std::pair<char, int64_t>> proc = std::make_pair('S', int64_t{500});
  const auto stat = [&](pid_t pid) {
    EXPECT_EQ(pid, 42);
    return proc;
  };
  const auto ours = [](const fs::path& p) { return p == "/ws"; };
  const auto state = [&](const RunRecord& r) { return tracker_state(r, here, stat, ours); };
  EXPECT_EQ(state(tracked("box", "boot-1", 1000, 42, 500, "/ws")), TrackerState::Alive);
  EXPECT_EQ(state(tracked("other", "boot-1", 1000, 42, 1, "/ws")), TrackerState::Elsewhere);
  EXPECT_EQ(state(tracked("box", "boot-1", 1001, 42, 1, "/ws")), TrackerState::Elsewhere);
  EXPECT_EQ(state(tracked("box", "boot-1", 1000, 42, 1, "/other")), TrackerState::Elsewhere);
  EXPECT_EQ(state(tracked("box", "boot-0", 1000, 42, 500, "/ws")), TrackerState::Gone);  // reboot
  EXPECT_EQ(state(tracked("box", "boot-1", 1000, 42, 499, "/ws")), TrackerState::Gone);  // reused
  proc = std::make_pair('Z', int64_t{500});
  EXPECT_EQ(state(tracked("box", "boot-1", 1000, 42, 500, "/ws")), TrackerState::Gone);  // zombie
  proc.reset();
  EXPECT_EQ(state(tracked("box", "boot-1", 1000, 42, 500, "/ws")), TrackerState::Gone);
  RunRecord partial = tracked("box", "boot-1", 1000, 42, 500, "/ws");
  partial.properties.erase(kTrackerPidStart);
  EXPECT_EQ(state(partial), TrackerState::Elsewhere);  // not a tracker's record
}

TEST(TrackerState, AnotherPidNamespacesPidIsNotJudgedHere) {
  // A container sharing this machine's host name and kernel (boot id): its pid 42 is not ours.
  const MachineId here{"box", "boot-1", 1000, "pid:[4026531836]"};
  const auto no_process = [](pid_t) { return std::optional<std::pair<char, int64_t>>(); };
  const auto ours = [](const fs::path& p) { return p == "/ws"; };
  RunRecord r = tracked("box", "boot-1", 1000, 42, 500, "/ws");
  r.properties[kTrackerPidNamespace] = "pid:[4026532176]";
  EXPECT_EQ(tracker_state(r, here, no_process, ours), TrackerState::Elsewhere);
  r.properties[kTrackerPidNamespace] = here.pid_ns;  // this namespace's: judged
  EXPECT_EQ(tracker_state(r, here, no_process, ours), TrackerState::Gone);
  r.properties[kTrackerPidNamespace] = "pid:[4026532176]";
  EXPECT_EQ(tracker_state(r, {"box", "boot-0", 1000, here.pid_ns}, no_process, ours),
            TrackerState::Gone);  // the machine restarted: every namespace is gone
}

TEST(TrackerState, TheFirstPidNamespaceJudgesTheOthers) {
  // It sees every process: the one the tracker's namespace calls 42 is found, or gone.
  const MachineId here{"box", "boot-1", 1000, kInitPidNamespace};
  const auto none_here = [](pid_t) { return ProcessState(); };
  const auto ours = [](const fs::path& p) { return p == "/ws"; };
  ProcessState inside = std::make_pair('S', int64_t{500});
  const auto stat_in = [&](const std::string& ns, pid_t pid) {
    EXPECT_EQ(ns, "pid:[4026532176]");
    EXPECT_EQ(pid, 42);
    return inside;
  };
  RunRecord r = tracked("box", "boot-1", 1000, 42, 500, "/ws");
  r.properties[kTrackerPidNamespace] = "pid:[4026532176]";
  EXPECT_EQ(tracker_state(r, here, none_here, ours, stat_in), TrackerState::Alive);
  inside = std::make_pair('S', int64_t{499});
  EXPECT_EQ(tracker_state(r, here, none_here, ours, stat_in), TrackerState::Gone);  // reused
  inside.reset();
  EXPECT_EQ(tracker_state(r, here, none_here, ours, stat_in), TrackerState::Gone);
  EXPECT_EQ(tracker_state(r, here, none_here, ours), TrackerState::Elsewhere);  // cannot look
}

TEST(TrackerState, ThisProcessesPidNamespaceIsKnownAndRecorded) {
  EXPECT_EQ(MachineId::current().pid_ns.rfind("pid:[", 0), 0u) << MachineId::current().pid_ns;
}

class InteractiveRunTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("interactive");
    Workspace::init(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(InteractiveRunTest, StartedRunningWithItsFolderAndLeftAloneWhileItsTrackerLives) {
  Workspace ws = Workspace::open(dir_);
  const RunRecord run = start_interactive_run(ws, {"nb", "first try", {{"k", "v"}}, dir_});
  EXPECT_EQ(run.status, RunStatus::Running);
  EXPECT_EQ(run.job_type, kInteractiveJobType);
  EXPECT_EQ(run.display_name, "first try");
  EXPECT_EQ(run.tags.at("k"), "v");
  EXPECT_EQ(run.properties.at(kTrackerPid), std::to_string(::getpid()));
  EXPECT_EQ(run.properties.at(kTrackerPidNamespace), MachineId::current().pid_ns);
  const RunDir dir = run_dir(dir_, run.id);
  EXPECT_TRUE(fs::is_regular_file(dir.tracking()));
  EXPECT_TRUE(fs::is_directory(dir.scratch()));
  EXPECT_EQ(reconcile_interactive_runs(ws), 0);  // this process is its tracker
  EXPECT_EQ(ws.store().get_run(run.id).status, RunStatus::Running);
  end_interactive_run(ws, run.id, RunStatus::Completed, "");
  EXPECT_EQ(ws.store().get_run(run.id).status, RunStatus::Completed);
  EXPECT_FALSE(fs::exists(dir.root));
}

TEST_F(InteractiveRunTest, ABadExperimentNameLeavesNothing) {
  Workspace ws = Workspace::open(dir_);
  EXPECT_THROW(start_interactive_run(ws, {"no/slash", "", {}, dir_}), Error);
  EXPECT_TRUE(ws.store().list_runs({}).empty());
}

TEST_F(InteractiveRunTest, ARunWhoseTrackerDiedEndsFailedWithWhatItHadTracked) {
  // The tracker: a child that starts the run, appends a metric line and dies without ending it.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      Workspace ws = Workspace::open(dir_);
      const RunRecord run = start_interactive_run(ws, {"nb", "", {}, dir_});
      std::FILE* f = std::fopen(run_dir(dir_, run.id).tracking().c_str(), "a");
      std::fputs(R"({"kind": "metric", "name": "loss", "value": 0.5})"
                 "\n",
                 f);
      std::fclose(f);
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  Workspace ws = Workspace::open(dir_);
  int status = 0;
  // Still a zombie before it is waited for: gone already.
  for (int i = 0; i < 500 && ws.store().list_runs({}).empty(); ++i) ::usleep(10000);
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const auto runs = ws.store().list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(reconcile_interactive_runs(ws), 1);
  const RunRecord r = ws.store().get_run(runs[0].id);
  EXPECT_EQ(r.status, RunStatus::Failed);
  EXPECT_NE(r.error.find("its tracker (glia run track, pid " + std::to_string(child)),
            std::string::npos)
      << r.error;
  const auto loss = ws.store().metric_series(r.id, "loss");
  ASSERT_EQ(loss.size(), 1u);  // the line it left was applied before the end
  EXPECT_EQ(loss[0].value, 0.5);
  EXPECT_EQ(reconcile_interactive_runs(ws), 0);  // ended once
}

TEST_F(InteractiveRunTest, ARunItsTrackerEndedAfterTheListingIsLeftAsItEnded) {
  // The reconciliation lists the active runs, then judges each: a tracker that ends its run
  // normally and exits in between is gone by then, but the run it ended is not to be ended again.
  int to_parent[2], to_child[2];
  ASSERT_EQ(::pipe(to_parent), 0);
  ASSERT_EQ(::pipe(to_child), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      Workspace ws = Workspace::open(dir_);
      const RunRecord run = start_interactive_run(ws, {"nb", "", {}, dir_});
      std::FILE* f = std::fopen(run_dir(dir_, run.id).tracking().c_str(), "a");
      std::fputs(R"({"kind": "metric", "name": "loss", "value": 0.5})"
                 "\n",
                 f);
      std::fclose(f);
      char c = 1;
      if (::write(to_parent[1], &c, 1) != 1 || ::read(to_child[0], &c, 1) != 1) ::_exit(2);
      end_interactive_run(ws, run.id, RunStatus::Completed, "");
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(to_parent[0], &c, 1), 1);
  Workspace ws = Workspace::open(dir_);
  const auto listed = ws.store().list_runs({});
  ASSERT_EQ(listed.size(), 1u);
  ASSERT_EQ(listed[0].status, RunStatus::Running);  // as the listing saw it
  ASSERT_EQ(::write(to_child[1], &c, 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) ::close(fd);

  EXPECT_FALSE(reconcile_interactive_run(ws, listed[0]));
  const RunRecord r = ws.store().get_run(listed[0].id);
  EXPECT_EQ(r.status, RunStatus::Completed);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.properties.count("kept_in"), 0u);
  EXPECT_FALSE(fs::exists(run_dir(dir_, r.id).root));  // not made again for a log line
  ASSERT_EQ(ws.store().metric_series(r.id, "loss").size(), 1u);
  for (const RunFile& f : ws.store().run_files(r.id)) {  // its log says nothing of a reconciliation
    std::ifstream in(ws.artifacts().blob_path(f.sha256));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text.find("ended without ending the run"), std::string::npos)
        << f.path << ": " << text;
  }
}

TEST_F(InteractiveRunTest, ReconciliationsAtOnceEndADeadTrackersRunOnce) {
  // A connected folder's commands (run list, run show...) reconcile with no agent lock: several
  // at once must end the run once, its log stored once, nothing kept.
  std::string id;
  {
    const pid_t tracker = ::fork();
    ASSERT_GE(tracker, 0);
    if (tracker == 0) {
      try {
        Workspace ws = Workspace::open(dir_);
        const RunRecord run = start_interactive_run(ws, {"nb", "", {}, dir_});
        std::FILE* f = std::fopen(run_dir(dir_, run.id).tracking().c_str(), "a");
        for (int i = 0; i < 2000; ++i)
          std::fprintf(f, "{\"kind\": \"metric\", \"name\": \"loss\", \"value\": %d}\n", i);
        std::fclose(f);
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(tracker, &status, 0), tracker);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    Workspace ws = Workspace::open(dir_);
    id = ws.store().list_runs({}).at(0).id;
  }
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> reconcilers;
  for (int i = 0; i < 4; ++i) {
    const pid_t p = ::fork();
    ASSERT_GE(p, 0);
    if (p == 0) {
      try {
        Workspace ws = Workspace::open(dir_);
        char c;
        ::close(go[1]);
        if (::read(go[0], &c, 1) != 0) ::_exit(100);  // released together when it closes
        ::_exit(reconcile_interactive_runs(ws));
      } catch (...) {
        ::_exit(101);
      }
    }
    reconcilers.push_back(p);
  }
  ::close(go[0]);
  ::usleep(200000);  // each has opened the workspace
  ::close(go[1]);
  int ended = 0;
  for (pid_t p : reconcilers) {
    int status = 0;
    ASSERT_EQ(::waitpid(p, &status, 0), p);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) < 100) << WEXITSTATUS(status);
    ended += WEXITSTATUS(status);
  }
  EXPECT_EQ(ended, 1);
  Workspace ws = Workspace::open(dir_);
  const RunRecord r = ws.store().get_run(id);
  EXPECT_EQ(r.status, RunStatus::Failed);
  EXPECT_EQ(r.properties.count("kept_in"), 0u) << r.error;
  EXPECT_FALSE(fs::exists(run_dir(dir_, id).root));
  EXPECT_EQ(ws.store().metric_series(id, "loss").size(), 2000u);
  int logs = 0;
  for (const RunFile& f : ws.store().run_files(id)) {
    std::ifstream in(ws.artifacts().blob_path(f.sha256));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t first = text.find("ended without ending the run");
    logs += first != std::string::npos;
    EXPECT_EQ(text.find("ended without ending the run", first + 1), std::string::npos) << text;
  }
  EXPECT_EQ(logs, 1);
}

TEST(MetricColumns, CompactColumnsThatParseBack) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::pair<std::string, std::vector<MetricPoint>>> series = {
      {"loss", {{"loss", 0, 0.1, 1700000000.25}, {"loss", 1, nan, 1700000001.2345678}}},
      {"odd \"name\"\n", {{"x", -3, -inf, 2.0}}},
      {"shadowed", {{"shadowed", 0, 1.0, 1.0}}},
  };
  std::map<std::string, nlohmann::json> tables = {
      {"shadowed", nlohmann::json::array({{{"a", 1}}, {{"b", "x"}}})}};
  const std::string text = metric_columns_json(series, tables);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.find(": "), std::string::npos);  // compact
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["loss"]["step"], nlohmann::json({0, 1}));
  EXPECT_EQ(j["loss"]["value"][0].get<double>(), 0.1);  // exact
  EXPECT_TRUE(j["loss"]["value"][1].is_null());
  EXPECT_EQ(j["loss"]["wall_time"][0].get<double>(), 1700000000.25);
  EXPECT_EQ(j["loss"]["wall_time"][1].get<double>(), 1700000001.2345678);  // exact
  EXPECT_TRUE(j["odd \"name\"\n"]["value"][0].is_null());
  EXPECT_EQ(j["odd \"name\"\n"]["step"][0], -3);
  EXPECT_EQ(j["shadowed"], nlohmann::json({{"a", {1, nullptr}}, {"b", {nullptr, "x"}}}));
  EXPECT_EQ(metric_columns_json({}, {}), "{}");
}

}  // namespace
}  // namespace glia::platform
