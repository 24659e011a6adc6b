// Files inside a workspace: modes under the umask (never other users), setgid folders, the one
// atomic write, the temporary folders of dead writers, and code folders reached through links.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/blob_batch.hpp"
#include "glia/platform/shared_files.hpp"
#include "glia/platform/workspace.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

namespace fs = std::filesystem;

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t count_files(const fs::path& dir) {
  size_t n = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file()) ++n;
  return n;
}

class SharedFiles : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::fresh_test_dir("shared");
    fs::create_directories(dir_);
    old_umask_ = ::umask(022);
  }
  void TearDown() override {
    ::umask(old_umask_);
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::end(it);
         it.increment(ec))
      if (!it->is_symlink())
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
  mode_t old_umask_ = 022;
};

TEST_F(SharedFiles, WorkspaceModesFollowTheUmaskAndNeverOtherUsers) {
  for (const mode_t mask : {mode_t{022}, mode_t{002}}) {
    SCOPED_TRACE("umask " + std::to_string(mask));
    ::umask(mask);
    const fs::path root = dir_ / ("ws" + std::to_string(mask));
    Workspace ws = Workspace::init(root);
    const unsigned folder = mask == 022 ? 02750u : 02770u;
    const unsigned file = mask == 022 ? 0640u : 0660u;
    EXPECT_EQ(mode_of(root / ".glia"), folder);  // setgid: new files get the workspace's group
    EXPECT_EQ(mode_of(ws.artifacts_path()), folder);
    EXPECT_EQ(mode_of(ws.config_path()), file);
    EXPECT_EQ(mode_of(ws.store_path()), file);  // SQLite makes it 0644: chmod-ed
    if (fs::exists(ws.store_path().string() + "-wal")) {
      EXPECT_EQ(mode_of(ws.store_path().string() + "-wal"), file);
    }
    ArtifactStore store(ws.artifacts_path());
    EXPECT_EQ(mode_of(ws.artifacts_path() / "blobs"), folder);
    const std::string h = store.put_bytes("private bytes");
    EXPECT_EQ(mode_of(store.blob_path(h)), 0440u);
    EXPECT_EQ(mode_of(store.blob_path(h).parent_path()), folder);
    std::ofstream(dir_ / "in.txt") << "batch";
    BlobBatch batch(store);
    const auto stored = batch.add_files({dir_ / "in.txt"});
    batch.commit();
    EXPECT_EQ(mode_of(store.blob_path(stored[0].sha256)), 0440u);
  }
}

// Sharing is the workspace's: what a member with a narrower umask creates or opens later keeps
// the group's access (a umask-022 owner once made glia.db 0640 just by opening the store).
TEST_F(SharedFiles, LaterCallersFollowTheWorkspaceNotTheirUmask) {
  ::umask(002);
  Workspace ws = Workspace::init(dir_ / "ws");
  const fs::path meta = ws.root() / ".glia";
  ASSERT_EQ(mode_of(meta), 02770u);
  ASSERT_EQ(mode_of(ws.store_path()), 0660u);
  ::umask(022);
  {
    Workspace again = Workspace::open(ws.root());
    again.store().list_datasets();
    EXPECT_EQ(mode_of(again.store_path()), 0660u);
    for (const char* suffix : {"-wal", "-shm"}) {
      const fs::path f = again.store_path().string() + suffix;
      if (fs::exists(f)) {
        EXPECT_EQ(mode_of(f), 0660u) << f;
      }
    }
  }
  create_shared_folders(meta / "agent");
  create_shared_folders(meta / "runs" / "r1" / "user_logs");
  for (const fs::path& p : {meta / "agent", meta / "runs", meta / "runs" / "r1" / "user_logs"})
    EXPECT_EQ(mode_of(p), 02770u) << p;
  ::close(open_shared_file(meta / "agent" / "lock", O_RDWR | O_CREAT));
  create_shared_fifo(meta / "agent" / "wake");
  write_shared_file(meta / "agent" / "pid", "1\n");
  append_shared_file(meta / "runs" / "r1" / "user_logs" / "std_log.txt", "line\n");
  for (const fs::path& p :
       {meta / "agent" / "lock", meta / "agent" / "wake", meta / "agent" / "pid",
        meta / "runs" / "r1" / "user_logs" / "std_log.txt"})
    EXPECT_EQ(mode_of(p), 0660u) << p;
  ArtifactStore store(ws.artifacts_path());
  const std::string h = store.put_bytes("made by a umask-022 member");
  EXPECT_EQ(mode_of(store.blob_path(h).parent_path()), 02770u);
  EXPECT_EQ(mode_of(store.blob_path(h)), 0440u);
  const std::string m = store.put_manifest({{"x/a.txt", h, 26, false}});
  create_shared_folders(meta / "runs" / "r1" / "inputs");
  store.link_view(m, meta / "runs" / "r1" / "inputs" / "d");
  EXPECT_EQ(mode_of(meta / "runs" / "r1" / "inputs" / "d" / "x"),
            02550u);  // read-only, the group's
  // A workspace made with umask 022 stays 02750 for a umask-002 member: never wider.
  ::umask(022);
  Workspace narrow = Workspace::init(dir_ / "narrow");
  ::umask(002);
  create_shared_folders(narrow.root() / ".glia" / "agent");
  EXPECT_EQ(mode_of(narrow.root() / ".glia" / "agent"), 02750u);
  write_shared_file(narrow.root() / ".glia" / "agent" / "pid", "1\n");
  EXPECT_EQ(mode_of(narrow.root() / ".glia" / "agent" / "pid"), 0640u);
}

// share_file (SQLite's files) and open_shared_file only add the bits the folder's mode gives.
// Outside a workspace, in a folder other users may reach (/tmp, a home), nothing created gives
// them access: 02770 & ~umask, as a new workspace.
TEST_F(SharedFiles, FoldersOthersMayReachAreNotCopied) {
  ASSERT_EQ(::chmod(dir_.c_str(), 01777), 0);
  ::umask(022);
  create_shared_folders(dir_ / "store" / "blobs");
  EXPECT_EQ(mode_of(dir_ / "store"), 02750u);
  EXPECT_EQ(mode_of(dir_ / "store" / "blobs"), 02750u);
  write_shared_file(dir_ / "f", "x");
  EXPECT_EQ(mode_of(dir_ / "f"), 0640u);
  ArtifactStore store(dir_ / "s2");
  EXPECT_EQ(mode_of(store.blob_path(store.put_bytes("y"))), 0440u);
}

TEST_F(SharedFiles, ExistingFilesAreNeverNarrowed) {
  ASSERT_EQ(::chmod(dir_.c_str(), 02770), 0);
  ::umask(077);
  const fs::path wide = dir_ / "wide";
  std::ofstream(wide) << "x";
  ASSERT_EQ(::chmod(wide.c_str(), 0664), 0);
  share_file(wide);
  EXPECT_EQ(mode_of(wide), 0664u);
  ::close(open_shared_file(wide, O_RDWR | O_CREAT));
  EXPECT_EQ(mode_of(wide), 0664u);
  const fs::path narrow = dir_ / "narrow";
  std::ofstream(narrow) << "x";
  ASSERT_EQ(::chmod(narrow.c_str(), 0604), 0);
  share_file(narrow);
  EXPECT_EQ(mode_of(narrow), 0664u);
  share_file(dir_ / "missing");  // ignored
  EXPECT_FALSE(fs::exists(dir_ / "missing"));
}

TEST_F(SharedFiles, OldWorldReadableFoldersAreTightenedOnOpen) {
  Workspace ws = Workspace::init(dir_ / "ws");
  ArtifactStore store(ws.artifacts_path());
  const fs::path blob_folder = store.blob_path(store.put_bytes("x")).parent_path();
  for (const fs::path& p : {ws.root() / ".glia", ws.artifacts_path(), blob_folder})
    ASSERT_EQ(::chmod(p.c_str(), 0755), 0);
  Workspace::open(ws.root());
  for (const fs::path& p : {ws.root() / ".glia", ws.artifacts_path(), blob_folder})
    EXPECT_EQ(mode_of(p), 02750u) << p;
}

TEST_F(SharedFiles, CreateSharedFoldersSetsSetgidAndLeavesExistingAlone) {
  ASSERT_EQ(::chmod(dir_.c_str(), 02770), 0);
  ::umask(027);  // not the umask: the mode of the folder they are made in
  create_shared_folders(dir_ / "a" / "b");
  EXPECT_EQ(mode_of(dir_ / "a"), 02770u);
  EXPECT_EQ(mode_of(dir_ / "a" / "b"), 02770u);
  ASSERT_EQ(::chmod((dir_ / "a" / "b").c_str(), 0700), 0);
  create_shared_folders(dir_ / "a" / "b");
  EXPECT_EQ(mode_of(dir_ / "a" / "b"), 0700u);
  std::ofstream(dir_ / "file") << "x";
  EXPECT_THROW(create_shared_folders(dir_ / "file"), Error);
}

TEST_F(SharedFiles, AtomicWriteReplacesWholeWithTheModeUnderTheUmask) {
  const fs::path f = dir_ / "config.json";
  io::write_file_atomically(f, "one");
  EXPECT_EQ(read_all(f), "one");
  EXPECT_EQ(mode_of(f), 0644u);
  ASSERT_EQ(::chmod(dir_.c_str(), 02750), 0);
  write_shared_file(f, "two");
  EXPECT_EQ(read_all(f), "two");
  EXPECT_EQ(mode_of(f), 0640u);  // its folder's mode, less execute and setgid
  // A writer that fails leaves the old file and no temporary file.
  EXPECT_THROW(io::write_atomically(f,
                                    [](const std::string& tmp) {
                                      std::ofstream(tmp) << "half";
                                      throw Error("disk full");
                                    }),
               Error);
  EXPECT_EQ(read_all(f), "two");
  EXPECT_EQ(count_files(dir_), 1u);
  EXPECT_THROW(io::write_atomically(dir_ / "missing" / "x", [](const std::string&) {}), Error);
}

TEST_F(SharedFiles, TheCurrentUmaskIsReadWithoutChangingIt) {
  ::umask(027);
  EXPECT_EQ(io::current_umask(), mode_t{027});
  EXPECT_EQ(io::current_umask(), mode_t{027});
  EXPECT_EQ(under_umask(kSharedFolderMode), mode_t{02750});
}

// A writer killed with its temporary files in place: the next writer removes them, but never
// those of a live writer.
TEST_F(SharedFiles, TheNextWriterRemovesTheTemporaryFilesOfDeadWriters) {
  const fs::path root = dir_ / "store";
  ArtifactStore{root};  // creates the layout
  const fs::path tmp = root / "tmp";
  fs::create_directories(tmp);
  const fs::path dead = tmp / "w-dead01";
  fs::create_directories(dead);
  std::ofstream(dead / "batch-1") << std::string(1000, 'x');
  const fs::path live = tmp / "w-live01";
  fs::create_directories(live);
  std::ofstream(live / "batch-2") << "y";
  // "live" is held by another process, as a writer holds its folder.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    const int fd = ::open(live.c_str(), O_RDONLY | O_DIRECTORY);
    ::flock(fd, LOCK_EX);
    [[maybe_unused]] auto n = ::write(ready[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  char byte;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ArtifactStore store(root);
  store.put_bytes("a writer starts");
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live / "batch-2"));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_F(SharedFiles, ACodeFolderLinkedFromOutsideTheJobFolderIsRefused) {
  const fs::path job = dir_ / "job";
  fs::create_directories(job);
  fs::create_directories(dir_ / "outside");
  std::ofstream(dir_ / "outside" / "private.txt") << "no";
  fs::create_symlink(dir_ / "outside", job / "code");
  ArtifactStore store(dir_ / "store");
  SnapshotOptions options;
  options.base = job;
  try {
    store.snapshot(job / "code", options);
    FAIL() << "a link out of the job's folder was followed";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    const std::string what = e.what();
    EXPECT_NE(what.find((dir_ / "outside").string()), std::string::npos) << what;
    EXPECT_NE(what.find(job.string()), std::string::npos) << what;
  }
  // A link to a folder inside is followed; a plain path is never refused.
  fs::create_directories(job / "src");
  std::ofstream(job / "src" / "main.py") << "print(1)";
  fs::create_symlink(job / "src", job / "code2");
  EXPECT_EQ(store.manifest(store.snapshot(job / "code2", options)).size(), 1u);
  EXPECT_EQ(store.manifest(store.snapshot(dir_ / "outside", options)).size(), 1u);
}

// Checks a snapshot of `code` leaves out the unreadable file and folder with a warning each.
bool snapshot_skips_unreadable(const fs::path& code, const fs::path& store_root) {
  ArtifactStore store(store_root);
  std::vector<std::string> warnings;
  SnapshotOptions options;
  options.warn = [&](const std::string& w) { warnings.push_back(w); };
  const auto m = store.manifest(store.snapshot(code, options));
  return m.size() == 1 && m[0].path == "main.py" && warnings.size() == 2 &&
         warnings[0].find("'locked'") != std::string::npos &&
         warnings[1].find("'secret.txt'") != std::string::npos;
}

TEST_F(SharedFiles, UnreadableFilesAreSkippedWithAWarningAndNeverChmodded) {
  const fs::path code = dir_ / "code";
  fs::create_directories(code / "locked");
  std::ofstream(code / "main.py") << "print(1)";
  std::ofstream(code / "secret.txt") << "secret";
  std::ofstream(code / "locked" / "inner.txt") << "inner";
  ASSERT_EQ(::chmod((code / "secret.txt").c_str(), 0), 0);
  ASSERT_EQ(::chmod((code / "locked").c_str(), 0), 0);
  if (::geteuid() != 0) {
    EXPECT_TRUE(snapshot_skips_unreadable(code, dir_ / "store"));
  } else {  // root reads anything: the snapshot is taken by a child running as nobody
    fs::create_directories(dir_ / "store");
    ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
    ASSERT_EQ(::chmod((dir_ / "store").c_str(), 0777), 0);
    const pid_t child = ::fork();
    if (child == 0) {
      bool ok = false;
      try {
        ok = ::setgid(65534) == 0 && ::setuid(65534) == 0 &&
             snapshot_skips_unreadable(code, dir_ / "store");
      } catch (...) {
      }
      ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "as nobody";
  }
  EXPECT_EQ(mode_of(code / "secret.txt"), 0u);
}

}  // namespace
}  // namespace glia::platform
