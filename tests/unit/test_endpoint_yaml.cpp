// Azure CLI v2 online endpoint and deployment files (endpoint_spec.hpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "glia/error.hpp"
#include "glia/platform/endpoint_spec.hpp"

using namespace glia;
using namespace glia::platform;
namespace fs = std::filesystem;

namespace {

class EndpointYaml : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("glia-endpoint-yaml-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  // The error's message for reading `text` as a file; fails the test when it reads.
  std::string error_of(const std::string& text) {
    EndpointFileSpec spec;
    try {
      read_endpoint_file(write("bad.yml", text), spec);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "accepted: " << text;
    return "";
  }
  fs::path dir_;
};

TEST_F(EndpointYaml, ReadsAnEndpointAndItsDeployment) {
  EndpointFileSpec spec;
  read_endpoint_file(write("endpoint.yml", R"(
$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json
name: keras-mnist-svc
auth_mode: key
description: the seed's web service
tags: {team: vision}
traffic: {blue: 100}
)"),
                     spec);
  read_endpoint_file(write("deployment.yml", R"(
$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
name: blue
endpoint_name: keras-mnist-svc
model: azureml:keras-mnist:3
code_configuration:
  code: ./score
  scoring_script: score.py
environment: azureml:keras-env:1
instance_type: Standard_DS3_v2
instance_count: 2
request_settings: {request_timeout_ms: 3000}
batching: {max_batch_size: 64, max_queue_delay_us: 200, max_queue: 512}
limits: {max_body_bytes: 1048576, max_rows: 100}
)"),
                     spec);
  EXPECT_EQ(spec.name, "keras-mnist-svc");
  EXPECT_EQ(spec.auth_mode, "key");
  EXPECT_EQ(spec.tags.at("team"), "vision");
  EXPECT_EQ(spec.model, "azureml:keras-mnist:3");
  EXPECT_EQ(spec.code_dir, dir_ / "score");
  EXPECT_EQ(spec.scoring_script, "score.py");
  EXPECT_EQ(spec.environment, "azureml:keras-env:1");
  EXPECT_EQ(spec.instances, 2);
  EXPECT_EQ(spec.request_timeout_ms, 3000);
  EXPECT_EQ(spec.max_batch_size, 64);
  EXPECT_EQ(spec.max_queue_delay_us, 200);
  EXPECT_EQ(spec.max_queue, 512);
  EXPECT_EQ(spec.max_body_bytes, 1048576);
  EXPECT_EQ(spec.max_rows, 100);
  ASSERT_EQ(spec.notes.size(), 1u);  // instance_type: used for nothing, said so
  EXPECT_NE(spec.notes[0].find("instance_type"), std::string::npos);
}

TEST_F(EndpointYaml, RefusesWhatItCannotHonour) {
  EXPECT_NE(error_of("name: a\nauth_mode: aml_token\n").find("auth_mode"), std::string::npos);
  EXPECT_NE(error_of("name: a\nsurprise: 1\n").find("surprise"), std::string::npos);
  EXPECT_NE(error_of("name: a\ntraffic: {blue: 50, green: 50}\n").find("traffic.blue"),
            std::string::npos);
  EXPECT_NE(error_of("endpoint_name: a\nmodel: {path: ./model}\n").find("register it first"),
            std::string::npos);
  EXPECT_NE(error_of("endpoint_name: a\ninstance_count: 0\n").find("instance_count"),
            std::string::npos);
  EXPECT_NE(error_of("endpoint_name: a\ninstance_count: two\n").find("instance_count"),
            std::string::npos);
  EXPECT_NE(error_of("endpoint_name: a\nliveness_probe: {period: 1}\n").find("liveness_probe"),
            std::string::npos);
  EXPECT_NE(error_of("endpoint_name: a\nbatching: {max_delay: 3}\n").find("max_delay"),
            std::string::npos);
  EXPECT_NE(error_of("- a\n- b\n").find("expected a mapping"), std::string::npos);
  EXPECT_NE(error_of("name: [unclosed\n").find("bad.yml"), std::string::npos);
}

TEST_F(EndpointYaml, FilesMustAgree) {
  EndpointFileSpec spec;
  read_endpoint_file(write("endpoint.yml", "name: one\n"), spec);
  try {
    read_endpoint_file(write("deployment.yml", "endpoint_name: two\nmodel: m:1\n"), spec);
    FAIL() << "two names accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("endpoint_name"), std::string::npos) << e.what();
  }
}

}  // namespace
