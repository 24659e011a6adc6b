#include <gtest/gtest.h>

#include <unistd.h>
#include "temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "glia/error.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

class WorkspaceTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("ws");
    unsetenv("GLIA_WORKSPACE");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(WorkspaceTest, InitCreatesStoreArtifactsAndConfig) {
  Workspace ws = Workspace::init(dir_ / "ws", "team");
  EXPECT_EQ(ws.name(), "team");
  EXPECT_TRUE(fs::exists(ws.config_path()));
  EXPECT_TRUE(fs::is_directory(ws.artifacts_path()));
  EXPECT_GE(ws.store().schema_version(), 2);
  EXPECT_EQ(Workspace::open(dir_ / "ws").name(), "team");
  EXPECT_EQ(Workspace::init(dir_ / "other").name(), "other");
}

TEST_F(WorkspaceTest, InitTwiceOrOnAFileFails) {
  Workspace::init(dir_ / "ws");
  EXPECT_THROW(Workspace::init(dir_ / "ws"), Error);
  std::ofstream(dir_ / "file") << "x";
  EXPECT_THROW(Workspace::init(dir_ / "file"), Error);
}

TEST_F(WorkspaceTest, FindWalksUpFromTheCurrentFolder) {
  Workspace::init(dir_ / "ws");
  fs::create_directories(dir_ / "ws" / "a" / "b");
  EXPECT_EQ(Workspace::find(std::nullopt, dir_ / "ws" / "a" / "b").root(), dir_ / "ws");
  EXPECT_EQ(Workspace::find(dir_ / "ws", "/").root(), dir_ / "ws");
}

TEST_F(WorkspaceTest, FindUsesTheEnvironment) {
  Workspace::init(dir_ / "ws");
  setenv("GLIA_WORKSPACE", (dir_ / "ws").c_str(), 1);
  EXPECT_EQ(Workspace::find(std::nullopt, "/").root(), dir_ / "ws");
  unsetenv("GLIA_WORKSPACE");
}

TEST_F(WorkspaceTest, NoWorkspaceSaysHowToMakeOne) {
  fs::create_directories(dir_);
  try {
    Workspace::find(std::nullopt, dir_);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("glia workspace init"), std::string::npos) << e.what();
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);  // exit code 3
  }
  try {
    Workspace::open(dir_);
    ADD_FAILURE() << "a folder without a workspace was opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound) << e.what();
  }
}

TEST_F(WorkspaceTest, CorruptOrNewerConfigIsAClearError) {
  Workspace ws = Workspace::init(dir_ / "ws");
  std::ofstream(ws.config_path()) << "{not json";
  try {
    Workspace::open(dir_ / "ws");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
  std::ofstream(ws.config_path()) << R"({"version": 99})";
  EXPECT_THROW(Workspace::open(dir_ / "ws"), Error);
}

}  // namespace
}  // namespace glia::platform
