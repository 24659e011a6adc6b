// Environment versions through the registry: resolving references (kinds and what the message
// lists), registration (the python version checked first, nothing stored on a refusal), inline
// environments named by their spec, and built_environment seeing only published builds.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "error_of.hpp"
#include "glia/error.hpp"
#include "glia/platform/environments.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;
using testing_util::error_of;

class EnvironmentRegistry : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("glia-envreg-" +
            std::string(testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    ws_ = std::make_unique<Workspace>(Workspace::init(dir_));
  }
  void TearDown() override {
    ws_.reset();
    fs::remove_all(dir_);
  }
  EnvironmentVersion add(const std::string& name, const std::string& requirements) {
    EnvironmentRegistration r;
    r.name = name;
    r.spec = parse_pip_requirements(requirements, "requirements.txt");
    r.source = requirements;
    r.source_kind = "pip";
    return register_environment(*ws_, r);
  }
  fs::path dir_;
  std::unique_ptr<Workspace> ws_;
};

TEST_F(EnvironmentRegistry, ReferencesResolveWithPrefixesAndVersions) {
  add("keras-env", "six==1.17.0\n");
  add("keras-env", "six==1.16.0\n");
  Store& store = ws_->store();
  EXPECT_EQ(resolve_environment(store, parse_environment_ref("keras-env")).version, 2);
  EXPECT_EQ(resolve_environment(store, parse_environment_ref("glia:keras-env@latest")).version, 2);
  EXPECT_EQ(resolve_environment(store, parse_environment_ref("azureml:keras-env:1")).version, 1);
  EXPECT_EQ(resolve_environment(store, parse_environment_ref("keras-env:1")).version, 1);
  auto kind_of = [&](const std::string& ref) {
    try {
      resolve_environment(store, parse_environment_ref(ref));
    } catch (const Error& e) {
      return e.kind();
    }
    return ErrorKind::Internal;
  };
  EXPECT_EQ(kind_of("nope@latest"), ErrorKind::NotFound);
  EXPECT_EQ(kind_of("keras-env:7"), ErrorKind::NotFound);
  const std::string missing =
      error_of([&] { resolve_environment(store, parse_environment_ref("keras-env:7")); });
  EXPECT_NE(missing.find("versions: 1, 2"), std::string::npos) << missing;
  store.set_environment_archived("keras-env", 2, true);
  EXPECT_EQ(resolve_environment(store, parse_environment_ref("keras-env@latest")).version, 1);
  store.set_environment_archived("keras-env", 1, true);
  const std::string archived =
      error_of([&] { resolve_environment(store, parse_environment_ref("keras-env")); });
  EXPECT_NE(archived.find("archived"), std::string::npos) << archived;
  EXPECT_EQ(kind_of("keras-env"), ErrorKind::NotFound);  // as datasets say
  EXPECT_THROW(parse_environment_ref("bad name"), Error);
  EXPECT_THROW(parse_environment_ref("keras-env:x"), Error);
}

TEST_F(EnvironmentRegistry, TheSameSpecKeepsItsVersion) {
  const EnvironmentVersion a = add("e", "six==1.17.0\ntomli\n");
  const EnvironmentVersion b = add("e", "# reordered\nTomli\nSix == 1.17.0\n");
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.spec_hash, b.spec_hash);
  EXPECT_EQ(add("e", "six==1.17.0\n").version, 2);
}

TEST_F(EnvironmentRegistry, AnUnavailablePythonIsRefusedAndNothingStored) {
  EnvironmentRegistration r;
  r.name = "old";
  r.spec = parse_conda_file("dependencies: [python=3.2]\n", "env.yml");
  r.source_kind = "conda";
  try {
    register_environment(*ws_, r);
    FAIL() << "python 3.2 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("3.2"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(ws_->store().list_environments().empty());
  EXPECT_THROW(add("bad name", "six\n"), Error);
}

TEST_F(EnvironmentRegistry, InlineEnvironmentsAreNamedByTheirSpec) {
  EnvironmentSpec spec = parse_conda_file("dependencies: [{pip: [six]}]\n", "env.yml");
  spec.image = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04";
  const EnvironmentVersion a = register_anonymous_environment(*ws_, spec, "x", "conda", "ada");
  const EnvironmentVersion b = register_anonymous_environment(*ws_, spec, "x", "conda", "ada");
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.version, 1);
  EXPECT_EQ(b.version, 1);
  EXPECT_TRUE(a.anonymous);
  EXPECT_EQ(a.name, "anonymous-env-" + spec.spec_hash().substr(0, 16));
  EnvironmentSpec other = spec;
  other.image.clear();
  const EnvironmentVersion c = register_anonymous_environment(*ws_, other, "x", "conda", "ada");
  EXPECT_NE(c.name, a.name);              // another spec (the image is part of it)...
  EXPECT_EQ(c.build_hash, a.build_hash);  // ...but the same build
}

TEST_F(EnvironmentRegistry, OnlyPublishedBuildsAreBuilt) {
  const EnvironmentVersion v = add("e", "six\n");
  EXPECT_FALSE(built_environment(*ws_, v.build_hash));
  const fs::path root = environments_root(*ws_);
  const fs::path build = root / "builds" / (v.build_hash + "-0123456789abcdef");
  fs::create_directories(build / "bin");
  EXPECT_FALSE(built_environment(*ws_, v.build_hash));  // a build folder alone: unfinished
  fs::create_directory_symlink(fs::path("builds") / build.filename(), root / v.build_hash);
  EXPECT_FALSE(built_environment(*ws_, v.build_hash));  // a link to a build without its record
  std::ofstream(build / "glia-environment.json") << "{}";
  ASSERT_TRUE(built_environment(*ws_, v.build_hash));
  EXPECT_EQ(*built_environment(*ws_, v.build_hash), fs::canonical(build));
}

TEST_F(EnvironmentRegistry, JobVariablesPutTheVenvFirst) {
  EnvironmentRegistration r;
  r.name = "vars";
  r.spec = parse_conda_file("dependencies: [{pip: [six]}]\nvariables: {A: b}\n", "env.yml");
  r.source_kind = "conda";
  const EnvironmentVersion v = register_environment(*ws_, r);
  const auto env = environment_variables_for(v, "/x/venv", "/usr/bin:/bin");
  EXPECT_EQ(env.at("PATH"), "/x/venv/bin:/usr/bin:/bin");
  EXPECT_EQ(env.at("VIRTUAL_ENV"), "/x/venv");
  EXPECT_EQ(env.at("A"), "b");
  EXPECT_EQ(environment_variables_for(v, "", "/usr/bin").count("PATH"), 0u);
}

// Regression: only the first URL of PIP_EXTRA_INDEX_URL lost its password in the build's log.
TEST(RedactUrls, EveryUrlLosesItsCredentialsAndQuery) {
  EXPECT_EQ(redact_urls("https://pypi.org/simple"), "https://pypi.org/simple");
  EXPECT_EQ(redact_urls("https://u:p@host/simple"), "https://***@host/simple");
  EXPECT_EQ(redact_urls("http://u1:s1@h1/a http://u2:s2@h2:8080/b"),
            "http://***@h1/a http://***@h2:8080/b");
  EXPECT_EQ(redact_urls("https://host/simple?token=abc"), "https://host/simple?***");
  EXPECT_EQ(redact_urls("https://tok@host"), "https://***@host");
  EXPECT_EQ(redact_urls("/opt/wheels"), "/opt/wheels");
  EXPECT_EQ(redact_urls("https://host/a@b"), "https://host/a@b");  // an @ in the path is not a user
}

}  // namespace
}  // namespace glia::platform
