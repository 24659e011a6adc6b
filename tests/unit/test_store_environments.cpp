// The Store contract, continued: environment versions (the same spec keeps the newest version,
// archive hides from the newest, numbers go up) and properties given with a new run.
#include <gtest/gtest.h>

#include <thread>

#include "glia/error.hpp"
#include "store_contract.hpp"

namespace glia::platform {
namespace {

using namespace testing_store;
using StoreEnvironments = StoreContract;

EnvironmentVersion env(const std::string& name, const std::string& hash) {
  EnvironmentVersion e;
  e.name = name;
  e.spec = R"({"pip":["six==1.17.0"]})";
  e.spec_hash = hash;
  e.build_hash = "b-" + hash;
  e.source = "six==1.17.0\n";
  e.source_kind = "pip";
  e.created_by = "ada";
  return e;
}

TEST_P(StoreEnvironments, VersionsByIdentityArchiveAndLookup) {
  bool created = false;
  const EnvironmentVersion v1 = store_->create_environment_version(env("keras", "h1"), &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(v1.version, 1);
  EXPECT_GT(v1.created_at, 0);
  // The same spec: the newest version is returned, nothing new.
  const EnvironmentVersion again = store_->create_environment_version(env("keras", "h1"), &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.version, 1);
  const EnvironmentVersion v2 = store_->create_environment_version(env("keras", "h2"), &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(v2.version, 2);
  // Back to the first spec: a new version (identity is compared with the newest only).
  EXPECT_EQ(store_->create_environment_version(env("keras", "h1"), &created).version, 3);
  EXPECT_EQ(store_->create_environment_version(env("other", "h1")).version, 1);

  auto found = store_->find_environment("keras", 2);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->spec_hash, "h2");
  EXPECT_EQ(found->build_hash, "b-h2");
  EXPECT_EQ(found->source, "six==1.17.0\n");
  EXPECT_EQ(found->source_kind, "pip");
  EXPECT_EQ(found->created_by, "ada");
  EXPECT_FALSE(found->anonymous);
  EXPECT_EQ(store_->find_environment("keras", std::nullopt)->version, 3);
  store_->set_environment_archived("keras", 3, true);
  EXPECT_EQ(store_->find_environment("keras", std::nullopt)->version, 2);  // newest not archived
  EXPECT_TRUE(store_->find_environment("keras", 3)->archived);
  EXPECT_FALSE(store_->find_environment("keras", 9));
  EXPECT_FALSE(store_->find_environment("nope", std::nullopt));
  try {
    store_->set_environment_archived("keras", 9, true);
    FAIL() << "archiving an unknown version";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  const auto all = store_->list_environments();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].name, "keras");
  EXPECT_EQ(all[3].name, "other");
  EnvironmentVersion anon = env("anonymous-env-x", "h9");
  anon.anonymous = true;
  EXPECT_TRUE(store_->create_environment_version(anon).anonymous);
  EXPECT_THROW(store_->create_environment_version(env("", "h")), Error);
}

// Regression: re-registering the spec of an archived newest version returned that archived
// version, so `create` succeeded and @latest still found nothing.
TEST_P(StoreEnvironments, TheSpecOfAnArchivedVersionMakesANewOne) {
  bool created = false;
  store_->create_environment_version(env("e", "h1"));
  store_->set_environment_archived("e", 1, true);
  const EnvironmentVersion again = store_->create_environment_version(env("e", "h1"), &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(again.version, 2);
  EXPECT_EQ(store_->find_environment("e", std::nullopt)->version, 2);
  // The newest not archived is what a spec is compared with.
  store_->create_environment_version(env("e", "h2"));  // 3
  store_->set_environment_archived("e", 3, true);
  EXPECT_EQ(store_->create_environment_version(env("e", "h1"), &created).version, 2);
  EXPECT_FALSE(created);
  EXPECT_EQ(store_->create_environment_version(env("e", "h2"), &created).version, 4);
  EXPECT_TRUE(created);
}

TEST_P(StoreEnvironments, ConcurrentRegistrationsNeverShareAVersion) {
  std::vector<std::thread> threads;
  std::vector<int64_t> got(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto own = GetParam().open(dir_);
      got[i] = own->create_environment_version(env("c", "h" + std::to_string(i))).version;
    });
  for (auto& t : threads) t.join();
  std::sort(got.begin(), got.end());
  for (int i = 0; i < 8; ++i) EXPECT_EQ(got[i], i + 1);
}

TEST_P(StoreEnvironments, PropertiesGivenWithTheRun) {
  NewRun n{"exp", "", "echo hi", "local", {}};
  n.properties = {{"environment", "keras:2"}};
  const RunRecord r = store_->create_run(n);
  EXPECT_EQ(r.properties.at("environment"), "keras:2");
  EXPECT_EQ(store_->get_run(r.id).properties.at("environment"), "keras:2");
  EXPECT_THROW(store_->add_properties(r.id, {{"environment", "keras:3"}}), Error);
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreEnvironments, testing::ValuesIn(kStores),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace glia::platform
