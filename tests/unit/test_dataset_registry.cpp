// Dataset names, references, versions and registration.
#include <gtest/gtest.h>

#include <fstream>

#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/datasets.hpp"
#include "store_contract.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;
using namespace testing_store;
using StoreDatasets = StoreContract;

TEST(DatasetNames, FollowTheRule) {
  for (const char* ok : {"mnist-dataset", "a", "A.b_c-9", "0x"})
    EXPECT_NO_THROW(check_dataset_name(ok));
  for (const char* bad : {"", "-x", ".x", "../x", "a/b", "a b", "ä"})
    EXPECT_THROW(check_dataset_name(bad), Error) << bad;
  EXPECT_THROW(check_dataset_name(std::string(256, 'a')), Error);
  try {
    check_dataset_name("../x");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[A-Za-z0-9][A-Za-z0-9._-]{0,254}"), std::string::npos);
  }
}

TEST(DatasetNames, References) {
  auto r = parse_dataset_ref("glia:mnist-dataset@latest");
  EXPECT_EQ(r.name, "mnist-dataset");
  EXPECT_FALSE(r.version);
  r = parse_dataset_ref("azureml:mnist:12");
  EXPECT_EQ(r.name, "mnist");
  EXPECT_EQ(r.version, 12);
  EXPECT_EQ(to_string(r), "mnist:12");
  EXPECT_EQ(parse_dataset_ref("plain").name, "plain");
  for (const char* bad : {"x:0", "x:-1", "x:1.5", "x@v2", "glia:", "x:"})
    EXPECT_THROW(parse_dataset_ref(bad), Error) << bad;
}

TEST_P(StoreDatasets, VersionsDedupArchiveAndUsage) {
  DatasetVersion d{"mnist", 0, "desc", std::string(64, 'a'), 4, 100, "[]", 0, "me", false};
  bool created = false;
  EXPECT_EQ(store_->create_dataset_version(d, false, &created).version, 1);
  EXPECT_TRUE(created);
  EXPECT_EQ(store_->create_dataset_version(d, false, &created).version, 1);
  EXPECT_FALSE(created);
  EXPECT_EQ(store_->create_dataset_version(d, true, &created).version, 2);
  d.manifest = std::string(64, 'b');
  EXPECT_EQ(store_->create_dataset_version(d, false).version, 3);
  EXPECT_EQ(store_->find_dataset("mnist", std::nullopt)->version, 3);
  store_->set_dataset_archived("mnist", 3, true);
  EXPECT_EQ(store_->find_dataset("mnist", std::nullopt)->version, 2);
  EXPECT_TRUE(store_->find_dataset("mnist", 3)->archived);
  EXPECT_THROW(store_->set_dataset_archived("mnist", 9, true), Error);
  EXPECT_EQ(store_->list_datasets().size(), 3u);
  // Not found (404, exit 3): a version that is not there, a name that is not there, and a name
  // whose every version is archived (as environments say; it was invalid_argument here).
  DatasetVersion only{"only", 0, "", std::string(64, 'c'), 1, 1, "[]", 0, "me", false};
  store_->create_dataset_version(only, false);
  store_->set_dataset_archived("only", 1, true);
  for (const DatasetRef& missing : {DatasetRef{"mnist", 9}, DatasetRef{"other", std::nullopt},
                                    DatasetRef{"only", std::nullopt}}) {
    try {
      resolve_dataset(*store_, missing);
      ADD_FAILURE() << missing.name;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::NotFound) << e.what();
    }
  }

  NewRun n{"e", "", "c", "local", {}};
  n.inputs = {{"", "data", "mnist", 2, std::string(64, 'a'), "ro_mount"}};
  const std::string run = store_->create_run(n).id;
  auto in = store_->run_inputs(run);
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].run_id, run);
  EXPECT_EQ(store_->dataset_usage("mnist", 2).size(), 1u);
  EXPECT_TRUE(store_->dataset_usage("mnist", 1).empty());
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreDatasets, testing::ValuesIn(kStores),
                         [](const auto& info) { return info.param.name; });

TEST(RegisterDataset, FoldersFilesGlobsAndConflicts) {
  const fs::path dir = testing_util::fresh_test_dir("ds");
  fs::create_directories(dir / "data" / "sub");
  std::ofstream(dir / "data" / "a.txt") << "a";
  std::ofstream(dir / "data" / "sub" / "b.txt") << "bb";
  std::ofstream(dir / "c.csv") << "ccc";
  std::ofstream(dir / "d.csv") << "dddd";
  Workspace ws = Workspace::init(dir / "ws");
  bool created = false;
  auto v = register_dataset(ws, "mixed", {(dir / "data").string(), (dir / "c.csv").string()}, {},
                            &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(v.file_count, 3);
  EXPECT_EQ(v.total_bytes, 6);
  std::vector<std::string> paths;
  for (const auto& e : ArtifactStore(ws.artifacts_path()).manifest(v.manifest))
    paths.push_back(e.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"a.txt", "c.csv", "sub/b.txt"}));
  auto g = register_dataset(ws, "csvs", {(dir / "*.csv").string()}, {});
  EXPECT_EQ(g.file_count, 2);
  // Two sources giving the same name: refused, naming both.
  std::ofstream(dir / "data" / "c.csv") << "other";
  EXPECT_THROW(
      register_dataset(ws, "clash", {(dir / "data").string(), (dir / "c.csv").string()}, {}),
      Error);
  EXPECT_FALSE(ws.store().find_dataset("clash", std::nullopt));
  EXPECT_THROW(register_dataset(ws, "none", {(dir / "*.nothing").string()}, {}), Error);
  // A local path named by a job: one anonymous version per content.
  auto a1 = register_anonymous_dataset(ws, (dir / "c.csv").string());
  auto a2 = register_anonymous_dataset(ws, (dir / "c.csv").string());
  EXPECT_EQ(a1.name, a2.name);
  EXPECT_EQ(a1.version, 1);
  EXPECT_EQ(a1.name.rfind("anonymous-", 0), 0u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace glia::platform
