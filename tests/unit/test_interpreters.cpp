// Python interpreters on PATH: found and asked their version (real ones and fakes), and chosen
// by an environment's python version.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "error_of.hpp"
#include "glia/error.hpp"
#include "glia/platform/environments.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;
using testing_util::error_of;

class Interpreters : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("interp");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// An executable shell script `name` in `folder` running `body`.
  fs::path script(const fs::path& folder, const std::string& name, const std::string& body,
                  bool executable = true) {
    fs::create_directories(folder);
    const fs::path path = folder / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), executable ? 0755 : 0644);
    return path;
  }

  fs::path dir_;
};

std::string run_and_read(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 256> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) out += buffer.data();
  ::pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST_F(Interpreters, FindsTheRealPython3WithItsVersion) {
  const char* path = std::getenv("PATH");
  ASSERT_NE(path, nullptr);
  const std::string expected =
      run_and_read("python3 -c \"import sys;print('%d.%d.%d'%sys.version_info[:3])\"");
  ASSERT_FALSE(expected.empty()) << "python3 is needed on PATH";
  const std::vector<Interpreter> found = find_interpreters(path);
  ASSERT_FALSE(found.empty());
  // The first is the python3 a shell finds first.
  EXPECT_EQ(found.front().path.filename(), "python3");
  EXPECT_TRUE(found.front().path.is_absolute());
  EXPECT_EQ(found.front().version, expected);
  EXPECT_EQ(choose_interpreter(std::nullopt, found).version, expected);
  const std::string minor = expected.substr(0, expected.rfind('.'));
  EXPECT_EQ(choose_interpreter(minor, found).version.rfind(minor + ".", 0), 0u);
  // One entry per real interpreter.
  std::vector<fs::path> real;
  for (const auto& interpreter : found) real.push_back(fs::canonical(interpreter.path));
  std::sort(real.begin(), real.end());
  EXPECT_EQ(std::adjacent_find(real.begin(), real.end()), real.end());
}

// A build asks interpreters one at a time and stops at the first match (asking every one on PATH
// cost a second with pyenv's shims); only a miss asks them all, to list them.
TEST_F(Interpreters, FindInterpreterStopsAtTheFirstMatch) {
  const fs::path a = dir_ / "a", b = dir_ / "b", c = dir_ / "c";
  auto fake = [&](const fs::path& folder, const std::string& name, const std::string& version) {
    script(folder, name,
           "touch \"" + (folder / (name + ".asked")).string() + "\"\necho " + version);
  };
  fake(a, "python3", "3.7.1");
  fake(a, "python3.7", "3.7.1");
  fake(b, "python3.9", "3.9.4");
  fake(c, "python3", "3.9.9");
  const std::string path = a.string() + ":" + b.string() + ":" + c.string();
  const Interpreter found = find_interpreter(std::string("3.9"), path);
  EXPECT_EQ(found.path, b / "python3.9");
  EXPECT_EQ(found.version, "3.9.4");
  EXPECT_TRUE(fs::exists(a / "python3.asked"));     // python3 may be anything: asked
  EXPECT_FALSE(fs::exists(a / "python3.7.asked"));  // its name rules it out
  EXPECT_FALSE(fs::exists(c / "python3.asked"));    // after the match: never asked
  EXPECT_EQ(find_interpreter(std::nullopt, path).path, a / "python3");
  EXPECT_EQ(find_interpreter(std::string("3.9.9"), path).path, c / "python3");
  try {
    find_interpreter(std::string("3.12"), path);
    FAIL() << "3.12 found";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("3.9.4 at"), std::string::npos) << e.what();
  }
}

TEST_F(Interpreters, FakesAreFoundSkippedAndDeduplicated) {
  const fs::path a = dir_ / "a";
  const fs::path b = dir_ / "b";
  script(a, "python3.7", "echo 3.7.1");
  script(a, "python3.8", "echo 3.8.0; exit 1");  // fails: skipped
  script(a, "python3.5", "yes 3.5.1");           // never stops talking: killed, skipped
  script(a, "python3.9", "echo not a version");  // says nonsense: skipped
  script(a, "python3.10", "echo 3.10.4", /*executable=*/false);  // not executable: skipped
  script(a, "python3-config", "echo 3.7.1");                     // not an interpreter name
  script(a, "python3.11-config", "echo 3.11.1");                 // likewise
  script(a, "python3.x", "echo 3.12.0");                         // likewise
  script(a, "python2.7", "echo 2.7.18");                         // likewise
  script(b, "python3", "echo 3.12.2");
  script(b, "python3.12", "echo 3.12.2");
  fs::create_symlink(a / "python3.7", b / "python3.13");  // the same interpreter as a/python3.7
  script(b, "python3.6", "echo 2.7.18");                  // not a Python 3

  const std::vector<Interpreter> found =
      find_interpreters(a.string() + "::" + b.string() + ":" + (dir_ / "missing").string());
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].path, a / "python3.7");
  EXPECT_EQ(found[0].version, "3.7.1");
  EXPECT_EQ(found[1].path, b / "python3");  // python3 first in its folder
  EXPECT_EQ(found[1].version, "3.12.2");
  EXPECT_EQ(found[2].path, b / "python3.12");

  EXPECT_EQ(choose_interpreter(std::string("3.7"), found).path, a / "python3.7");
  EXPECT_EQ(choose_interpreter(std::string("3.7.1"), found).path, a / "python3.7");
  EXPECT_EQ(choose_interpreter(std::string("3.12"), found).path, b / "python3");
  EXPECT_EQ(choose_interpreter(std::nullopt, found).path, a / "python3.7");
}

TEST_F(Interpreters, AskedOnceEach) {
  const fs::path count = dir_ / "count";
  script(dir_ / "bin", "python3", "echo x >> '" + count.string() + "'; echo 3.11.2");
  fs::create_symlink(dir_ / "bin" / "python3", dir_ / "bin" / "python3.11");
  ASSERT_EQ(find_interpreters((dir_ / "bin").string()).size(), 1u);
  std::ifstream in(count);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) ++lines;
  EXPECT_EQ(lines, 1);
}

TEST_F(Interpreters, ChooseMatchesXYAndXYZ) {
  const std::vector<Interpreter> found{{"/usr/bin/python3", "3.11.7"},
                                       {"/opt/py/bin/python3.9", "3.9.18"},
                                       {"/opt/py/bin/python3.1", "3.1.5"}};
  EXPECT_EQ(choose_interpreter(std::string("3.11"), found).path, "/usr/bin/python3");
  EXPECT_EQ(choose_interpreter(std::string("3.11.7"), found).path, "/usr/bin/python3");
  EXPECT_EQ(choose_interpreter(std::string("3.9"), found).path, "/opt/py/bin/python3.9");
  EXPECT_EQ(choose_interpreter(std::string("3.1"), found).path, "/opt/py/bin/python3.1");
  EXPECT_EQ(choose_interpreter(std::nullopt, found).path, "/usr/bin/python3");

  for (const char* missing : {"3.11.6", "3.12", "3.7"}) {
    try {
      choose_interpreter(std::string(missing), found);
      ADD_FAILURE() << missing;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::NotFound);
      const std::string message = e.what();
      EXPECT_NE(message.find(std::string("Python ") + missing), std::string::npos) << message;
      EXPECT_NE(message.find("3.11.7 at /usr/bin/python3, 3.9.18 at /opt/py/bin/python3.9"),
                std::string::npos)
          << message;
    }
  }
  try {
    choose_interpreter(std::string("3.11"), {});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("none on PATH"), std::string::npos) << e.what();
  }
  try {
    choose_interpreter(std::nullopt, {});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  for (const char* bad : {"3", "3.x", "3.11.7.1", ">=3.8", "", "3..1"}) {
    try {
      choose_interpreter(std::string(bad), found);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << bad;
    }
  }
}

}  // namespace
}  // namespace glia::platform
