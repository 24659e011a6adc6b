// What submit refuses before a run exists, and of which kind (docs/jobs.md: every job-file error
// is InvalidArgument, exit code 2): a relative program without code:.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "glia/error.hpp"
#include "glia/platform/job_submit.hpp"
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

}  // namespace
}  // namespace glia::platform
