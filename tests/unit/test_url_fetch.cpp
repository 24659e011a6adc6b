// URL sources against a real HTTP server on 127.0.0.1 (tests/tools/http_fixture.py, started per
// test): 200, 404, a stalled transfer, a dropped connection resumed with Range, 500s retried,
// and datasets registered --by-reference (fetched and verified at use time; a changed remote
// file refused clearly).
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "artifacts/url_fetch.hpp"
#include "error_of.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/datasets.hpp"
#include "temp_dir.hpp"

namespace glia::platform {
namespace {

using testing_util::error_of;

namespace fs = std::filesystem;

// python3 tests/tools/http_fixture.py DIR --log LOG, killed again on destruction.
class HttpServer {
 public:
  HttpServer(const fs::path& dir, const fs::path& log) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      const std::string script = std::string(GLIA_SOURCE_DIR) + "/tests/tools/http_fixture.py";
      ::execlp("python3", "python3", script.c_str(), dir.c_str(), "--log", log.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(out[1]);
    pollfd p{out[0], POLLIN, 0};
    std::string line;
    char c = 0;
    while (::poll(&p, 1, 10000) > 0 && ::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    port_ = std::atoi(line.c_str());
  }
  ~HttpServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

std::string pattern(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (char& c : s) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
  return s;
}

size_t files_under(const fs::path& dir) {
  size_t n = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    n += it->is_regular_file() ? 1 : 0;
  return n;
}

class UrlFetch : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("NO_PROXY", "127.0.0.1", 1);  // libcurl would otherwise honour http_proxy
    dir_ = testing_util::fresh_test_dir("url");
    fs::create_directories(dir_ / "www");
    server_ = std::make_unique<HttpServer>(dir_ / "www", dir_ / "requests.log");
    ASSERT_GT(server_->port(), 0) << "the HTTP fixture did not start";
    options_.backoff_s = 0.01;
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  std::string serve(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / "www" / name, std::ios::binary | std::ios::trunc) << bytes;
    return bytes;
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  std::vector<std::string> requests() const {
    std::ifstream in(dir_ / "requests.log");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  fs::path dir_;
  std::unique_ptr<HttpServer> server_;
  FetchOptions options_;
};

TEST_F(UrlFetch, DownloadsIntoTheStoreWithProgress) {
  const std::string bytes = serve("train-images.idx", pattern(3'000'000));
  ArtifactStore store(dir_ / "store");
  uint64_t done = 0, total = 0;
  options_.progress = [&](uint64_t d, uint64_t t) { done = d, total = t; };
  const FetchResult r = fetch_url(store, url("/train-images.idx"), options_);
  EXPECT_EQ(r.sha256, sha256_bytes(bytes));
  EXPECT_EQ(r.size, bytes.size());
  EXPECT_EQ(store.read_blob(r.sha256), bytes);
  EXPECT_EQ(done, bytes.size());
  EXPECT_EQ(total, bytes.size());
  for (const auto& e : fs::directory_iterator(dir_ / "store" / "partial"))  // only lock files
    EXPECT_EQ(e.path().extension(), ".lock") << e.path();
}

TEST_F(UrlFetch, NotFoundFailsAtOnceStoringNothing) {
  ArtifactStore store(dir_ / "store");
  const std::string u = url("/x.gz");
  EXPECT_EQ(error_of([&] { fetch_url(store, u, options_); }),
            "download of '" + u + "' failed: HTTP 404");
  EXPECT_EQ(requests().size(), 1u);
  EXPECT_EQ(files_under(dir_ / "store" / "blobs"), 0u);
  EXPECT_EQ(files_under(dir_ / "store" / "partial"), 1u);  // the lock file only
}

TEST_F(UrlFetch, StalledTransferFailsAfterRetriesKeepingThePartialFile) {
  serve("big.bin", pattern(100'000));
  ArtifactStore store(dir_ / "store");
  options_.tries = 2;
  options_.low_speed_bytes = 1000;  // the server drips 256 bytes/s
  options_.low_speed_s = 1;
  const std::string u = url("/slow/big.bin");
  const auto start = std::chrono::steady_clock::now();
  const std::string error = error_of([&] { fetch_url(store, u, options_); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  EXPECT_EQ(error.rfind("download of '" + u + "' failed: ", 0), 0u) << error;
  EXPECT_NE(error.find("(2 tries)"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
  const auto log = requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_NE(log[1].find("bytes="), std::string::npos) << log[1];  // the retry resumed
  EXPECT_EQ(files_under(dir_ / "store" / "blobs"), 0u);
  const fs::path partial = dir_ / "store" / "partial" / sha256_bytes(u);
  ASSERT_TRUE(fs::exists(partial));
  EXPECT_GT(fs::file_size(partial), 0u);
}

TEST_F(UrlFetch, DroppedConnectionResumesWithARangeRequest) {
  const std::string bytes = serve("train-labels.idx", pattern(300'000));
  ArtifactStore store(dir_ / "store");
  const FetchResult r = fetch_url(store, url("/drop/train-labels.idx"), options_);
  EXPECT_EQ(r.sha256, sha256_bytes(bytes));
  EXPECT_EQ(store.read_blob(r.sha256), bytes);
  EXPECT_EQ(requests(), (std::vector<std::string>{"/drop/train-labels.idx -",
                                                  "/drop/train-labels.idx bytes=150000-"}));
}

TEST_F(UrlFetch, ServerErrorsAreRetriedWithBackoff) {
  const std::string bytes = serve("a.bin", pattern(1000));
  serve("b.bin", pattern(10));
  ArtifactStore store(dir_ / "store");
  EXPECT_EQ(fetch_url(store, url("/500-then-ok/a.bin"), options_).sha256, sha256_bytes(bytes));
  EXPECT_EQ(requests().size(), 3u);
  options_.tries = 2;
  const std::string u = url("/500-then-ok/b.bin");
  EXPECT_EQ(error_of([&] { fetch_url(store, u, options_); }),
            "download of '" + u + "' failed: HTTP 500 (2 tries)");
}

TEST_F(UrlFetch, FileNamesComeFromTheUrlPath) {
  EXPECT_EQ(url_file_name("http://h/x/t10k%20labels.gz?raw=1#f"), "t10k labels.gz");
  EXPECT_EQ(url_file_name("https://h:8080/a.idx"), "a.idx");
  for (const char* bad : {"http://h/", "http://h", "http://h/a/%2e%2e", "http://h/a%2Fb"})
    EXPECT_THROW(url_file_name(bad), Error) << bad;
  EXPECT_TRUE(is_url("HTTPS://h/a"));
  EXPECT_FALSE(is_url("/data/http://x"));
}

TEST_F(UrlFetch, RegistersUrlsWithTheirHashAndSize) {
  const std::string bytes = serve("t10k labels.idx", pattern(5000));
  std::ofstream(dir_ / "local.txt") << "local";
  Workspace ws = Workspace::init(dir_ / "ws");
  const std::string u = url("/t10k%20labels.idx");
  const DatasetVersion v = register_dataset(ws, "mixed", {u, (dir_ / "local.txt").string()}, {});
  EXPECT_EQ(v.file_count, 2);
  EXPECT_EQ(v.total_bytes, 5005);
  ArtifactStore store(ws.artifacts_path());
  const auto m = store.manifest(v.manifest);
  EXPECT_EQ(m[1].path, "t10k labels.idx");
  EXPECT_EQ(m[1].url, "");  // downloaded: the blob is stored
  EXPECT_EQ(store.read_blob(m[1].sha256), bytes);
  const auto sources = nlohmann::json::parse(v.sources);
  EXPECT_EQ(sources[0]["url"], u);
  EXPECT_EQ(sources[0]["sha256"], sha256_bytes(bytes));
  EXPECT_EQ(sources[0]["size"], 5000);
  EXPECT_EQ(sources[1], (dir_ / "local.txt").string());
  EXPECT_THROW(register_dataset(ws, "gone", {url("/missing.idx")}, {}), Error);
  EXPECT_FALSE(ws.store().find_dataset("gone", std::nullopt));
}

TEST_F(UrlFetch, ByReferenceKeepsNoBlobAndFetchesAtUse) {
  const std::string bytes = serve("images.idx", pattern(20'000));
  Workspace ws = Workspace::init(dir_ / "ws");
  RegisterOptions options;
  options.by_reference = true;
  const std::string u = url("/images.idx");
  const DatasetVersion v = register_dataset(ws, "ref", {u}, options);
  ArtifactStore store(ws.artifacts_path());
  const auto m = store.manifest(v.manifest);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].url, "");  // not part of the content's identity
  EXPECT_EQ(store.blob_urls(m[0].sha256), std::vector<std::string>{u});
  EXPECT_EQ(m[0].sha256, sha256_bytes(bytes));
  EXPECT_FALSE(store.contains(m[0].sha256));
  EXPECT_EQ(nlohmann::json::parse(v.sources)[0]["by_reference"], true);
  ensure_blobs(store, v.manifest);
  EXPECT_EQ(store.read_blob(m[0].sha256), bytes);
  ensure_blobs(store, v.manifest);  // stored now: nothing fetched
  EXPECT_EQ(requests().size(), 2u);
  // The same bytes at another URL are the same content (one manifest, both URLs kept); a view
  // or a download fetches by itself too.
  const DatasetVersion w = register_dataset(ws, "ref2", {url("/drop/images.idx")}, options);
  EXPECT_EQ(w.manifest, v.manifest);
  EXPECT_EQ(store.blob_urls(m[0].sha256), (std::vector<std::string>{u, url("/drop/images.idx")}));
  EXPECT_EQ(register_dataset(ws, "ref", {url("/drop/images.idx")}, options).version, 1);
  std::error_code ec;
  fs::remove(store.blob_path(m[0].sha256), ec);
  store.link_view(w.manifest, dir_ / "view");
  EXPECT_EQ(store.read_blob(m[0].sha256), bytes);
  store.materialize(w.manifest, dir_ / "copy");
  std::stringstream copy;
  copy << std::ifstream(dir_ / "copy" / "images.idx", std::ios::binary).rdbuf();
  EXPECT_EQ(copy.str(), bytes);
  fs::permissions(dir_ / "view", fs::perms::owner_all, ec);
}

TEST_F(UrlFetch, ChangedRemoteFileFailsBeforeUse) {
  const std::string before = serve("labels.idx", pattern(4000));
  Workspace ws = Workspace::init(dir_ / "ws");
  RegisterOptions options;
  options.by_reference = true;
  const std::string u = url("/labels.idx");
  const DatasetVersion v = register_dataset(ws, "ref", {u}, options);
  const std::string after = serve("labels.idx", pattern(4001));
  ArtifactStore store(ws.artifacts_path());
  EXPECT_EQ(error_of([&] { ensure_blobs(store, v.manifest); }),
            "dataset file 'labels.idx' at '" + u + "' changed since it was registered (sha256 " +
                sha256_bytes(after) + ", expected " + sha256_bytes(before) + ")");
  EXPECT_FALSE(store.contains(sha256_bytes(before)));
  EXPECT_FALSE(store.contains(sha256_bytes(after)));
  EXPECT_THROW(store.link_view(v.manifest, dir_ / "view"), Error);
  EXPECT_FALSE(fs::exists(dir_ / "view"));
  EXPECT_THROW(store.materialize(v.manifest, dir_ / "copy"), Error);
}

}  // namespace
}  // namespace glia::platform
