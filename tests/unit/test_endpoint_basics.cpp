// An endpoint process's bearer-key check and its config/status files.
#include <gtest/gtest.h>

#include "glia/error.hpp"
#include "glia/platform/endpoint_config.hpp"
#include "glia/serving/bearer_keys.hpp"

using namespace glia;

TEST(BearerKeys, AcceptsOnlyListedKeysWithTheBearerScheme) {
  // The digest of "abc" is SHA-256's published test vector.
  EXPECT_EQ(serving::key_sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  serving::BearerKeys keys(
      {serving::key_sha256_hex("primary-key"), serving::key_sha256_hex("secondary-key")});
  EXPECT_TRUE(keys.accepts("Bearer primary-key"));
  EXPECT_TRUE(keys.accepts("bearer secondary-key"));
  EXPECT_TRUE(keys.accepts("BEARER  primary-key "));
  EXPECT_FALSE(keys.accepts("Bearer primary-keyx"));
  EXPECT_FALSE(keys.accepts("Basic primary-key"));
  EXPECT_FALSE(keys.accepts("primary-key"));
  EXPECT_FALSE(keys.accepts("Bearer "));
  EXPECT_FALSE(keys.accepts(""));
  EXPECT_FALSE(serving::BearerKeys().accepts("Bearer primary-key"));
}

TEST(BearerKeys, RefusesDigestsThatAreNotSha256Hex) {
  try {
    serving::BearerKeys keys({"ABC"});
    FAIL() << "accepted a malformed digest";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  }
  EXPECT_THROW(serving::BearerKeys({std::string(64, 'A')}), Error);
}

TEST(EndpointConfig, RoundTripsAndRefusesUnknownKeys) {
  platform::EndpointProcessConfig c;
  c.name = "svc";
  c.generation = 4;
  c.port = 8123;
  c.model_name = "keras-mnist";
  c.model_version = 3;
  c.model_dir = "/ws/.glia/cache/models/abc";
  c.env = {{"A", "1"}};
  c.key_sha256 = {serving::key_sha256_hex("k")};
  c.max_queue_delay_us = 250;
  const std::string text = platform::endpoint_config_json(c);
  const auto back = platform::parse_endpoint_config(text, "config.json");
  EXPECT_EQ(platform::endpoint_config_json(back), text);
  EXPECT_EQ(back.max_queue_delay_us, 250);
  EXPECT_EQ(back.env.at("A"), "1");
  EXPECT_THROW(platform::parse_endpoint_config(R"({"name":"svc","colour":"red"})", "c.json"),
               Error);
  EXPECT_THROW(platform::parse_endpoint_config(R"({"port":"80"})", "c.json"), Error);
  EXPECT_THROW(platform::parse_endpoint_config("{", "c.json"), Error);

  platform::EndpointProcessStatus s;
  s.pid = 42;
  s.state = "ready";
  s.generation = 4;
  const auto sb = platform::parse_endpoint_status(platform::endpoint_status_json(s), "status.json");
  EXPECT_EQ(sb.pid, 42);
  EXPECT_EQ(sb.state, "ready");
  EXPECT_EQ(sb.generation, 4);
}
