// Environment specs: requirement normalization, requirements files, canonical JSON and hashes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "error_of.hpp"
#include "glia/error.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/input_limits.hpp"

namespace glia::platform {
namespace {

using testing_util::error_of;

std::string norm(const std::string& text) {
  return normalize_requirement(text, "req");
}

TEST(NormalizeRequirement, NamesArePep503AndSpecifiersLoseWhitespace) {
  EXPECT_EQ(norm("Tensorflow_CPU == 2.15.1"), "tensorflow-cpu==2.15.1");
  EXPECT_EQ(norm("  numpy  "), "numpy");
  EXPECT_EQ(norm("Zope.Interface__x-_.y>=5"), "zope-interface-x-y>=5");
  EXPECT_EQ(norm("requests[Socks , security]>=2"), "requests[security,socks]>=2");
  EXPECT_EQ(norm("requests [security,Security]"), "requests[security]");
  EXPECT_EQ(norm("requests[]"), "requests");
  EXPECT_EQ(norm("pandas (>=2.0, <3)"), "pandas<3,>=2.0");
  EXPECT_EQ(norm("pandas < 3 , >= 2.0"), "pandas<3,>=2.0");
  EXPECT_EQ(norm("numpy==1.26.*"), "numpy==1.26.*");
  EXPECT_EQ(norm("foo ~= 1.4.2"), "foo~=1.4.2");
  EXPECT_EQ(norm("foo===1.0-local"), "foo===1.0-local");
}

TEST(NormalizeRequirement, MarkersKeepTheirTextWithSingleSpaces) {
  EXPECT_EQ(norm("pywin32 >=1.0 ;  sys_platform   ==  'win32'"),
            "pywin32>=1.0; sys_platform == 'win32'");
  EXPECT_EQ(norm("numpy;python_version<\"3.12\""), "numpy; python_version<\"3.12\"");
}

TEST(NormalizeRequirement, DirectReferencesKeepTheirUrl) {
  EXPECT_EQ(norm("My_Pkg @ https://example.com/my_pkg-1.0-py3-none-any.whl"),
            "my-pkg @ https://example.com/my_pkg-1.0-py3-none-any.whl");
  EXPECT_EQ(norm("pkg[B,a]@file:///tmp/pkg.tar.gz  ;  python_version >= '3.8'"),
            "pkg[a,b] @ file:///tmp/pkg.tar.gz ; python_version >= '3.8'");
}

TEST(NormalizeRequirement, RefusesWhatIsNotARequirement) {
  for (const char* bad : {"",
                          "   ",
                          "-r other.txt",
                          "--index-url https://x",
                          "-e .",
                          "_private",
                          ".hidden",
                          "./local/path",
                          "https://x/y.whl",
                          "requests[security",
                          "requests]",
                          "requests[sec]]",
                          "numpy 1.26",
                          "numpy==",
                          "numpy>=1,",
                          "numpy;",
                          "numpy==1.26 foo",
                          "pkg @",
                          "pkg @ not a url",
                          "pkg @ /no/scheme",
                          "numpy-",
                          "num\tpy==1",
                          "pkg[bad extra]",
                          "pkg @ https://${TOKEN}@host/p.whl",
                          "a\x01b"}) {
    EXPECT_THROW(norm(bad), Error) << "'" << bad << "'";
  }
  // One line naming `what` and what was expected.
  const std::string message = error_of([] { normalize_requirement("numpy 1.26", "env.txt:3"); });
  EXPECT_EQ(message.rfind("env.txt:3: ", 0), 0u) << message;
  EXPECT_NE(message.find("expected"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(NormalizeRequirement, RefusesCredentialsInUrls) {
  const std::string message =
      error_of([] { normalize_requirement("pkg @ https://user:s3cret@host/p.whl", "req"); });
  EXPECT_NE(message.find("credentials"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
}

TEST(PipRequirements, CommentsBlankLinesContinuationsAndDuplicates) {
  const EnvironmentSpec spec = parse_pip_requirements(
      "# a comment\n"
      "\n"
      "Requests >= 2.31   # trailing comment\n"
      "numpy==1.26.4\r\n"
      "tensorflow-cpu\\\n"
      "  ==2.15.1\n"
      "NumPy == 1.26.4\n"
      "   \n",
      "requirements.txt");
  EXPECT_EQ(spec.pip, (std::vector<std::string>{"numpy==1.26.4", "requests>=2.31",
                                                "tensorflow-cpu==2.15.1"}));
  EXPECT_TRUE(spec.conda.empty());
  EXPECT_FALSE(spec.python);
}

TEST(PipRequirements, OptionsAreRefusedNamingTheLine) {
  for (const char* option :
       {"-r base.txt", "--requirement=base.txt", "-c constraints.txt", "-e git+https://x/y.git",
        "--index-url https://pypi.example/simple", "--extra-index-url https://x",
        "--find-links /wheels", "-i https://x"}) {
    const std::string message =
        error_of([&] { parse_pip_requirements(std::string("numpy\n") + option + "\n", "r.txt"); });
    EXPECT_EQ(message.rfind("r.txt:2: ", 0), 0u) << message;
  }
  const std::string message =
      error_of([] { parse_pip_requirements("--index-url https://x\n", "r.txt"); });
  EXPECT_NE(message.find("PIP_INDEX_URL"), std::string::npos) << message;
  EXPECT_NE(message.find("not followed"), std::string::npos) << message;
}

TEST(PipRequirements, PerRequirementOptionsAreRefused) {
  const std::string message = error_of(
      [] { parse_pip_requirements("numpy==1.26.4 \\\n    --hash=sha256:0123abcd\n", "r.txt"); });
  EXPECT_EQ(message.rfind("r.txt:1: ", 0), 0u) << message;
  EXPECT_NE(message.find("--hash"), std::string::npos) << message;
}

TEST(PipRequirements, BadLinesNameTheirFirstLine) {
  const std::string message = error_of(
      [] { parse_pip_requirements("numpy\n# c\nfoo\\\n[bar\nscipy\n", "deps/requirements.txt"); });
  EXPECT_EQ(message.rfind("deps/requirements.txt:3: ", 0), 0u) << message;
}

TEST(PipRequirements, NothingInTheFileIsAnError) {
  for (const char* empty : {"", "\n\n", "# only a comment\n   # another\n"}) {
    const std::string message = error_of([&] { parse_pip_requirements(empty, "r.txt"); });
    EXPECT_NE(message.find("no requirements"), std::string::npos) << message;
  }
  EXPECT_THROW(parse_pip_requirements(std::string(kMaxJobFileBytes + 1, 'a'), "r.txt"), Error);
}

EnvironmentSpec sample_spec() {
  EnvironmentSpec spec;
  spec.python = "3.11";
  spec.pip = {"matplotlib", "tensorflow-cpu==2.15.1"};
  spec.conda = {"numpy==1.26.*"};
  spec.channels = {"conda-forge", "defaults"};
  spec.variables = {{"TF_CPP_MIN_LOG_LEVEL", "2"}};
  spec.name = "keras-env";
  spec.image = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04";
  return spec;
}

TEST(EnvironmentSpecJson, CanonicalSortedAndWithoutEmptyFields) {
  EXPECT_EQ(EnvironmentSpec{}.to_json().dump(), "{}");
  EnvironmentSpec spec;
  spec.pip = {"b", "a", "a"};
  spec.python = "3.11";
  EXPECT_EQ(spec.to_json().dump(), R"({"pip":["a","b"],"python":"3.11"})");
}

TEST(EnvironmentSpecJson, RoundTrips) {
  const EnvironmentSpec spec = sample_spec();
  const EnvironmentSpec back = EnvironmentSpec::from_json(spec.to_json());
  EXPECT_EQ(back.python, spec.python);
  EXPECT_EQ(back.pip, spec.pip);
  EXPECT_EQ(back.conda, spec.conda);
  EXPECT_EQ(back.channels, spec.channels);
  EXPECT_EQ(back.variables, spec.variables);
  EXPECT_EQ(back.name, spec.name);
  EXPECT_EQ(back.image, spec.image);
  EXPECT_EQ(back.spec_hash(), spec.spec_hash());
  EXPECT_EQ(EnvironmentSpec::from_json(nlohmann::json::object()).to_json().dump(), "{}");
}

TEST(EnvironmentSpecJson, FromJsonRefusesWhatItDoesNotKnow) {
  for (const char* bad : {R"([])", R"({"pip": "numpy"})", R"({"pip": [1]})", R"({"python": 3.11})",
                          R"({"variables": {"A": 1}})", R"({"prefix": "/opt/env"})"}) {
    try {
      EnvironmentSpec::from_json(nlohmann::json::parse(bad));
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Corrupt) << bad;
    }
  }
}

TEST(EnvironmentSpecHash, SameSpecWrittenOtherwiseHashesTheSame) {
  const EnvironmentSpec a =
      parse_pip_requirements("numpy == 1.26.4\nRequests[Socks,security]>=2\n", "a.txt");
  const EnvironmentSpec b = parse_pip_requirements(
      "# the same, other order and spelling\n\nrequests [ security , socks ] >= 2  # web\n"
      "NumPy==1.26.4\nnumpy==1.26.4\n",
      "b.txt");
  EXPECT_EQ(a.spec_hash(), b.spec_hash());
  EXPECT_EQ(a.build_hash(), b.build_hash());
  EXPECT_EQ(a.spec_hash().size(), 64u);

  const EnvironmentSpec c =
      parse_pip_requirements("numpy==1.26.3\nrequests[security,socks]>=2\n", "c.txt");
  EXPECT_NE(a.spec_hash(), c.spec_hash());
  EXPECT_NE(a.build_hash(), c.build_hash());
}

TEST(EnvironmentSpecHash, BuildHashCoversOnlyWhatTheBuildUses) {
  const EnvironmentSpec base = sample_spec();
  EnvironmentSpec other = base;
  other.channels = {"defaults"};
  other.variables = {{"OTHER", "1"}};
  other.name = "another-name";
  other.image = "";
  EXPECT_NE(base.spec_hash(), other.spec_hash());
  EXPECT_EQ(base.build_hash(), other.build_hash());
  EXPECT_NE(base.build_hash(), base.spec_hash());

  EnvironmentSpec python = base;
  python.python = "3.12";
  EXPECT_NE(base.build_hash(), python.build_hash());
  python.python.reset();
  EXPECT_NE(base.build_hash(), python.build_hash());

  // A requirement moved between the conda and pip lists installs in another order.
  EnvironmentSpec moved = base;
  moved.conda.clear();
  moved.pip.push_back("numpy==1.26.*");
  EXPECT_NE(base.build_hash(), moved.build_hash());
}

TEST(EnvironmentSpec, RequirementsAreCondaFirstThenPipWithoutRepeats) {
  EnvironmentSpec spec;
  spec.conda = {"numpy==1.26.*", "scipy"};
  spec.pip = {"matplotlib", "scipy"};
  EXPECT_EQ(spec.requirements(),
            (std::vector<std::string>{"numpy==1.26.*", "scipy", "matplotlib"}));
}

}  // namespace
}  // namespace glia::platform
