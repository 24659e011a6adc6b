// The endpoints' platform functions (glia/platform/endpoints.hpp) and JSON views on a real
// workspace: inputs checked before anything is recorded, models and environments resolved, keys
// generated and kept only sealed, updates as new generations, keys regenerated one at a time.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "endpoints/secret_box.hpp"
#include "glia/error.hpp"
#include "glia/platform/endpoints.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/json_views.hpp"
#include "glia/platform/models.hpp"
#include "glia/serving/bearer_keys.hpp"
#include "saved_reference_mlp.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "expected a glia::Error";
  return ErrorKind::Internal;
}

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

bool is_base64url_key(const std::string& k) {
  if (k.size() != 43) return false;
  for (char c : k)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

class EndpointRegistry : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("endpoints");
    ws_.emplace(Workspace::init(dir_ / "ws"));
    testing_models::save_reference_mlp(dir_ / "mlp");
    register_local("mnist", dir_ / "mlp");
    write_file(dir_ / "junk" / "model.json", "not a model");
    register_local("junk", dir_ / "junk");
  }
  void TearDown() override {
    ws_.reset();
    fs::remove_all(dir_);
  }
  ModelVersion register_local(const std::string& name, const fs::path& path) {
    ModelRegistration r;
    r.name = name;
    r.path = path.string();
    return register_model(*ws_, r);
  }
  EndpointCreate native(const std::string& name = "svc") {
    EndpointCreate c;
    c.name = name;
    c.model = "mnist@latest";
    c.created_by = "alice";
    return c;
  }
  EndpointCreate python() {
    write_file(dir_ / "code" / "score.py", "def init():\n  pass\ndef run(raw):\n  return raw\n");
    EndpointCreate c = native("py");
    c.settings.scoring = "python";
    c.settings.scoring_script = "score.py";
    c.code_dir = dir_ / "code";
    return c;
  }
  size_t endpoint_count() { return ws_->store().list_endpoints().size(); }

  fs::path dir_;
  std::optional<Workspace> ws_;
};

TEST_F(EndpointRegistry, CreateResolvesTheModelAndKeepsTheKeysSealed) {
  const EndpointRecord e = create_endpoint(*ws_, native());
  EXPECT_EQ(e.settings.model_name, "mnist");
  EXPECT_EQ(e.settings.model_version, 1);
  EXPECT_EQ(e.generation, 1);
  EXPECT_EQ(e.status.state, EndpointState::Creating);
  EXPECT_EQ(e.owner_uid, static_cast<int64_t>(::geteuid()));
  EXPECT_EQ(e.created_by, "alice");
  EXPECT_EQ(get_endpoint(*ws_, "svc").created_at, e.created_at);

  const EndpointKeys keys = endpoint_keys(*ws_, "svc");
  EXPECT_TRUE(is_base64url_key(keys.primary)) << keys.primary;
  EXPECT_TRUE(is_base64url_key(keys.secondary)) << keys.secondary;
  EXPECT_NE(keys.primary, keys.secondary);
  // Never in clear: not in the record, nor anywhere in the store's file.
  EXPECT_EQ(e.sealed_keys.find(keys.primary), std::string::npos);
  std::ifstream db(ws_->store_path(), std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(db), {}};
  EXPECT_EQ(bytes.find(keys.primary), std::string::npos);
  EXPECT_EQ(bytes.find(keys.secondary), std::string::npos);
  // The digests the endpoint process compares with (serving's own SHA-256).
  const auto digests = endpoint_key_digests(keys);
  ASSERT_EQ(digests.size(), 2u);
  EXPECT_EQ(digests[0], serving::key_sha256_hex(keys.primary));
  EXPECT_EQ(digests[1], serving::key_sha256_hex(keys.secondary));
  // A second endpoint gets keys of its own.
  create_endpoint(*ws_, native("other"));
  EXPECT_NE(endpoint_keys(*ws_, "other").primary, keys.primary);
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, native()); }), ErrorKind::Conflict);
}

TEST_F(EndpointRegistry, NamesFollowTheAssetRuleAndAreShort) {
  check_endpoint_name(std::string(32, 'a'));
  for (const std::string& bad : {std::string(), std::string("-svc"), std::string("a/b"),
                                 std::string("a b"), std::string(33, 'a')}) {
    EXPECT_EQ(kind_of([&] { check_endpoint_name(bad); }), ErrorKind::InvalidArgument) << bad;
    EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, native(bad)); }), ErrorKind::InvalidArgument)
        << bad;
  }
  EXPECT_EQ(endpoint_count(), 0u);
}

TEST_F(EndpointRegistry, SettingsOutOfRangeAreRefusedAndNothingIsRecorded) {
  const std::vector<std::pair<const char*, std::function<void(EndpointSettings&)>>> bad = {
      {"port 80", [](auto& s) { s.port = 80; }},
      {"port 65536", [](auto& s) { s.port = 65536; }},
      {"instances 0", [](auto& s) { s.instances = 0; }},
      {"instances 65", [](auto& s) { s.instances = 65; }},
      {"max_batch_size 0", [](auto& s) { s.max_batch_size = 0; }},
      {"max_batch_size 4097",
       [](auto& s) {
         s.max_batch_size = 4097;
         s.max_queue = 10000;
       }},
      {"max_queue_delay_us -1", [](auto& s) { s.max_queue_delay_us = -1; }},
      {"max_queue_delay_us 1000001", [](auto& s) { s.max_queue_delay_us = 1000001; }},
      {"max_queue < batch", [](auto& s) { s.max_queue = 16; }},
      {"max_body_bytes 1023", [](auto& s) { s.max_body_bytes = 1023; }},
      {"max_body_bytes 1 GiB + 1", [](auto& s) { s.max_body_bytes = (int64_t{1} << 30) + 1; }},
      {"max_rows 0", [](auto& s) { s.max_rows = 0; }},
      {"request_timeout_ms 0", [](auto& s) { s.request_timeout_ms = 0; }},
      {"request_timeout_ms 600001", [](auto& s) { s.request_timeout_ms = 600001; }},
      {"auth_mode token", [](auto& s) { s.auth_mode = "token"; }},
      {"scoring onnx", [](auto& s) { s.scoring = "onnx"; }},
      {"host", [](auto& s) { s.host = "example.com"; }},
      {"native with a script", [](auto& s) { s.scoring_script = "score.py"; }},
      {"native with an environment", [](auto& s) { s.environment = "env:1"; }},
  };
  for (const auto& [what, change] : bad) {
    EndpointCreate c = native();
    change(c.settings);
    EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, c); }), ErrorKind::InvalidArgument) << what;
  }
  // The edges of each range are fine.
  EndpointCreate edges = native();
  edges.settings.port = 1024;
  edges.settings.instances = 64;
  edges.settings.max_batch_size = 4096;
  edges.settings.max_queue = 4096;
  edges.settings.max_queue_delay_us = 1000000;
  edges.settings.max_body_bytes = 1024;
  edges.settings.max_rows = 1;
  edges.settings.request_timeout_ms = 600000;
  edges.settings.auth_mode = "none";
  edges.settings.host = "::1";
  const EndpointRecord e = create_endpoint(*ws_, edges);
  EXPECT_EQ(endpoint_scoring_uri(e), "http://[::1]:1024/score");
  EXPECT_EQ(endpoint_count(), 1u);
}

TEST_F(EndpointRegistry, TheModelMustBeRegisteredAndLoadNatively) {
  EndpointCreate c = native();
  c.model = "mnist:2";
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, c); }), ErrorKind::NotFound);
  c.model = "nope";
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, c); }), ErrorKind::NotFound);
  c.model = "";
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, c); }), ErrorKind::InvalidArgument);
  c.model = "junk:1";  // registered, but no model the engine loads
  EXPECT_THROW(create_endpoint(*ws_, c), Error);
  c.model = "mnist:1";
  c.code_dir = dir_;  // a code folder is for python scoring
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, c); }), ErrorKind::InvalidArgument);
  EXPECT_EQ(endpoint_count(), 0u);
}

TEST_F(EndpointRegistry, PythonScoringSnapshotsTheCodeAndResolvesTheEnvironment) {
  EnvironmentRegistration r;
  r.name = "scoring-env";
  r.spec = parse_pip_requirements("numpy\n", "requirements.txt");
  r.source = "numpy\n";
  r.source_kind = "pip";
  register_environment(*ws_, r);
  EndpointCreate c = python();
  c.settings.environment = "scoring-env@latest";
  c.model = "junk:1";  // python scoring loads the model itself: any registered files will do
  const EndpointRecord e = create_endpoint(*ws_, c);
  EXPECT_EQ(e.settings.environment, "scoring-env:1");
  EXPECT_EQ(e.settings.scoring_script, "score.py");
  bool found = false;
  for (const auto& f : ws_->artifacts().manifest(e.settings.code_manifest))
    found = found || f.path == "score.py";
  EXPECT_TRUE(found);
  const auto j = endpoint_json(e);
  EXPECT_EQ(j["scoring_script"], "score.py");
  EXPECT_EQ(j["code_snapshot"], e.settings.code_manifest);
}

TEST_F(EndpointRegistry, PythonScoringRefusesAMissingOrEscapingScript) {
  EndpointCreate c = python();
  c.settings.scoring_script = "missing.py";
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, c); }), ErrorKind::NotFound);
  c.settings.scoring_script = "../score.py";
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, c); }), ErrorKind::InvalidArgument);
  c.settings.scoring_script = "";
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, c); }), ErrorKind::InvalidArgument);
  c = python();
  c.code_dir.reset();
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, c); }), ErrorKind::InvalidArgument);
  c = python();
  c.code_dir = dir_ / "nowhere";
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, c); }), ErrorKind::NotFound);
  c = python();
  c.settings.environment = "no-such-env";
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, c); }), ErrorKind::NotFound);
  // Left out of the snapshot by an ignore file.
  c = python();
  write_file(dir_ / "code" / ".gliaignore", "score.py\n");
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, c); }), ErrorKind::InvalidArgument);
  EXPECT_EQ(endpoint_count(), 0u);
}

TEST_F(EndpointRegistry, UpdatesChangeOnlyWhatIsGivenAsANewGeneration) {
  create_endpoint(*ws_, native());
  register_local("mnist", dir_ / "mlp");  // mnist:2
  const EndpointKeys keys = endpoint_keys(*ws_, "svc");
  EndpointUpdate u;
  u.model = "mnist@latest";
  u.max_batch_size = 64;
  const EndpointRecord e = update_endpoint(*ws_, "svc", u);
  EXPECT_EQ(e.generation, 2);
  EXPECT_EQ(e.settings.model_version, 2);
  EXPECT_EQ(e.settings.max_batch_size, 64);
  EXPECT_EQ(e.settings.instances, 1);  // not given: kept
  EXPECT_EQ(endpoint_keys(*ws_, "svc").primary, keys.primary);

  // Bad values: refused, nothing changed.
  EndpointUpdate bad;
  bad.instances = 0;
  EXPECT_EQ(kind_of([&] { update_endpoint(*ws_, "svc", bad); }), ErrorKind::InvalidArgument);
  bad = {};
  bad.max_queue = 8;  // below max_batch_size 64
  EXPECT_EQ(kind_of([&] { update_endpoint(*ws_, "svc", bad); }), ErrorKind::InvalidArgument);
  bad = {};
  bad.model = "junk:1";
  EXPECT_THROW(update_endpoint(*ws_, "svc", bad), Error);
  bad = {};
  bad.scoring_script = "score.py";  // python only
  EXPECT_EQ(kind_of([&] { update_endpoint(*ws_, "svc", bad); }), ErrorKind::InvalidArgument);
  EXPECT_EQ(kind_of([&] { update_endpoint(*ws_, "svc", EndpointUpdate{}); }),
            ErrorKind::InvalidArgument);
  EXPECT_EQ(get_endpoint(*ws_, "svc").generation, 2);
  EXPECT_EQ(kind_of([&] { update_endpoint(*ws_, "nope", u); }), ErrorKind::NotFound);

  // The model version now named cannot be deleted; the old one (never served) can.
  EXPECT_EQ(kind_of([&] { ws_->store().delete_model_version("mnist", 2); }), ErrorKind::Conflict);
  ws_->store().delete_model_version("mnist", 1);

  delete_endpoint(*ws_, "svc");
  EXPECT_EQ(get_endpoint(*ws_, "svc").status.state, EndpointState::Deleting);
  u = {};
  u.instances = 2;
  EXPECT_EQ(kind_of([&] { update_endpoint(*ws_, "svc", u); }), ErrorKind::Conflict);
  EXPECT_EQ(kind_of([&] { delete_endpoint(*ws_, "nope"); }), ErrorKind::NotFound);
  EXPECT_EQ(kind_of([&] { get_endpoint(*ws_, "nope"); }), ErrorKind::NotFound);
}

TEST_F(EndpointRegistry, ARegeneratedKeyLeavesTheOtherWorking) {
  create_endpoint(*ws_, native());
  const EndpointKeys before = endpoint_keys(*ws_, "svc");
  const EndpointKeys after = regenerate_endpoint_key(*ws_, "svc", "secondary");
  EXPECT_EQ(after.primary, before.primary);
  EXPECT_NE(after.secondary, before.secondary);
  EXPECT_TRUE(is_base64url_key(after.secondary));
  EXPECT_EQ(get_endpoint(*ws_, "svc").generation, 2);  // the process picks the keys up
  const EndpointKeys stored = endpoint_keys(*ws_, "svc");
  EXPECT_EQ(stored.secondary, after.secondary);
  const EndpointKeys again = regenerate_endpoint_key(*ws_, "svc", "primary");
  EXPECT_NE(again.primary, before.primary);
  EXPECT_EQ(again.secondary, after.secondary);
  EXPECT_EQ(kind_of([&] { regenerate_endpoint_key(*ws_, "svc", "tertiary"); }),
            ErrorKind::InvalidArgument);
  EXPECT_EQ(kind_of([&] { regenerate_endpoint_key(*ws_, "nope", "primary"); }),
            ErrorKind::NotFound);
}

// The key file lost (docs: "regenerate them"): the old keys cannot be opened, so regenerating
// either makes both anew under a new key file; the endpoint is usable again.
TEST_F(EndpointRegistry, KeysLostWithTheKeyFileCanBeRegenerated) {
  create_endpoint(*ws_, native());
  create_endpoint(*ws_, native("other"));
  const EndpointKeys before = endpoint_keys(*ws_, "svc");
  fs::remove(endpoints::secret_key_path(ws_->root()));
  EXPECT_EQ(kind_of([&] { endpoint_keys(*ws_, "svc"); }), ErrorKind::NotFound);
  const EndpointKeys after = regenerate_endpoint_key(*ws_, "svc", "primary");
  EXPECT_TRUE(is_base64url_key(after.primary));
  EXPECT_TRUE(is_base64url_key(after.secondary));
  EXPECT_NE(after.primary, before.primary);
  EXPECT_NE(after.secondary, before.secondary);
  EXPECT_EQ(endpoint_keys(*ws_, "svc").secondary, after.secondary);
  // The other endpoint's keys were sealed with the lost file: Corrupt now, regenerated too.
  EXPECT_EQ(kind_of([&] { endpoint_keys(*ws_, "other"); }), ErrorKind::Corrupt);
  const EndpointKeys other = regenerate_endpoint_key(*ws_, "other", "secondary");
  EXPECT_EQ(endpoint_keys(*ws_, "other").primary, other.primary);
  // A key file others may read is still refused, not replaced.
  ASSERT_EQ(::chmod(endpoints::secret_key_path(ws_->root()).c_str(), 0644), 0);
  EXPECT_EQ(kind_of([&] { regenerate_endpoint_key(*ws_, "svc", "primary"); }),
            ErrorKind::Permission);
}

// Two endpoints cannot be given one port: the second's process could never bind it.
TEST_F(EndpointRegistry, APortAnotherEndpointHasIsRefused) {
  EndpointCreate a = native("a");
  a.settings.port = 18431;
  create_endpoint(*ws_, a);
  EndpointCreate b = native("b");
  b.settings.port = 18431;
  b.settings.host = "0.0.0.0";
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, b); }), ErrorKind::Conflict);
  // Nor the port the agent picked for an endpoint created with port 0.
  create_endpoint(*ws_, native("c"));
  EndpointStatus st;
  st.port = 18432;
  ws_->store().set_endpoint_status("c", st);
  b.settings.port = 18432;
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, b); }), ErrorKind::Conflict);
  EXPECT_FALSE(ws_->store().find_endpoint("b"));
  b.settings.port = 18433;
  create_endpoint(*ws_, b);
  create_endpoint(*ws_, native("d"));  // port 0 twice: the agent picks a free one for each
}

TEST_F(EndpointRegistry, KeysAreNotOpenedWithAKeyFileOthersMayRead) {
  create_endpoint(*ws_, native());
  const fs::path key = endpoints::secret_key_path(ws_->root());
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
  EXPECT_EQ(kind_of([&] { endpoint_keys(*ws_, "svc"); }), ErrorKind::Permission);
  EXPECT_EQ(kind_of([&] { create_endpoint(*ws_, native("b")); }), ErrorKind::Permission);
  EXPECT_FALSE(ws_->store().find_endpoint("b"));
}

TEST_F(EndpointRegistry, TheJsonViewsShowStateAndHistoryButNeverTheKeys) {
  EndpointCreate c = native();
  c.settings.tags = {{"team", "vision"}};
  c.settings.description = "digits";
  create_endpoint(*ws_, c);
  EndpointStatus st;
  st.state = EndpointState::Healthy;
  st.port = 8123;
  st.served_generation = 1;
  st.served_model_version = 1;
  st.pid = 4242;
  ws_->store().set_endpoint_status("svc", st);
  const EndpointRecord e = get_endpoint(*ws_, "svc");
  const auto j = endpoint_json(e);
  EXPECT_EQ(j["name"], "svc");
  EXPECT_EQ(j["state"], "Healthy");
  EXPECT_EQ(j["scoring_uri"], "http://127.0.0.1:8123/score");
  EXPECT_EQ(j["model"], "mnist:1");
  EXPECT_EQ(j["served_model_version"], 1);
  EXPECT_EQ(j["generation"], 1);
  EXPECT_EQ(j["auth_mode"], "key");
  EXPECT_EQ(j["instances"], 1);
  EXPECT_EQ(j["batching"]["max_batch_size"], 32);
  EXPECT_EQ(j["limits"]["max_rows"], 10000);
  EXPECT_EQ(j["port"], 8123);
  EXPECT_EQ(j["pid"], 4242);
  EXPECT_EQ(j["restarts"], 0);
  EXPECT_EQ(j["created_by"], "alice");
  EXPECT_EQ(j["created_at"], iso_time(e.created_at));
  EXPECT_EQ(j["tags"]["team"], "vision");
  EXPECT_EQ(j["description"], "digits");
  const auto show = endpoint_show_json(*ws_, e);
  ASSERT_EQ(show["events"].size(), 2u);
  EXPECT_EQ(show["events"][0]["state"], "Creating");
  EXPECT_EQ(show["events"][1]["state"], "Healthy");
  const EndpointKeys keys = endpoint_keys(*ws_, "svc");
  for (const std::string& text : {j.dump(), show.dump()}) {
    EXPECT_EQ(text.find(keys.primary), std::string::npos);
    EXPECT_EQ(text.find(keys.secondary), std::string::npos);
    EXPECT_EQ(text.find(e.sealed_keys), std::string::npos);
  }
}

TEST_F(EndpointRegistry, ScoringUriAndFolder) {
  EndpointRecord e;
  e.name = "svc";
  EXPECT_EQ(endpoint_scoring_uri(e), "");  // no port known yet
  e.settings.port = 8100;
  EXPECT_EQ(endpoint_scoring_uri(e), "http://127.0.0.1:8100/score");
  e.status.port = 8200;  // the port the agent picked
  EXPECT_EQ(endpoint_scoring_uri(e), "http://127.0.0.1:8200/score");
  const EndpointDir d = endpoint_dir("/ws", "svc");
  EXPECT_EQ(d.root, fs::path("/ws/.glia/endpoints/svc"));
  EXPECT_EQ(d.config(), fs::path("/ws/.glia/endpoints/svc/config.json"));
  EXPECT_THROW(endpoint_dir("/ws", ".."), Error);
  EXPECT_THROW(endpoint_dir("/ws", "a/b"), Error);
}

}  // namespace
}  // namespace glia::platform
