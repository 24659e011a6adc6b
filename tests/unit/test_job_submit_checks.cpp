// What submit refuses before a run exists, and of which kind (docs/jobs.md: every job-file error
// is InvalidArgument, exit code 2): a relative program without code:, names the workspace lacks,
// a code: link out of the job file's folder. Command jobs and sweeps alike.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "glia/error.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

class SubmitChecks : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("submit-checks");
    fs::create_directories(dir_ / "proj");
    ws_.emplace(Workspace::init(dir_ / "ws"));
  }
  void TearDown() override {
    ws_.reset();
    fs::remove_all(dir_);
  }
  fs::path write(const std::string& rel, const std::string& text) {
    const fs::path p = dir_ / "proj" / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }
  void make_executable(const fs::path& p) { ::chmod(p.c_str(), 0755); }
  SubmitOptions options() const { return {current_environment(), {}, {}, {}}; }
  // The error submitting `yaml` (as proj/job.yml, with `sets` applied) throws; none: a failure.
  Error refused(const std::string& yaml, const std::vector<std::string>& sets = {}) {
    JobSpec spec = load_job_spec(write("job.yml", yaml));
    for (const auto& s : sets) apply_override(spec, s);
    try {
      submit_job(*ws_, spec, options());
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "accepted: " << yaml;
    return Error(ErrorKind::Internal, "accepted");
  }
  void accepted(const std::string& yaml, const SubmitOptions& opts) {
    EXPECT_NO_THROW(submit_job(*ws_, load_job_spec(write("job.yml", yaml)), opts)) << yaml;
  }
  static bool starts_with(const std::string& s, const std::string& prefix) {
    return s.rfind(prefix, 0) == 0;
  }
  fs::path dir_;
  std::optional<Workspace> ws_;
};

TEST_F(SubmitChecks, ARelativeProgramWithoutCodeIsRefusedNamingTheFileAndTheProgram) {
  Error e = refused("type: command\ncommand: ./missing.sh\n");
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_TRUE(starts_with(e.what(), "job.yml: ")) << e.what();
  EXPECT_NE(std::string(e.what()).find("'./missing.sh'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("code:"), std::string::npos) << e.what();

  // The file is there, beside the job file: code: is what would bring it.
  make_executable(write("src/t.sh", "#!/bin/sh\necho hi\n"));
  e = refused("type: command\ncommand: src/t.sh arg\n");
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(std::string(e.what()).find("'src/t.sh' is beside the job file"), std::string::npos)
      << e.what();
  EXPECT_NE(std::string(e.what()).find("code: uploads"), std::string::npos) << e.what();
  // --set command= is checked the same way.
  e = refused("type: command\ncommand: echo hi\n", {"command=bin/tool"});
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(std::string(e.what()).find("'bin/tool'"), std::string::npos) << e.what();
  EXPECT_TRUE(ws_->store().list_runs({}).empty());
}

TEST_F(SubmitChecks, ProgramsThatCanRunAreAccepted) {
  make_executable(write("src/t.sh", "#!/bin/sh\necho hi\n"));
  make_executable(write("envbin/mytool", "#!/bin/sh\necho hi\n"));
  SubmitOptions opts = options();
  accepted("command: /bin/sh -c true\n", opts);    // an absolute path
  accepted("command: sh src/t.sh\n", opts);        // on PATH, the script an argument
  accepted("command: cd src && ./t.sh\n", opts);   // a builtin first: the shell decides
  accepted("command: ./t.sh\ncode: src\n", opts);  // in the code folder
  accepted("command: src/t.sh\ncode: .\n", opts);
  opts.extra_path = {dir_ / "proj" / "envbin"};  // a folder an environment puts on PATH
  accepted("command: mytool --flag\n", opts);
  EXPECT_EQ(ws_->store().list_runs({}).size(), 6u);
}

TEST_F(SubmitChecks, NamesTheWorkspaceLacksAreJobFileErrorsNamingTheFileAndTheKey) {
  Error e = refused("type: command\ncommand: echo hi\ncompute: nope\n");
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_TRUE(starts_with(e.what(), "job.yml: compute: unknown compute 'nope' (known: local"))
      << e.what();
  e = refused("type: command\ncommand: echo hi\n", {"compute=nope"});
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_TRUE(starts_with(e.what(), "job.yml: compute: unknown compute 'nope'")) << e.what();
  e = refused("type: command\ncommand: echo hi\nenvironment: nope@latest\n");
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_TRUE(starts_with(e.what(), "job.yml: environment: unknown environment 'nope'"))
      << e.what();
  e = refused("type: command\ncommand: echo hi\n", {"environment=nope:1"});
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_TRUE(starts_with(e.what(), "job.yml: environment: ")) << e.what();
  e = refused(
      "type: command\ncommand: ls ${{inputs.d}}\n"
      "inputs:\n  d: {type: uri_folder, path: glia:nope@latest}\n");
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_TRUE(starts_with(e.what(), "job.yml: inputs.d.path: unknown dataset 'nope'")) << e.what();
  EXPECT_TRUE(ws_->store().list_runs({}).empty());
}

TEST_F(SubmitChecks, ASweepsUnknownNamesAreJobFileErrorsToo) {
  const std::string sweep =
      "type: sweep\n"
      "trial: {command: 'true ${{search_space.x}}', environment: nope@latest}\n"
      "search_space: {x: {type: uniform, min_value: 0, max_value: 1}}\n"
      "sampling_algorithm: random\n"
      "objective: {primary_metric: acc, goal: maximize}\n";
  for (const std::string& yaml : {"compute: nope\n" + sweep, sweep}) {
    const auto file = load_job_file(write("sweep.yml", yaml));
    try {
      submit_sweep(*ws_, std::get<SweepSpec>(file), options());
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
      EXPECT_TRUE(starts_with(e.what(), "sweep.yml: ")) << e.what();
    }
  }
  EXPECT_TRUE(ws_->store().list_runs({}).empty());
}

TEST_F(SubmitChecks, ACodeLinkOutOfTheJobFilesFolderIsAJobFileError) {
  fs::create_directories(dir_ / "outside");
  fs::create_directory_symlink(dir_ / "outside", dir_ / "proj" / "linkcode");
  const Error e = refused("type: command\ncommand: ls\ncode: ./linkcode\n");
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_TRUE(starts_with(e.what(), "job.yml: code: ")) << e.what();
  EXPECT_NE(std::string(e.what()).find("is a symbolic link to '" + (dir_ / "outside").string()),
            std::string::npos)
      << e.what();
  EXPECT_TRUE(ws_->store().list_runs({}).empty());
}

}  // namespace
}  // namespace glia::platform
