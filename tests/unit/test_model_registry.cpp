// The model registry: names and references, the store's model versions (contract), registering
// from a run's files or local files, lineage, download, the materialized cache, and atomicity.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "error_of.hpp"
#include "glia/error.hpp"
#include "glia/glia.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/datasets.hpp"
#include "glia/platform/models.hpp"
#include "glia/saving.hpp"
#include "saved_reference_mlp.hpp"
#include "store_contract.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;
using namespace testing_store;
using testing_util::error_of;
using StoreModels = StoreContract;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

TEST(ModelNames, FollowTheDatasetRule) {
  for (const char* ok : {"keras-mnist", "a", "A.b_c-9"}) EXPECT_NO_THROW(check_model_name(ok));
  for (const char* bad : {"", "-x", ".x", "../x", "a/b", "a b"})
    EXPECT_THROW(check_model_name(bad), Error) << bad;
  EXPECT_EQ(error_of([] { check_model_name("a b"); }),
            "model name 'a b' is not valid: it must match [A-Za-z0-9][A-Za-z0-9._-]{0,254}");
  // The dataset rule is the same one, naming datasets.
  EXPECT_EQ(error_of([] { check_dataset_name("a b"); }),
            "dataset name 'a b' is not valid: it must match [A-Za-z0-9][A-Za-z0-9._-]{0,254}");
}

TEST(ModelNames, References) {
  auto r = parse_model_ref("glia:keras-mnist@latest");
  EXPECT_EQ(r.name, "keras-mnist");
  EXPECT_FALSE(r.version);
  r = parse_model_ref("azureml:keras-mnist:2");
  EXPECT_EQ(r.version, 2);
  EXPECT_EQ(to_string(r), "keras-mnist:2");
  EXPECT_EQ(parse_model_ref("plain").name, "plain");
  for (const char* bad : {"x:0", "x:-1", "x:1.5", "x@v2", "glia:", "x:"})
    EXPECT_THROW(parse_model_ref(bad), Error) << bad;
  EXPECT_EQ(error_of([] { parse_model_ref("x:two"); }),
            "model reference 'x:two': version 'two' is not a positive whole number");
}

ModelVersion model(const std::string& name, char content = 'a') {
  ModelVersion m;
  m.name = name;
  m.manifest = std::string(64, content);
  m.file_count = 2;
  m.total_bytes = 10;
  m.source_path = "outputs/model";
  return m;
}

TEST_P(StoreModels, VersionsAreNeverReused) {
  EXPECT_EQ(store_->create_model_version(model("m")).version, 1);
  EXPECT_EQ(store_->create_model_version(model("m")).version, 2);  // same files: still new
  EXPECT_EQ(store_->create_model_version(model("other")).version, 1);
  EXPECT_EQ(store_->find_model("m", std::nullopt)->version, 2);
  store_->delete_model_version("m", 2);
  EXPECT_EQ(store_->find_model("m", std::nullopt)->version, 1);
  EXPECT_FALSE(store_->find_model("m", 2));
  EXPECT_EQ(store_->create_model_version(model("m")).version, 3);
  store_->delete_model_version("m", 1);
  store_->delete_model_version("m", 3);
  EXPECT_FALSE(store_->find_model("m", std::nullopt));
  EXPECT_EQ(store_->create_model_version(model("m")).version, 4);
  EXPECT_EQ(error_of([&] { store_->delete_model_version("m", 3); }), "unknown model version 'm:3'");
}

TEST_P(StoreModels, FieldsRoundTripAndRunsMustExist) {
  const RunRecord run = new_run();
  ModelVersion m = model("m");
  m.description = "an MLP";
  m.run_id = run.id;
  m.tags = {{"framework", "keras"}, {"stage", ""}};
  m.properties = {{"accuracy", "0.89"}};
  m.created_by = "me";
  const ModelVersion created = store_->create_model_version(m);
  EXPECT_GT(created.created_at, 0);
  const ModelVersion back = *store_->find_model("m", 1);
  EXPECT_EQ(back.description, "an MLP");
  EXPECT_EQ(back.manifest, m.manifest);
  EXPECT_EQ(back.file_count, 2);
  EXPECT_EQ(back.total_bytes, 10);
  EXPECT_EQ(back.run_id, run.id);
  EXPECT_EQ(back.source_path, "outputs/model");
  EXPECT_EQ(back.tags, m.tags);
  EXPECT_EQ(back.properties, m.properties);
  EXPECT_EQ(back.created_by, "me");
  EXPECT_DOUBLE_EQ(back.created_at, created.created_at);
  EXPECT_FALSE(store_->create_model_version(model("local")).run_id);
  m.run_id = "nope";
  EXPECT_EQ(error_of([&] { store_->create_model_version(m); }), "unknown run 'nope'");
  EXPECT_FALSE(store_->find_model("m", 2));  // nothing written, and 2 is still next
  m.run_id.reset();
  EXPECT_EQ(store_->create_model_version(m).version, 2);
}

TEST_P(StoreModels, ListFiltersCombine) {
  const RunRecord run = new_run();
  ModelVersion a = model("a");
  a.tags = {{"framework", "keras"}, {"team", "x"}};
  a.run_id = run.id;
  store_->create_model_version(a);  // a:1
  ModelVersion b = model("b");
  b.tags = {{"framework", "glia"}};
  b.properties = {{"accuracy", "0.9"}};
  store_->create_model_version(b);  // b:1
  a.tags = {{"framework", "keras"}};
  a.run_id.reset();
  store_->create_model_version(a);  // a:2
  auto names = [&](const ModelFilter& f) {
    std::vector<std::string> out;
    for (const auto& m : store_->list_models(f))
      out.push_back(m.name + ":" + std::to_string(m.version));
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names({}), (V{"a:1", "a:2", "b:1"}));
  EXPECT_EQ(names({.name = "a"}), (V{"a:1", "a:2"}));
  EXPECT_EQ(names({.run_id = run.id}), (V{"a:1"}));
  EXPECT_EQ(names({.tags = {{"framework", "keras"}}}), (V{"a:1", "a:2"}));
  EXPECT_EQ(names({.tags = {{"framework", "keras"}, {"team", "x"}}}), (V{"a:1"}));
  EXPECT_EQ(names({.tags = {{"team", std::nullopt}}}), (V{"a:1"}));
  EXPECT_EQ(names({.tags = {{"framework", "KERAS"}}}), V{});
  EXPECT_EQ(names({.properties = {{"accuracy", "0.9"}}}), (V{"b:1"}));
  EXPECT_EQ(names({.name = "b", .tags = {{"framework", "keras"}}}), V{});
  // Keys and values with quotes, dots and dollars are matched literally.
  ModelVersion odd = model("odd");
  odd.tags = {{"a.b\"$[0]", "x'y"}};
  store_->create_model_version(odd);
  EXPECT_EQ(names({.tags = {{"a.b\"$[0]", "x'y"}}}), (V{"odd:1"}));
}

TEST_P(StoreModels, ConcurrentRegistrationsGetDistinctVersions) {
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      auto s = GetParam().open(dir_);  // a connection of its own, as another process has
      for (int i = 0; i < kEach; ++i) s->create_model_version(model("m"));
    });
  for (auto& th : threads) th.join();
  const auto all = store_->list_models({.name = "m"});
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].version, static_cast<int64_t>(i + 1));
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreModels, testing::ValuesIn(kStores),
                         [](const auto& info) { return info.param.name; });

// A workspace with the dataset mnist:1 and a finished run that used it, whose stored files are
// outputs/model/{model.json, weights/model.h5}, outputs/metrics.txt and user_logs/std_log.txt.
class ModelRegistry : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("models");
    ws_.emplace(Workspace::init(dir_ / "ws"));
    write_file(dir_ / "data" / "train.gz", "training data");
    const DatasetVersion d = register_dataset(*ws_, "mnist", {(dir_ / "data").string()}, {});
    NewRun n{"keras-mnist", "", "train", "local", {}};
    n.code_snapshot = std::string(64, 'c');
    n.inputs = {{"", "data_folder", d.name, d.version, d.manifest, "ro_mount"}};
    run_ = store().create_run(n).id;
    ArtifactStore artifacts(ws_->artifacts_path());
    std::vector<RunFile> files;
    for (const auto& [path, bytes] : kRunFiles)
      files.push_back({path, artifacts.put_bytes(bytes), static_cast<int64_t>(bytes.size()), 1});
    store().add_run_files(run_, files);
    store().set_status(run_, RunStatus::Running, 1);
    store().set_status(run_, RunStatus::Completed, 2);
  }
  void TearDown() override {
    ws_.reset();
    fs::remove_all(dir_);
  }
  Store& store() { return ws_->store(); }
  ModelRegistration from_run(const std::string& path) {
    ModelRegistration r;
    r.name = "keras-mnist";
    r.run_id = run_;
    r.path = path;
    return r;
  }
  std::vector<std::string> paths(const ModelVersion& m) {
    std::vector<std::string> out;
    for (const auto& e : ArtifactStore(ws_->artifacts_path()).manifest(m.manifest))
      out.push_back(e.path);
    return out;
  }
  size_t model_count() { return store().list_models({}).size(); }

  const std::map<std::string, std::string> kRunFiles = {
      {"outputs/model/model.json", "{\"layers\": 3}"},
      {"outputs/model/weights/model.h5", "HDF5 weights"},
      {"outputs/metrics.txt", "accuracy 0.89"},
      {"user_logs/std_log.txt", "epoch 1"}};
  fs::path dir_;
  std::optional<Workspace> ws_;
  std::string run_;
};

using Paths = std::vector<std::string>;

TEST_F(ModelRegistry, FromARunsFolderOrFile) {
  ModelRegistration r = from_run("outputs/model");
  r.description = "the MLP";
  r.tags = {{"framework", "keras"}};
  r.properties = {{"accuracy", "0.89"}};
  const ModelVersion m = register_model(*ws_, r);
  EXPECT_EQ(m.version, 1);
  EXPECT_EQ(m.run_id, run_);
  EXPECT_EQ(m.source_path, "outputs/model");
  EXPECT_EQ(m.file_count, 2);
  EXPECT_EQ(m.total_bytes, 13 + 12);
  EXPECT_EQ(paths(m), (Paths{"model.json", "weights/model.h5"}));
  EXPECT_EQ(store().find_model("keras-mnist", 1)->tags.at("framework"), "keras");
  // A trailing slash names the same folder; registering it again is a new version.
  const ModelVersion again = register_model(*ws_, from_run("outputs/model/"));
  EXPECT_EQ(again.version, 2);
  EXPECT_EQ(again.manifest, m.manifest);
  // A single file: by its name.
  const ModelVersion file = register_model(*ws_, from_run("outputs/model/weights/model.h5"));
  EXPECT_EQ(paths(file), (Paths{"model.h5"}));
  EXPECT_EQ(file.source_path, "outputs/model/weights/model.h5");
}

TEST_F(ModelRegistry, AMissingPathNamesTheRunAndWhatItHas) {
  EXPECT_EQ(error_of([&] { register_model(*ws_, from_run("outputs/modle")); }),
            "run '" + run_ +
                "' has no file or folder 'outputs/modle' (its top-level paths: outputs/, "
                "user_logs/; outputs/ holds: metrics.txt, model/; see: glia run files " +
                run_ + ")");
  EXPECT_EQ(error_of([&] { register_model(*ws_, from_run("model")); }),
            "run '" + run_ +
                "' has no file or folder 'model' (its top-level paths: outputs/, user_logs/; "
                "see: glia run files " +
                run_ + ")");
  // "outputs/mod" is a prefix of a folder, not a folder.
  EXPECT_THROW(register_model(*ws_, from_run("outputs/mod")), Error);
  EXPECT_THROW(register_model(*ws_, from_run("../outputs")), Error);
  EXPECT_THROW(register_model(*ws_, from_run("/outputs")), Error);
  ModelRegistration r = from_run("outputs/model");
  r.run_id = "nope";
  EXPECT_EQ(error_of([&] { register_model(*ws_, r); }), "unknown run 'nope'");
  EXPECT_EQ(model_count(), 0u);
}

TEST_F(ModelRegistry, ActiveRunsAreRefused) {
  const std::string queued = store().create_run({"e", "", "c", "local", {}, "", "", {}, true}).id;
  ModelRegistration r = from_run("outputs/model");
  r.run_id = queued;
  const std::string err = error_of([&] { register_model(*ws_, r); });
  EXPECT_EQ(err.rfind("run '" + queued + "' is Queued: its outputs are collected when it ends", 0),
            0u)
      << err;
  EXPECT_EQ(model_count(), 0u);
  try {
    register_model(*ws_, r);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Conflict);  // its state does not allow it now
  }
  // Unless its files are stored as they are logged (the MLflow API's artifacts): then the files
  // it has now are registered.
  store().add_run_files(queued, {{"outputs/model/m.json", sha256_bytes("{}"), 2, 1}});
  ArtifactStore(ws_->artifacts_path()).put_bytes("{}");
  r.allow_unfinished_run = true;
  EXPECT_EQ(register_model(*ws_, r).file_count, 1);
  r.allow_unfinished_run = false;
  // Failed and canceled runs have their files collected too: allowed (Azure allows any run).
  store().set_status(queued, RunStatus::Failed, 3);
  EXPECT_EQ(register_model(*ws_, r).version, 2);
}

TEST_F(ModelRegistry, LineageIsTheRunsDatasetsAndCode) {
  const ModelVersion m = register_model(*ws_, from_run("outputs/model"));
  const ModelLineage l = model_lineage(store(), m);
  ASSERT_TRUE(l.run);
  EXPECT_EQ(l.run->id, run_);
  EXPECT_EQ(l.code_snapshot, std::string(64, 'c'));
  ASSERT_EQ(l.datasets.size(), 1u);
  EXPECT_EQ(l.datasets[0].dataset, "mnist");
  EXPECT_EQ(l.datasets[0].version, 1);
  EXPECT_EQ(l.datasets[0].input, "data_folder");
  // Queryable from the other side: the models a run produced.
  EXPECT_EQ(store().list_models({.run_id = run_}).size(), 1u);
}

TEST_F(ModelRegistry, FromLocalFilesAndFolders) {
  write_file(dir_ / "local" / "model.json", "{}");
  write_file(dir_ / "local" / "sub" / "w.bin", "www");
  ModelRegistration r;
  r.name = "local-model";
  r.path = (dir_ / "local").string();
  const ModelVersion m = register_model(*ws_, r);
  EXPECT_FALSE(m.run_id);
  EXPECT_EQ(paths(m), (Paths{"model.json", "sub/w.bin"}));
  EXPECT_FALSE(model_lineage(store(), m).run);
  r.path = (dir_ / "local" / "sub" / "w.bin").string();
  EXPECT_EQ(paths(register_model(*ws_, r)), (Paths{"w.bin"}));
  r.path = (dir_ / "nothing").string();
  EXPECT_THROW(register_model(*ws_, r), Error);
  r.name = "bad name";
  EXPECT_THROW(register_model(*ws_, r), Error);
  EXPECT_EQ(model_count(), 2u);
}

// register --verify: the stored files must load with their weights and match their reference.
TEST_F(ModelRegistry, VerifyLoadsTheRegisteredFilesWithTheirWeights) {
  glia::testing_models::save_reference_mlp(dir_ / "good");
  ModelRegistration r;
  r.name = "checked";
  r.path = (dir_ / "good").string();
  r.verify = true;
  std::optional<ModelCheck> check;
  r.verified = [&](const ModelCheck& c) { check = c; };
  EXPECT_EQ(register_model(*ws_, r).version, 1);
  ASSERT_TRUE(check);
  EXPECT_EQ(check->file, "model.json");
  EXPECT_EQ(check->weights, "model.h5");
  EXPECT_TRUE(check->has_reference);
  EXPECT_LE(check->difference, 1e-5);
  // The config alone (its weights are beside it on disk, but not registered): nothing registered.
  check.reset();
  r.path = (dir_ / "good" / "model.json").string();
  std::string e = error_of([&] { register_model(*ws_, r); });
  EXPECT_NE(e.find("not registered"), std::string::npos) << e;
  EXPECT_NE(e.find("model.weights.h5"), std::string::npos) << e;
  EXPECT_FALSE(check);
  // An edited architecture loads the weights but not as saved.
  fs::create_directories(dir_ / "edited");
  fs::copy_file(dir_ / "good" / "model.h5", dir_ / "edited" / "model.h5");
  std::string json = read_file(dir_ / "good" / "model.json");
  json.replace(json.find("\"softmax\""), 9, "\"sigmoid\"");
  write_file(dir_ / "edited" / "model.json", json);
  r.path = (dir_ / "edited").string();
  e = error_of([&] { register_model(*ws_, r); });
  EXPECT_NE(e.find("verification failed"), std::string::npos) << e;
  EXPECT_EQ(model_count(), 1u);
  // No temporary folder is left behind.
  for (const auto& entry : fs::directory_iterator(ws_->root() / ".glia" / "cache" / "models"))
    ADD_FAILURE() << entry.path();
  // Without --verify, files are registered as they are (the registry stores any files).
  r.verify = false;
  EXPECT_EQ(register_model(*ws_, r).version, 2);
}

TEST_F(ModelRegistry, AFailedTransactionLeavesNoVersion) {
  // Inject a failure inside the store transaction, after every blob and the manifest are
  // stored: the insert of the version row aborts.
  auto sql = [&](const std::string& text) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(ws_->store_path().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_close(db);
  };
  sql("CREATE TRIGGER fail_models BEFORE INSERT ON models "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  write_file(dir_ / "local" / "new.bin", "bytes no one stored before");
  ModelRegistration r;
  r.name = "keras-mnist";
  r.path = (dir_ / "local").string();
  const std::string err = error_of([&] { register_model(*ws_, r); });
  EXPECT_NE(err.find("injected failure"), std::string::npos) << err;
  EXPECT_THROW(register_model(*ws_, from_run("outputs/model")), Error);
  EXPECT_EQ(model_count(), 0u);
  EXPECT_FALSE(store().find_model("keras-mnist", std::nullopt));
  // The blobs were stored first (content-addressed, harmless); the version was never written.
  EXPECT_TRUE(
      ArtifactStore(ws_->artifacts_path()).contains(sha256_bytes("bytes no one stored before")));
  sql("DROP TRIGGER fail_models");
  // The failed attempts did not use up a version number.
  EXPECT_EQ(register_model(*ws_, r).version, 1);
}

TEST_F(ModelRegistry, DownloadRefusesToOverwriteDifferentFiles) {
  const ModelVersion m = register_model(*ws_, from_run("outputs/model"));
  const fs::path out = dir_ / "out";
  EXPECT_EQ(download_model(*ws_, m, out, false), 2);
  EXPECT_EQ(read_file(out / "model.json"), "{\"layers\": 3}");
  EXPECT_EQ(read_file(out / "weights" / "model.h5"), "HDF5 weights");
  EXPECT_EQ(download_model(*ws_, m, out, false), 2);  // the same files again: fine
  write_file(out / "model.json", "changed");
  EXPECT_EQ(error_of([&] { download_model(*ws_, m, out, false); }),
            "'" + (out / "model.json").string() +
                "' already exists and differs from the files of model keras-mnist:1; nothing "
                "was written (--overwrite replaces them)");
  EXPECT_EQ(read_file(out / "model.json"), "changed");
  download_model(*ws_, m, out, true);
  EXPECT_EQ(read_file(out / "model.json"), "{\"layers\": 3}");
}

TEST_F(ModelRegistry, MaterializeCachesPerContent) {
  register_model(*ws_, from_run("outputs/model"));
  const ModelVersion v2 = register_model(*ws_, from_run("outputs/model"));
  const fs::path dir = materialize_model(*ws_, "glia:keras-mnist@latest");
  EXPECT_EQ(dir, ws_->root() / ".glia" / "cache" / "models" / v2.manifest);
  EXPECT_EQ(read_file(dir / "weights" / "model.h5"), "HDF5 weights");
  EXPECT_EQ(materialize_model(*ws_, "keras-mnist:1"), dir);  // same content, same folder
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.parent_path())) ++entries;
  EXPECT_EQ(entries, 1u);  // no temporary folder left behind
  EXPECT_EQ(error_of([&] { materialize_model(*ws_, "keras-mnist:7"); }),
            "model 'keras-mnist' has no version 7 (versions: 1, 2)");
  try {
    materialize_model(*ws_, "keras-mnist:7");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  EXPECT_EQ(error_of([&] { materialize_model(*ws_, "nope"); }),
            "unknown model 'nope' (register it with: glia model register --name nope --path ...)");
}

}  // namespace
}  // namespace glia::platform
