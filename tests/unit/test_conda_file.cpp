// conda environment YAML files: what a spec takes from them, and each refusal with its
// line:column.
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
using Strings = std::vector<std::string>;

EnvironmentSpec parse(const std::string& yaml) {
  return parse_conda_file(yaml, "env.yml");
}

std::string error_in(const std::string& yaml) {
  return error_of([&] { parse(yaml); });
}

// The sample's style: python, plain conda packages and a pip list.
const char* const kKerasEnv = R"(name: keras-env
channels:
  - conda-forge
  - defaults
dependencies:
  - python=3.11
  - pip
  - numpy=1.26
  - pip:
      - tensorflow-cpu==2.15.1
      - Matplotlib
variables:
  TF_CPP_MIN_LOG_LEVEL: "2"
)";

TEST(CondaFile, ReadsTheSampleStyle) {
  const EnvironmentSpec spec = parse(kKerasEnv);
  EXPECT_EQ(spec.name, "keras-env");
  EXPECT_EQ(spec.channels, (Strings{"conda-forge", "defaults"}));
  ASSERT_TRUE(spec.python);
  EXPECT_EQ(*spec.python, "3.11");
  EXPECT_EQ(spec.conda, (Strings{"numpy==1.26.*"}));
  EXPECT_EQ(spec.pip, (Strings{"matplotlib", "tensorflow-cpu==2.15.1"}));
  EXPECT_EQ(spec.variables.at("TF_CPP_MIN_LOG_LEVEL"), "2");
  EXPECT_TRUE(spec.image.empty());
}

TEST(CondaFile, ChannelOrderIsKept) {
  EXPECT_EQ(parse("channels: [defaults, conda-forge, pytorch]\n").channels,
            (Strings{"defaults", "conda-forge", "pytorch"}));
}

TEST(CondaFile, SameEnvironmentWrittenOtherwiseHashesTheSame) {
  const EnvironmentSpec other = parse(R"(
# comments, other key order, other item order and spellings
variables: {TF_CPP_MIN_LOG_LEVEL: '2'}
dependencies:
  - pip:
    - matplotlib   # plots
    - TensorFlow_CPU == 2.15.1
  - NumPy=1.26
  - python=3.11
  - pip
channels: [conda-forge, defaults]
name: keras-env
)");
  EXPECT_EQ(other.spec_hash(), parse(kKerasEnv).spec_hash());
}

TEST(CondaFile, PythonVersions) {
  const auto python_of = [](const std::string& dep) {
    return parse("dependencies: ['" + dep + "']\n").python.value_or("(unset)");
  };
  EXPECT_EQ(python_of("python=3.11"), "3.11");
  EXPECT_EQ(python_of("python==3.11.7"), "3.11.7");
  EXPECT_EQ(python_of("python 3.11"), "3.11");
  EXPECT_EQ(python_of("python=3.11.*"), "3.11");
  EXPECT_EQ(python_of("python=3.11.7=h955ad1f_0"), "3.11.7");
  EXPECT_EQ(python_of("conda-forge::python=3.10"), "3.10");
  EXPECT_EQ(python_of("python"), "(unset)");
  for (const char* bad : {"python>=3.8", "python >=3.8", "python=3", "python=2.7",
                          "python=3.11.7.1", "python=3.x", "python<4", "python=3.11,<3.12"}) {
    const std::string message = error_in(std::string("dependencies:\n  - '") + bad + "'\n");
    EXPECT_NE(message.find("X.Y"), std::string::npos) << bad << ": " << message;
    EXPECT_EQ(message.rfind("env.yml:2:5: dependencies[0]", 0), 0u) << message;
  }
  const std::string twice = error_in("dependencies: [python=3.11, python=3.12]\n");
  EXPECT_NE(twice.find("twice"), std::string::npos) << twice;
}

TEST(CondaFile, CondaPackagesBecomePipRequirements) {
  const auto conda_of = [](const std::string& dep) {
    const EnvironmentSpec spec = parse("dependencies: ['" + dep + "']\n");
    return spec.conda.empty() ? std::string("(none)") : spec.conda.front();
  };
  EXPECT_EQ(conda_of("numpy"), "numpy");
  EXPECT_EQ(conda_of("numpy=1.26"), "numpy==1.26.*");
  EXPECT_EQ(conda_of("numpy=1.26.4"), "numpy==1.26.4.*");
  EXPECT_EQ(conda_of("numpy==1.26.4"), "numpy==1.26.4");
  EXPECT_EQ(conda_of("numpy 1.26.4"), "numpy==1.26.4");
  EXPECT_EQ(conda_of("numpy 1.26.4 py311h_0"), "numpy==1.26.4");
  EXPECT_EQ(conda_of("numpy=1.26.4=py311h_0"), "numpy==1.26.4");
  EXPECT_EQ(conda_of("numpy=1.26.*"), "numpy==1.26.*");
  EXPECT_EQ(conda_of("numpy=1.26*"), "numpy==1.26.*");
  EXPECT_EQ(conda_of("numpy=*"), "numpy");
  EXPECT_EQ(conda_of("numpy>=1.20,<2"), "numpy<2,>=1.20");
  EXPECT_EQ(conda_of("numpy >=1.20"), "numpy>=1.20");
  EXPECT_EQ(conda_of("numpy!=1.25"), "numpy!=1.25");
  EXPECT_EQ(conda_of("conda-forge::numpy"), "numpy");
  EXPECT_EQ(conda_of("conda-forge::Scikit_Learn=1.4"), "scikit-learn==1.4.*");
  EXPECT_EQ(conda_of("pip"), "(none)");
  EXPECT_EQ(conda_of("pip=23.0"), "pip==23.0.*");
  EXPECT_EQ(conda_of("pip==23.0.1"), "pip==23.0.1");
  EXPECT_EQ(parse("dependencies: [scipy, numpy=1.26, scipy, numpy=1.26]\n").conda,
            (Strings{"numpy==1.26.*", "scipy"}));
  for (const char* bad : {"numpy=1.26|1.27", "numpy[version=\">=1.20\"]", "=1.26",
                          "numpy=", "numpy==", "numpy 1.26 py311 extra", "numpy@1.26", "-e ."}) {
    const std::string message = error_in(std::string("dependencies:\n  - '") + bad + "'\n");
    EXPECT_EQ(message.rfind("env.yml:2:5: dependencies[0]", 0), 0u) << bad << ": " << message;
  }
}

TEST(CondaFile, PipListRefusesOptionsAndBadRequirements) {
  for (const char* bad : {"-r requirements.txt", "--index-url https://x/simple",
                          "-e git+https://x/y.git", "--extra-index-url https://x", "not valid!"}) {
    const std::string message =
        error_in(std::string("dependencies:\n  - pip:\n      - numpy\n      - '") + bad + "'\n");
    EXPECT_EQ(message.rfind("env.yml:4:9: dependencies[0].pip[1]", 0), 0u) << message;
  }
  EXPECT_NE(error_in("dependencies:\n  - pip:\n    - -r base.txt\n").find("PIP_INDEX_URL"),
            std::string::npos);
  EXPECT_NE(error_in("dependencies:\n  - pip: numpy\n").find("expected a list"), std::string::npos);
  EXPECT_NE(error_in("dependencies:\n  - pip: [[numpy]]\n").find("expected a pip requirement"),
            std::string::npos);
  EXPECT_NE(error_in("dependencies:\n  - pip: [a]\n  - pip: [b]\n").find("second"),
            std::string::npos);
  EXPECT_TRUE(parse("dependencies:\n  - pip:\n").pip.empty());
}

TEST(CondaFile, OtherDependencyItemsAreRefused) {
  EXPECT_EQ(error_in("dependencies:\n  - numpy\n  - conda: [x]\n").rfind("env.yml:3:5: ", 0), 0u);
  EXPECT_NE(error_in("dependencies:\n  - {pip: [a], other: [b]}\n").find("other"),
            std::string::npos);
  EXPECT_NE(error_in("dependencies:\n  - {}\n").find("dependencies[0]"), std::string::npos);
  EXPECT_NE(error_in("dependencies:\n  - [numpy]\n").find("dependencies[0]"), std::string::npos);
  EXPECT_NE(error_in("dependencies:\n  -\n").find("empty"), std::string::npos);
  EXPECT_NE(error_in("dependencies: numpy\n").find("expected a list"), std::string::npos);
}

TEST(CondaFile, TopLevelKeys) {
  const std::string unknown = error_in("name: x\nchanel: [a]\n");
  EXPECT_EQ(unknown.rfind("env.yml:2:1: chanel: unknown key", 0), 0u) << unknown;
  for (const char* key : {"name", "channels", "dependencies", "variables"}) {
    EXPECT_NE(unknown.find(key), std::string::npos) << unknown;
  }
  const std::string prefix = error_in("name: x\nprefix: /home/me/miniconda3/envs/x\n");
  EXPECT_NE(prefix.find("prefix: not used"), std::string::npos) << prefix;
  EXPECT_NE(prefix.find("remove it"), std::string::npos) << prefix;
  EXPECT_NE(error_in("name: a\nname: b\n").find("duplicate key 'name'"), std::string::npos);
  EXPECT_NE(error_in("name: [a]\n").find("name: expected a string"), std::string::npos);
  EXPECT_NE(error_in("channels: conda-forge\n").find("channels: expected a list"),
            std::string::npos);
  EXPECT_NE(error_in("channels: [[a]]\n").find("channels[0]"), std::string::npos);
  EXPECT_NE(error_in("- numpy\n").find("expected a mapping"), std::string::npos);
  EXPECT_NE(error_in("").find("empty"), std::string::npos);
  EXPECT_NE(error_in("# only a comment\n").find("empty"), std::string::npos);
  // A file with no dependencies is an (empty) environment.
  const EnvironmentSpec bare = parse("name: bare\n");
  EXPECT_EQ(bare.name, "bare");
  EXPECT_TRUE(bare.pip.empty() && bare.conda.empty() && !bare.python);
}

TEST(CondaFile, Variables) {
  const EnvironmentSpec spec = parse("variables:\n  A_1: x\n  _B: ''\n  N: 3\n");
  EXPECT_EQ(spec.variables.at("A_1"), "x");
  EXPECT_EQ(spec.variables.at("_B"), "");
  EXPECT_EQ(spec.variables.at("N"), "3");
  EXPECT_NE(error_in("variables:\n  1A: x\n").find("variables.1A: invalid name"),
            std::string::npos);
  EXPECT_NE(error_in("variables:\n  A-B: x\n").find("invalid name"), std::string::npos);
  EXPECT_NE(error_in("variables:\n  A:\n").find("variables.A: expected a string"),
            std::string::npos);
  EXPECT_NE(error_in("variables:\n  A: [x]\n").find("variables.A: expected a string"),
            std::string::npos);
  EXPECT_NE(error_in("variables: [A]\n").find("expected a mapping"), std::string::npos);
  for (const char* name : {"PATH", "VIRTUAL_ENV", "GLIA_RUN_ID"}) {
    EXPECT_NE(error_in(std::string("variables:\n  ") + name + ": x\n").find("set for each job"),
              std::string::npos)
        << name;
  }
}

TEST(CondaFile, MalformedYamlNamesLineAndColumn) {
  const std::string message = error_in("name: x\ndependencies:\n  - numpy\n  - [unclosed\n");
  EXPECT_NE(message.find("malformed YAML"), std::string::npos) << message;
  EXPECT_EQ(message.rfind("env.yml:", 0), 0u) << message;
  EXPECT_TRUE(message.rfind("env.yml:4:", 0) == 0 || message.rfind("env.yml:5:", 0) == 0)
      << message;
  EXPECT_NE(error_in("name: a\n---\nname: b\n").find("2 YAML documents"), std::string::npos);
}

TEST(CondaFile, Limits) {
  const std::string big = "name: x\n# " + std::string(kMaxJobFileBytes, 'a') + "\n";
  EXPECT_NE(error_in(big).find("larger than"), std::string::npos);
  // Aliases of aliases: refused instead of expanded.
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 8; ++i) {
    laughs += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) laughs += (k ? ", *a" : "*a") + std::to_string(i - 1);
    laughs += "]\n";
  }
  EXPECT_NE(error_in(laughs).find("nodes"), std::string::npos);
}

}  // namespace
}  // namespace glia::platform
