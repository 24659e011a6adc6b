// What a remote workspace's client leaves to its server: run files it never downloaded (a model
// registered from them), and the Python interpreter of a job or an environment (built and run
// on the server). The server is a real SQLite store and artifact store, reached through the
// platform's RemoteLink hook; its blobs are fetched into the client's cache as a server's are.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "glia/error.hpp"
#include "glia/glia.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/endpoints.hpp"
#include "glia/platform/environment.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/job_spec.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/log_follow.hpp"
#include "glia/platform/models.hpp"
#include "glia/platform/workspace.hpp"
#include "glia/saving.hpp"
#include "saved_reference_mlp.hpp"
#include "store/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

// The server: its store, and its blobs served to the client's cache on request.
class TestLink : public RemoteLink {
 public:
  TestLink(std::shared_ptr<Store> store, ArtifactStore blobs, fs::path root)
      : store_(std::move(store)), blobs_(std::move(blobs)), root_(std::move(root)) {}
  std::shared_ptr<Store> store() override { return store_; }
  bool fetch_blob(const std::string& sha256, const ArtifactStore& cache) override {
    if (!blobs_.contains(sha256)) return false;
    ArtifactStore(cache.root()).put_file(blobs_.blob_path(sha256));
    ++fetched;
    return true;
  }
  fs::path server_root() override { return root_; }
  RunRecord follow_log(const std::string&, const std::function<void(std::string_view)>&,
                       const FollowOptions&) override {
    throw Error(ErrorKind::Internal, "not used");
  }
  EndpointKeys endpoint_keys(const std::string&, const std::string&) override {
    throw Error(ErrorKind::Internal, "not used");
  }
  std::string endpoint_log_tail(const std::string&, int64_t, bool) override {
    throw Error(ErrorKind::Internal, "not used");
  }
  int fetched = 0;

 private:
  std::shared_ptr<Store> store_;
  ArtifactStore blobs_;
  fs::path root_;
};

class RemoteClientChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("remote-checks");
    fs::create_directories(dir_ / "server");
    server_store_ = std::make_shared<sqlite::SqliteStore>((dir_ / "server" / "glia.db").string());
    server_blobs_.emplace(dir_ / "server" / "artifacts");
    link_ = std::make_shared<TestLink>(server_store_, *server_blobs_, dir_ / "server");
    auto link = link_;
    set_remote_connector([link](const RemoteConfig&,
                                const fs::path&) -> std::shared_ptr<RemoteLink> { return link; });
    remote_.emplace(Workspace::connect(dir_ / "remote", {"http://127.0.0.1:1", "team", "", ""}));
    local_.emplace(Workspace::init(dir_ / "local"));
  }
  void TearDown() override {
    remote_.reset();
    local_.reset();
    set_remote_connector({});
    fs::remove_all(dir_);
  }

  // PATH holds no interpreter while a test looks for one.
  struct NoPython {
    explicit NoPython(const fs::path& empty)
        : saved(std::getenv("PATH") ? std::getenv("PATH") : "") {
      fs::create_directories(empty);
      ::setenv("PATH", empty.c_str(), 1);
    }
    ~NoPython() { ::setenv("PATH", saved.c_str(), 1); }
    std::string saved;
  };

  fs::path dir_;
  std::shared_ptr<Store> server_store_;
  std::optional<ArtifactStore> server_blobs_;
  std::shared_ptr<TestLink> link_;
  std::optional<Workspace> remote_, local_;
};

// A run that ran on the server: its saved model among its files, the blobs only on the server.
TEST_F(RemoteClientChecks, AModelIsRegisteredFromRunFilesNeverDownloaded) {
  glia::testing_models::save_reference_mlp(dir_ / "saved");

  const RunRecord run = server_store_->create_run({"exp", "", "python train.py", "local", {}});
  server_store_->set_status(run.id, RunStatus::Running, 1.0);
  std::vector<RunFile> files;
  for (const char* name : {"model.json", "model.h5"}) {
    uint64_t size = 0;
    const std::string sha = server_blobs_->put_file(dir_ / "saved" / name, &size);
    files.push_back({std::string("outputs/model/") + name, sha, static_cast<int64_t>(size), 2.0});
    ASSERT_FALSE(remote_->artifacts().contains(sha));
  }
  server_store_->add_run_files(run.id, files);
  server_store_->set_status(run.id, RunStatus::Completed, 3.0, 0);

  ModelRegistration r;
  r.name = "from-server";
  r.run_id = run.id;
  r.path = "outputs/model";
  const ModelVersion plain = register_model(*remote_, r);
  EXPECT_EQ(plain.version, 1);
  EXPECT_EQ(plain.file_count, 2);
  EXPECT_EQ(link_->fetched, 0);  // registering alone downloads nothing
  // --verify loads them: fetched from the server into the cache then.
  r.verify = true;
  std::optional<ModelCheck> check;
  r.verified = [&](const ModelCheck& c) { check = c; };
  const ModelVersion verified = register_model(*remote_, r);
  EXPECT_EQ(verified.version, 2);
  EXPECT_EQ(verified.manifest, plain.manifest);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->has_reference);
  EXPECT_EQ(link_->fetched, 2);
  EXPECT_EQ(server_store_->find_model("from-server", std::nullopt)->version, 2);
}

// A local workspace still refuses a run file whose bytes its artifact store lacks.
TEST_F(RemoteClientChecks, ALocalWorkspaceStillRefusesMissingRunBlobs) {
  Store& store = local_->store();
  const RunRecord run = store.create_run({"exp", "", "python train.py", "local", {}});
  store.set_status(run.id, RunStatus::Running, 1.0);
  store.add_run_files(run.id, {{"outputs/model.json", std::string(64, 'a'), 2, 2.0}});
  store.set_status(run.id, RunStatus::Completed, 3.0, 0);
  ModelRegistration r;
  r.name = "missing";
  r.run_id = run.id;
  r.path = "outputs/model.json";
  EXPECT_THROW(register_model(*local_, r), Error);
  EXPECT_TRUE(store.list_models({}).empty());
}

// The interpreter a job's environment names is looked for where the job runs: here for a local
// workspace (refused now), on the server for a remote one (its agent reports it at start).
TEST_F(RemoteClientChecks, AJobsPythonIsLookedForWhereItRuns) {
  const std::string yaml =
      "command: echo hi\n"
      "environment:\n"
      "  conda_file:\n"
      "    dependencies: [python=3.11, {pip: [numpy]}]\n";
  const JobSpec spec = parse_job_spec(yaml, "job.yml", dir_);
  NoPython none(dir_ / "empty-path");
  SubmitOptions options{current_environment(), {}};
  try {
    submit_job(*local_, spec, options);
    FAIL() << "a Python this machine lacks was accepted for a local job";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound) << e.what();
  }
  EXPECT_TRUE(local_->store().list_runs({}).empty());
  const RunRecord run = submit_job(*remote_, spec, options);
  EXPECT_EQ(server_store_->get_run(run.id).status, RunStatus::Queued);
}

TEST_F(RemoteClientChecks, AnEnvironmentsPythonIsLookedForWhereItIsBuilt) {
  EnvironmentRegistration r;
  r.name = "py311";
  r.source = "dependencies: [python=3.11]\n";
  r.source_kind = "conda";
  r.spec = parse_conda_file(r.source, "env.yml");
  NoPython none(dir_ / "empty-path");
  try {
    register_environment(*local_, r);
    FAIL() << "a Python this machine lacks was accepted for a local environment";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound) << e.what();
  }
  EXPECT_EQ(register_environment(*remote_, r).version, 1);
  EXPECT_EQ(server_store_->list_environments().size(), 1u);
}

}  // namespace
}  // namespace glia::platform
