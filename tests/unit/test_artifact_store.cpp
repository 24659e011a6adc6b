#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "error_of.hpp"
#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform {
namespace {

using testing_util::error_of;

namespace fs = std::filesystem;

const std::string kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kAbcSha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

void write_file(const fs::path& path, const std::string& bytes, bool executable = false) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  fs::permissions(path, executable ? fs::perms(0755) : fs::perms(0644));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

size_t count_files(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) ++n;
  return n;
}

std::vector<std::string> paths_of(const std::vector<ManifestEntry>& entries) {
  std::vector<std::string> paths;
  for (const ManifestEntry& e : entries) paths.push_back(e.path);
  return paths;
}

class ArtifactStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("glia-artifacts-" +
            std::string(testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ArtifactStore store() { return ArtifactStore(dir_ / "store"); }
  // The paths a snapshot of `tree` keeps.
  std::vector<std::string> snapshot_paths(const fs::path& tree) {
    ArtifactStore s = store();
    return paths_of(s.manifest(s.snapshot(tree)));
  }

  fs::path dir_;
};

TEST_F(ArtifactStoreTest, Sha256KnownVectors) {
  EXPECT_EQ(sha256_bytes(""), kEmptySha);
  EXPECT_EQ(sha256_bytes("abc"), kAbcSha);
  write_file(dir_ / "abc.txt", "abc");
  write_file(dir_ / "empty", "");
  EXPECT_EQ(sha256_file(dir_ / "abc.txt"), kAbcSha);
  EXPECT_EQ(sha256_file(dir_ / "empty"), kEmptySha);
  ArtifactStore s = store();
  EXPECT_EQ(s.put_bytes("abc"), kAbcSha);
  EXPECT_EQ(s.put_bytes(""), kEmptySha);
  EXPECT_EQ(s.read_blob(kEmptySha), "");
}

TEST_F(ArtifactStoreTest, LargeFileStreamsToTheSameHashAsItsBytes) {
  std::string bytes(3 * 1000 * 1000 + 17, '\0');  // spans several 1 MiB buffers
  uint32_t x = 12345;
  for (char& c : bytes) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  write_file(dir_ / "big.bin", bytes);
  ArtifactStore s = store();
  uint64_t size = 0;
  const std::string from_file = s.put_file(dir_ / "big.bin", &size);
  EXPECT_EQ(size, bytes.size());
  EXPECT_EQ(from_file, sha256_bytes(bytes));
  EXPECT_EQ(from_file, sha256_file(dir_ / "big.bin"));
  EXPECT_EQ(s.put_bytes(bytes), from_file);
  EXPECT_EQ(s.read_blob(from_file), bytes);
  EXPECT_EQ(s.blob_path(from_file), dir_ / "store" / "blobs" / from_file.substr(0, 2) / from_file);
}

TEST_F(ArtifactStoreTest, ChunkedBytesAreStoredAsTheyArriveOrNotAtAll) {
  ArtifactStore s = store();
  const std::string bytes = "chunks of an upload, in pieces";
  uint64_t size = 0;
  const auto sha = s.put_stream(
      [&](const ArtifactStore::ChunkWriter& write) {
        for (size_t i = 0; i < bytes.size(); i += 4)
          write(bytes.data() + i, std::min<size_t>(4, bytes.size() - i));
        return true;
      },
      &size);
  ASSERT_TRUE(sha.has_value());
  EXPECT_EQ(*sha, sha256_bytes(bytes));
  EXPECT_EQ(size, bytes.size());
  EXPECT_EQ(s.read_blob(*sha), bytes);
  // The bytes did not all arrive (a client gone midway): nothing stored, no temporary left.
  const auto cut = s.put_stream([&](const ArtifactStore::ChunkWriter& write) {
    write("partial", 7);
    return false;
  });
  EXPECT_FALSE(cut.has_value());
  EXPECT_FALSE(s.contains(sha256_bytes("partial")));
  EXPECT_EQ(count_files(dir_ / "store" / "blobs"), 1u);
  EXPECT_EQ(count_files(dir_ / "store" / "tmp"), 0u);
}

TEST_F(ArtifactStoreTest, IdenticalContentIsStoredOnce) {
  ArtifactStore s = store();
  write_file(dir_ / "a.txt", "same bytes");
  write_file(dir_ / "b.txt", "same bytes");
  const std::string h = s.put_file(dir_ / "a.txt");
  EXPECT_EQ(s.put_file(dir_ / "b.txt"), h);
  EXPECT_EQ(s.put_bytes("same bytes"), h);
  EXPECT_TRUE(s.contains(h));
  EXPECT_EQ(count_files(dir_ / "store" / "blobs"), 1u);
  EXPECT_EQ(count_files(dir_ / "store" / "tmp"), 0u);  // temporaries are dropped
}

TEST_F(ArtifactStoreTest, BlobsAreReadOnlyAndPrivateToTheGroup) {
  const mode_t old = ::umask(022);
  ASSERT_EQ(::chmod(dir_.c_str(), 02770), 0);  // as a workspace's .glia: the umask does not count
  ArtifactStore s = store();
  const std::string h = s.put_bytes("frozen");
  EXPECT_EQ(mode_of(s.blob_path(h)), 0440u);
  write_file(dir_ / "x", "frozen too", true);
  EXPECT_EQ(mode_of(s.blob_path(s.put_file(dir_ / "x"))), 0440u);
  ::umask(old);
}

TEST_F(ArtifactStoreTest, MissingOrInvalidHashes) {
  ArtifactStore s = store();
  const std::string missing(64, 'a');
  EXPECT_FALSE(s.contains(missing));
  EXPECT_EQ(error_of([&] { s.blob_path(missing); }), "artifact store has no blob " + missing);
  EXPECT_THROW(s.read_blob(missing), Error);
  EXPECT_THROW(s.copy_blob_to(missing, dir_ / "out"), Error);
  for (const std::string& bad :
       std::vector<std::string>{"", "abc", std::string(64, 'A'), std::string(63, 'a'),
                                std::string(65, 'a'), "../" + std::string(61, 'a')}) {
    EXPECT_THROW(s.blob_path(bad), Error) << bad;
    EXPECT_THROW(s.contains(bad), Error) << bad;
  }
}

TEST_F(ArtifactStoreTest, PutFileErrorsNameTheFile) {
  ArtifactStore s = store();
  const fs::path missing = dir_ / "x" / "y.txt";
  EXPECT_EQ(error_of([&] { s.put_file(missing); }),
            "cannot read '" + missing.string() + "': No such file or directory");
  EXPECT_EQ(error_of([&] { sha256_file(missing); }),
            "cannot read '" + missing.string() + "': No such file or directory");
  fs::create_directories(dir_ / "folder");
  EXPECT_EQ(error_of([&] { s.put_file(dir_ / "folder"); }),
            "cannot read '" + (dir_ / "folder").string() + "': Is a directory");
  EXPECT_EQ(count_files(dir_ / "store" / "tmp"), 0u);
}

TEST_F(ArtifactStoreTest, CopyBlobToIsAtomicAndSetsTheMode) {
  ArtifactStore s = store();
  const std::string h = s.put_bytes("#!/bin/sh\necho hi\n");
  const fs::path dest = dir_ / "out" / "deep" / "run.sh";
  s.copy_blob_to(h, dest, true);
  EXPECT_EQ(read_file(dest), "#!/bin/sh\necho hi\n");
  EXPECT_EQ(mode_of(dest), 0755u);
  // Replaces an existing file whole, and the copy is private and writable.
  const std::string h2 = s.put_bytes("new");
  s.copy_blob_to(h2, dest);
  EXPECT_EQ(read_file(dest), "new");
  EXPECT_EQ(mode_of(dest), 0644u);
  std::ofstream(dest, std::ios::app) << "!";
  EXPECT_EQ(s.read_blob(h2), "new");
  EXPECT_EQ(count_files(dir_ / "out"), 1u);  // no temporaries left beside it
}

TEST_F(ArtifactStoreTest, SnapshotListsFilesAndKeepsTheExecutableBit) {
  const fs::path tree = dir_ / "src";
  write_file(tree / "train.py", "print('hi')\n");
  write_file(tree / "scripts" / "run.sh", "#!/bin/sh\n", true);
  write_file(tree / "a" / "b" / "c.txt", "");
  fs::create_directories(tree / "empty_folder");
  ArtifactStore s = store();
  const std::string h = s.snapshot(tree);
  const std::vector<ManifestEntry> m = s.manifest(h);
  ASSERT_EQ(paths_of(m), (std::vector<std::string>{"a/b/c.txt", "scripts/run.sh", "train.py"}));
  EXPECT_EQ(m[0].sha256, kEmptySha);
  EXPECT_EQ(m[0].size, 0u);
  EXPECT_TRUE(m[1].executable);
  EXPECT_FALSE(m[2].executable);
  EXPECT_EQ(m[2].size, 12u);
  EXPECT_EQ(s.read_blob(m[2].sha256), "print('hi')\n");
}

TEST_F(ArtifactStoreTest, ManifestIsCanonicalJson) {
  write_file(dir_ / "t" / "a.py", "abc");
  ArtifactStore s = store();
  const std::string h = s.snapshot(dir_ / "t");
  const std::string expected = R"({"files":[{"executable":false,"path":"a.py","sha256":")" +
                               kAbcSha + R"(","size":3}],"format":"glia-snapshot-1"})";
  EXPECT_EQ(s.read_blob(h), expected);
  EXPECT_EQ(h, sha256_bytes(expected));
}

TEST_F(ArtifactStoreTest, IdenticalTreesHaveIdenticalHashes) {
  for (const char* name : {"one", "two"}) {
    write_file(dir_ / name / "m.py", "model = 1\n");
    write_file(dir_ / name / "lib" / "u.py", "x = 2\n", true);
  }
  fs::last_write_time(dir_ / "two" / "m.py",
                      fs::file_time_type::clock::now() - std::chrono::hours(48));
  ArtifactStore s = store();
  const std::string one = s.snapshot(dir_ / "one");
  EXPECT_EQ(s.snapshot(dir_ / "two"), one);
  EXPECT_EQ(s.snapshot(dir_ / "one"), one);
  write_file(dir_ / "two" / "m.py", "model = 2\n");  // one byte differs
  const std::string changed = s.snapshot(dir_ / "two");
  EXPECT_NE(changed, one);
  fs::permissions(dir_ / "two" / "m.py", fs::perms(0755));  // only the executable bit differs
  EXPECT_NE(s.snapshot(dir_ / "two"), changed);
}

TEST_F(ArtifactStoreTest, SnapshotHonoursIgnoreRules) {
  const fs::path t = dir_ / "t";
  write_file(t / ".gliaignore",
             "# a comment, then a blank line\n\n"
             "*.log\n"             // any depth
             "!keep.log\n"         // negation
             "build/\n"            // folders only, any depth
             "notes/\n"            // a file called notes stays
             "/top.txt\n"          // anchored by a leading slash
             "docs/*.md\n"         // anchored by a middle slash; '*' stays in one component
             "**/cache\n"          // "**/" prefix
             "out/**\n"            // "/**" suffix: what is inside out/
             "!out/keep.txt\n"     // ... which can be re-included
             "data/**/tmp\n"       // "/**/" in the middle
             "f?le[0-9].txt   \n"  // ? and [...]; trailing spaces dropped
  );
  for (const char* p :
       {"a.log",         "keep.log",   "sub/b.log",      "sub/keep.log",  "build/x.o",
        "sub/build/y.o", "build2",     "notes",          "top.txt",       "sub/top.txt",
        "docs/a.md",     "docs/a.txt", "docs/more/b.md", "sub/docs/a.md", "cache/z",
        "x/y/cache/z",   "out/a",      "out/deep/b",     "out/keep.txt",  "data/tmp",
        "data/1/2/tmp",  "data/keep",  "file1.txt",      "sub/file2.txt", "file10.txt",
        "main.py"})
    write_file(t / p, p);
  EXPECT_EQ(
      snapshot_paths(t),
      (std::vector<std::string>{".gliaignore", "build2", "data/keep", "docs/a.txt",
                                "docs/more/b.md", "file10.txt", "keep.log", "main.py", "notes",
                                "out/keep.txt", "sub/docs/a.md", "sub/keep.log", "sub/top.txt"}));
}

TEST_F(ArtifactStoreTest, ExcludedFoldersCannotBeReincludedFrom) {
  const fs::path t = dir_ / "t";
  write_file(t / ".gitignore", "logs\n!logs/keep.txt\n");
  write_file(t / "logs" / "keep.txt", "x");
  write_file(t / "main.py", "x");
  EXPECT_EQ(snapshot_paths(t), (std::vector<std::string>{".gitignore", "main.py"}));
}

TEST_F(ArtifactStoreTest, IgnoreFilePrecedence) {
  const fs::path t = dir_ / "t";
  for (const char* p : {"a.txt", "b.txt", "c.txt"}) write_file(t / p, p);
  write_file(t / ".gitignore", "c.txt\n");
  EXPECT_EQ(snapshot_paths(t), (std::vector<std::string>{".gitignore", "a.txt", "b.txt"}));
  write_file(t / ".amlignore", "b.txt\n");  // .amlignore wins over .gitignore
  EXPECT_EQ(snapshot_paths(t),
            (std::vector<std::string>{".amlignore", ".gitignore", "a.txt", "c.txt"}));
  write_file(t / ".gliaignore", "a.txt\n");  // .gliaignore wins over both
  EXPECT_EQ(snapshot_paths(t), (std::vector<std::string>{".amlignore", ".gitignore", ".gliaignore",
                                                         "b.txt", "c.txt"}));
}

TEST_F(ArtifactStoreTest, GitAndGliaFoldersAreSkipped) {
  const fs::path t = dir_ / "t";
  write_file(t / ".git" / "HEAD", "ref");
  write_file(t / ".glia" / "config.json", "{}");
  write_file(t / "vendor" / "lib" / ".git", "gitdir: ../x");  // a submodule's .git file
  write_file(t / "vendor" / "lib" / "l.py", "x");
  write_file(t / ".github" / "ci.yml", "x");
  EXPECT_EQ(snapshot_paths(t), (std::vector<std::string>{".github/ci.yml", "vendor/lib/l.py"}));
}

TEST_F(ArtifactStoreTest, SymlinksInsideAreStoredAsContentOthersSkipped) {
  const fs::path t = dir_ / "t";
  write_file(t / "real.py", "real", true);
  write_file(t / "pkg" / "mod.py", "mod");
  write_file(dir_ / "secret.txt", "outside");
  fs::create_symlink("real.py", t / "link.py");
  fs::create_symlink("../real.py", t / "pkg" / "up.py");
  fs::create_symlink(dir_ / "secret.txt", t / "secret.txt");
  fs::create_symlink("pkg", t / "pkg_link");    // to a folder
  fs::create_symlink("missing", t / "broken");  // dangling
  fs::create_symlink("loop", t / "loop");       // to itself
  ArtifactStore s = store();
  std::vector<std::string> warnings;
  SnapshotOptions options;
  options.warn = [&](const std::string& w) { warnings.push_back(w); };
  const std::vector<ManifestEntry> m = s.manifest(s.snapshot(t, options));
  ASSERT_EQ(paths_of(m),
            (std::vector<std::string>{"link.py", "pkg/mod.py", "pkg/up.py", "real.py"}));
  // Only the link out of the folder is worth a warning (it names the link and its target).
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("'secret.txt'"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find((dir_ / "secret.txt").string()), std::string::npos) << warnings[0];
  EXPECT_EQ(s.read_blob(m[0].sha256), "real");
  EXPECT_TRUE(m[0].executable);
  EXPECT_EQ(m[2].sha256, m[3].sha256);
}

TEST_F(ArtifactStoreTest, SpecialFilesAreSkipped) {
  const fs::path t = dir_ / "t";
  write_file(t / "a.py", "a");
  ASSERT_EQ(::mkfifo((t / "pipe").c_str(), 0644), 0);
  EXPECT_EQ(snapshot_paths(t), (std::vector<std::string>{"a.py"}));
}

TEST_F(ArtifactStoreTest, SnapshotOverTheLimitFailsBeforeStoring) {
  const fs::path t = dir_ / "src";
  write_file(t / "small.py", "x");
  {
    std::ofstream(t / "weights.bin").close();
    fs::resize_file(t / "weights.bin", 412ull << 20);  // sparse: the limit is checked first
  }
  ArtifactStore s = store();
  EXPECT_EQ(error_of([&] { s.snapshot(t); }),
            "code folder '" + t.string() + "' is 412.0 MB, over the 300 MB snapshot limit; " +
                "list what to leave out in " + (t / ".gliaignore").string());
  EXPECT_EQ(count_files(dir_ / "store" / "blobs"), 0u);
  EXPECT_EQ(error_of([&] { s.snapshot(t, SnapshotOptions{1000}); }),
            "code folder '" + t.string() + "' is 412.0 MB, over the 1000 bytes snapshot limit; " +
                "list what to leave out in " + (t / ".gliaignore").string());
  write_file(t / ".gliaignore", "*.bin\n");
  EXPECT_NO_THROW(s.snapshot(t));
}

TEST_F(ArtifactStoreTest, SnapshotOfAMissingFolderFails) {
  ArtifactStore s = store();
  EXPECT_EQ(error_of([&] { s.snapshot(dir_ / "nope"); }),
            "code folder '" + (dir_ / "nope").string() + "' does not exist");
  try {
    s.snapshot(dir_ / "nope");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  write_file(dir_ / "file", "x");
  EXPECT_THROW(s.snapshot(dir_ / "file"), Error);
}

TEST_F(ArtifactStoreTest, MaterializeRoundTrips) {
  const fs::path t = dir_ / "t";
  write_file(t / "train.py", "import glia\n");
  write_file(t / "bin" / "go", "#!/bin/sh\n", true);
  write_file(t / "a" / "b" / "c" / "d.txt", std::string(100000, 'z'));
  write_file(t / "empty.txt", "");
  ArtifactStore s = store();
  const std::string h = s.snapshot(t);
  const fs::path out = dir_ / "job" / "code";
  s.materialize(h, out);
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(t)) {
    if (!e.is_regular_file()) continue;
    ++n;
    const fs::path copy = out / fs::relative(e.path(), t);
    EXPECT_EQ(read_file(copy), read_file(e.path())) << copy;
    EXPECT_EQ(mode_of(copy) & 0100, mode_of(e.path()) & 0100) << copy;
  }
  EXPECT_EQ(count_files(out), n);
  EXPECT_EQ(s.snapshot(out), h);
  // Private copies: changing one leaves the blob alone.
  std::ofstream(out / "train.py", std::ios::app) << "mutated";
  EXPECT_EQ(s.read_blob(sha256_bytes("import glia\n")), "import glia\n");
}

TEST_F(ArtifactStoreTest, MaterializeRefusesFoldersLeadingOutside) {
  write_file(dir_ / "t" / "sub" / "f.txt", "x");
  ArtifactStore s = store();
  const std::string h = s.snapshot(dir_ / "t");
  fs::create_directories(dir_ / "out");
  fs::create_directories(dir_ / "elsewhere");
  fs::create_symlink(dir_ / "elsewhere", dir_ / "out" / "sub");
  EXPECT_THROW(s.materialize(h, dir_ / "out"), Error);
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere" / "f.txt"));
}

TEST_F(ArtifactStoreTest, BadManifestsAreRefused) {
  ArtifactStore s = store();
  const std::string not_json = s.put_bytes("not json");
  EXPECT_EQ(error_of([&] { s.manifest(not_json); }),
            "snapshot " + not_json + " is not a valid manifest: not JSON");
  const std::string escape =
      s.put_bytes(R"({"format":"glia-snapshot-1","files":[{"path":"../x","sha256":")" + kAbcSha +
                  R"(","size":3,"executable":false}]})");
  EXPECT_THROW(s.manifest(escape), Error);
  EXPECT_THROW(s.materialize(escape, dir_ / "out"), Error);
  EXPECT_FALSE(fs::exists(dir_ / "x"));
  const std::string wrong_format = s.put_bytes(R"({"format":"other","files":[]})");
  EXPECT_THROW(s.manifest(wrong_format), Error);
  EXPECT_THROW(s.manifest(s.put_bytes(R"({"format":1,"files":[]})")), Error);
  EXPECT_THROW(s.manifest(s.put_bytes("[]")), Error);
  const std::string bad_hash = s.put_bytes(
      R"({"format":"glia-snapshot-1","files":[{"path":"x","sha256":"zz","size":3,"executable":false}]})");
  EXPECT_THROW(s.manifest(bad_hash), Error);
  EXPECT_THROW(s.manifest(std::string(64, 'b')), Error);
}

TEST(SafeRelativePath, AcceptsAndRejects) {
  EXPECT_EQ(safe_relative_path("a/b", "path"), "a/b");
  EXPECT_EQ(safe_relative_path("a", "path"), "a");
  EXPECT_EQ(safe_relative_path(".hidden/x..y", "path"), ".hidden/x..y");
  EXPECT_EQ(safe_relative_path("a\\b", "path"), "a\\b");  // a plain character on Linux
  for (const std::string& bad :
       std::vector<std::string>{"../x", "a/../b", "a/..", "/etc/passwd", "a//b", "./a", "a/.", "",
                                "a/", std::string("a\0b", 3), std::string(4097, 'a')})
    EXPECT_THROW(safe_relative_path(bad, "output path"), Error) << bad;
  EXPECT_EQ(error_of([] { safe_relative_path("../x", "output path"); }),
            "output path '../x' contains '..'");
  EXPECT_EQ(error_of([] { safe_relative_path("/etc/passwd", "manifest path"); }),
            "manifest path '/etc/passwd' is absolute; a relative path is needed");
  EXPECT_EQ(error_of([] { safe_relative_path("", "output path"); }), "output path is empty");
}

}  // namespace
}  // namespace glia::platform

namespace glia::platform {
namespace {

TEST(ArtifactStoreView, LinksEveryFileWithoutCopyingAndIsReadOnly) {
  const fs::path dir = fs::temp_directory_path() / ("glia-view-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ArtifactStore s(dir / "store");
  const std::string a = s.put_bytes("aaa"), b = s.put_bytes("bb");
  const std::string m = s.put_manifest({{"x/a.txt", a, 3, false}, {"b.txt", b, 2, false}});
  s.link_view(m, dir / "view");
  std::ifstream in(dir / "view" / "x" / "a.txt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "aaa");
  struct stat view_file {
  }, blob{}, folder{};
  ASSERT_EQ(::stat((dir / "view" / "b.txt").c_str(), &view_file), 0);
  ASSERT_EQ(::stat(s.blob_path(b).c_str(), &blob), 0);
  EXPECT_EQ(view_file.st_ino, blob.st_ino);  // the blob itself: no bytes copied
  ASSERT_EQ(::stat((dir / "view" / "x").c_str(), &folder), 0);
  // The store's folder mode without write bits; never other users.
  EXPECT_EQ(folder.st_mode & 07777, folder_mode(dir / "store") & 02550);
  EXPECT_THROW(s.link_view(m, dir / "view"), Error);  // never over an existing folder
  for (const auto& p : {dir / "view" / "x", dir / "view"}) ::chmod(p.c_str(), 0755);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace glia::platform
