// Every YAML file Glia reads (job, sweep, compute, endpoint, deployment and conda files) refuses a
// repeated key through the one check (yaml/unique_keys.hpp), and the files read with the job
// files' reader refuse a quoted number where a number is expected (docs/sweeps.md: '20' is a
// string).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/compute_file.hpp"
#include "glia/platform/endpoint_spec.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/job_spec.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

class YamlFiles : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("yaml-files");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  // Each reader of one kind of file, from its text.
  std::vector<std::pair<std::string, std::function<void(const std::string&)>>> readers() {
    return {
        {"job", [&](const std::string& t) { parse_job_spec(t, "f.yml", dir_); }},
        {"sweep", [&](const std::string& t) { parse_sweep_spec(t, "f.yml", dir_); }},
        {"compute", [&](const std::string& t) { parse_compute_file(t, "f.yml"); }},
        {"endpoint",
         [&](const std::string& t) {
           EndpointFileSpec spec;
           read_endpoint_file(write("f.yml", t), spec);
         }},
        {"conda", [&](const std::string& t) { parse_conda_file(t, "f.yml"); }},
    };
  }
  static std::string refusal(const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
      return e.what();
    }
    return "(accepted)";
  }
  fs::path dir_;
};

TEST_F(YamlFiles, EveryFileRefusesARepeatedKeyInsteadOfLettingOneWin) {
  const std::map<std::string, std::string> good = {
      {"job", "command: echo hi\n"},
      {"sweep",
       "type: sweep\ntrial: {command: 'true ${{search_space.x}}'}\nsampling_algorithm: random\n"
       "search_space: {x: {type: uniform, min_value: 0, max_value: 1}}\n"
       "objective: {primary_metric: acc, goal: maximize}\n"},
      {"compute", "name: a\ntype: local\n"},
      {"endpoint", "name: ep\nauth_mode: key\n"},
      {"conda", "name: env\ndependencies: [python=3.11]\n"},
  };
  for (const auto& [kind, read] : readers()) {
    const std::string text = good.at(kind);
    EXPECT_EQ(refusal([&] { read(text); }), "(accepted)") << kind;
    // The file's first key again, with another value, at the top level.
    const std::string first = text.substr(0, text.find(':'));
    const std::string repeated = text + first + ": other\n";
    const std::string message = refusal([&] { read(repeated); });
    EXPECT_NE(message.find("duplicate key '" + first + "'"), std::string::npos)
        << kind << ": " << message;
    EXPECT_NE(message.find("f.yml"), std::string::npos) << kind << ": " << message;
  }
  // A deployment file is the endpoint reader's other shape.
  const std::string message = refusal([&] {
    EndpointFileSpec spec;
    read_endpoint_file(write("d.yml", "endpoint_name: ep\ninstance_count: 1\ninstance_count: 2\n"),
                       spec);
  });
  EXPECT_NE(message.find("duplicate key 'instance_count'"), std::string::npos) << message;
  // Nested mappings too.
  EXPECT_NE(refusal([&] {
              parse_compute_file("name: a\nname: b\ntype: local\n", "c.yml");
            }).find("c.yml: duplicate key 'name'"),
            std::string::npos);
  EXPECT_NE(refusal([&] {
              parse_job_spec("command: x\nlimits: {timeout: 1, timeout: 2}\n", "j.yml", dir_);
            }).find("duplicate key 'limits.timeout'"),
            std::string::npos);
}

TEST_F(YamlFiles, AQuotedNumberIsAStringAndRefusedWhereANumberIsExpected) {
  const std::vector<std::pair<std::string, std::string>> compute = {
      {"max_instances", "name: s\ntype: slurm\npartition: p\nmax_instances: \"3\"\n"},
      {"max_nodes", "name: s\ntype: slurm\npartition: p\nmax_nodes: '3'\n"},
      {"max_concurrent", "name: a\ntype: local\nmax_concurrent: !!str 2\n"},
      {"threads_per_job", "name: a\ntype: local\nthreads_per_job: \"2\"\n"},
      {"min_instances", "name: s\ntype: slurm\npartition: p\nmin_instances: \"0\"\n"},
  };
  for (const auto& [key, text] : compute) {
    const std::string message = refusal([&] { parse_compute_file(text, "c.yml"); });
    EXPECT_EQ(message.rfind("c.yml: " + key + ": expected a whole number, got '", 0), 0u)
        << message;
    EXPECT_NE(message.find("quoted"), std::string::npos) << message;
  }
  EXPECT_EQ(parse_compute_file("name: s\ntype: slurm\npartition: p\nmax_instances: 3\n", "c.yml")
                .max_nodes,
            3);

  const std::vector<std::pair<std::string, std::string>> job = {
      {"limits.timeout", "limits: {timeout: \"60\"}"},
      {"resources.threads", "resources: {threads: '2'}"},
      {"resources.instance_count", "resources: {instance_count: \"1\"}"},
      {"distribution.process_count_per_instance",
       "distribution: {type: mpi, process_count_per_instance: \"2\"}"},
  };
  for (const auto& [key, line] : job) {
    const std::string message =
        refusal([&] { parse_job_spec("command: echo hi\n" + line + "\n", "j.yml", dir_); });
    EXPECT_EQ(message.rfind("j.yml: " + key + ": expected ", 0), 0u) << message;
    EXPECT_NE(message.find("quoted"), std::string::npos) << message;
    // Unquoted, the same number is read.
    std::string plain = line;
    for (char q : {'"', '\''}) std::erase(plain, q);
    EXPECT_EQ(refusal([&] { parse_job_spec("command: echo hi\n" + plain + "\n", "j.yml", dir_); }),
              "(accepted)")
        << plain;
  }
  // --set values have no YAML quoting: they stay text, read as the file's plain scalars are.
  JobSpec spec = parse_job_spec("command: echo hi\n", "j.yml", dir_);
  apply_override(spec, "limits.timeout=60");
  EXPECT_EQ(spec.timeout_seconds, 60.0);

  const std::string message = refusal([&] {
    EndpointFileSpec s;
    read_endpoint_file(write("d.yml", "endpoint_name: ep\ninstance_count: \"2\"\n"), s);
  });
  EXPECT_NE(message.find("instance_count: expected an integer, got '2' (quoted"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace glia::platform
