// Downloading http(s) files into the artifact store with libcurl (see url_fetch.hpp).
#include "artifacts/url_fetch.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "artifacts/file_io.hpp"
#include "artifacts/sha256.hpp"
#include "glia/error.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform {

namespace fs = std::filesystem;
using artifacts::UniqueFd;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One download: the partial file on disk, the hash of its bytes so far, and what the current
// response has said. A try resumes from the bytes on disk with a Range request.
class Download {
 public:
  Download(fs::path partial, const FetchOptions& options)
      : path_(std::move(partial)), validator_path_(path_.string() + ".validator"), opt_(options) {
    fd_ = UniqueFd(open_shared_file(path_, O_RDWR | O_CREAT));
    std::ifstream validator(validator_path_);
    std::getline(validator, validator_);
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) fail_io();
    // Bytes left by an earlier process are resumed only when the server can tell us (If-Range)
    // whether the file is still the same.
    if (validator_.empty() && st.st_size > 0) {
      restart();
      return;
    }
    char* buffer = artifacts::io_buffer();
    while (size_t n = artifacts::read_some(fd_.get(), buffer, artifacts::kIoBufferSize, path_)) {
      hash_->update(buffer, n);
      done_ += n;
    }
  }

  // One try: "" when the file is complete, else why not (*retry: whether trying again helps).
  std::string attempt(const std::string& url, bool* retry) {
    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, curl_slist_free_all);
    if (!curl) throw Error("cannot download '" + url + "': libcurl did not start");
    char error[CURL_ERROR_SIZE] = "";
    curl_ = curl.get();
    offset_ = done_;
    body_started_ = range_mismatch_ = false;
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "glia");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, opt_.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, opt_.low_speed_bytes);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, opt_.low_speed_s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Download::on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Download::on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
    const std::string range = std::to_string(offset_) + "-";
    if (offset_ > 0) {
      curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
      if (!validator_.empty())
        headers.reset(curl_slist_append(nullptr, ("If-Range: " + validator_).c_str()));
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    }
    const CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (!fatal_.empty()) throw Error(fatal_);
    if (rc == CURLE_OK) {
      if (!body_started_) begin_body();  // an empty body
      if (!range_mismatch_) return "";
    }
    *retry = true;
    if (range_mismatch_) {
      restart();
      return "the server answered with another byte range than asked for";
    }
    if (rc == CURLE_HTTP_RETURNED_ERROR) {
      if (status == 416 && offset_ > 0) restart();  // the partial file is no prefix: start over
      *retry = status >= 500 || status == 408 || status == 429 || (status == 416 && offset_ > 0);
      return "HTTP " + std::to_string(status);
    }
    *retry = rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
             rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_PARTIAL_FILE ||
             rc == CURLE_GOT_NOTHING || rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM;
    return error[0] != '\0' ? error : curl_easy_strerror(rc);
  }

  FetchResult finish() {
    if (::fsync(fd_.get()) != 0) fail_io();
    if (opt_.progress) opt_.progress(done_, total_ ? total_ : done_);
    return {hash_->hex_digest(), done_};
  }

  // Removes the partial file and what was known about it.
  void discard() {
    fd_ = UniqueFd();
    std::error_code ec;
    fs::remove(path_, ec);
    fs::remove(validator_path_, ec);
  }

 private:
  [[noreturn]] void fail_io() { throw os_error("cannot write '" + path_.string() + "'", errno); }

  void restart() {
    if (::ftruncate(fd_.get(), 0) != 0 || ::lseek(fd_.get(), 0, SEEK_SET) != 0) fail_io();
    hash_ = std::make_unique<artifacts::Sha256>();
    done_ = 0;
  }

  // The first body bytes of a response: a 206 must continue exactly where the file ends; any
  // other answer is the whole file, so what is on disk is dropped.
  bool begin_body() {
    body_started_ = true;
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    if (status == 206) {
      unsigned long long start = 0, end = 0, total = 0;
      if (std::sscanf(content_range_.c_str(), "bytes %llu-%llu/%llu", &start, &end, &total) < 2 ||
          start != offset_) {
        range_mismatch_ = true;
        return false;
      }
      total_ = total;
    } else {
      if (offset_ > 0) restart();
      curl_off_t length = -1;
      curl_easy_getinfo(curl_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
      total_ = length > 0 ? static_cast<uint64_t>(length) : 0;
    }
    validator_ = !etag_.empty() ? etag_ : last_modified_;
    write_shared_file(validator_path_, validator_);
    return true;
  }

  static size_t on_header(char* data, size_t, size_t n, void* self) {
    auto* d = static_cast<Download*>(self);
    std::string line(data, n);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    if (line.rfind("HTTP/", 0) == 0) {  // a new response (after a redirect, say)
      d->etag_.clear();
      d->last_modified_.clear();
      d->content_range_.clear();
    } else if (const size_t colon = line.find(':'); colon != std::string::npos) {
      const std::string name = lower(line.substr(0, colon));
      const size_t start = line.find_first_not_of(" \t", colon + 1);
      const std::string value = start == std::string::npos ? "" : line.substr(start);
      if (name == "etag") d->etag_ = value;
      if (name == "last-modified") d->last_modified_ = value;
      if (name == "content-range") d->content_range_ = value;
    }
    return n;
  }

  static size_t on_body(char* data, size_t, size_t n, void* self) {
    auto* d = static_cast<Download*>(self);
    try {
      if (!d->body_started_ && !d->begin_body()) return 0;
      artifacts::write_all(d->fd_.get(), data, n, d->path_);
      d->hash_->update(data, n);
      d->done_ += n;
      if (d->opt_.progress && d->done_ - d->last_progress_ >= (uint64_t{1} << 20)) {
        d->last_progress_ = d->done_;
        d->opt_.progress(d->done_, d->total_);
      }
      return n;
    } catch (const std::exception& e) {
      d->fatal_ = e.what();  // no exception may cross libcurl
      return 0;
    }
  }

  fs::path path_, validator_path_;
  const FetchOptions& opt_;
  UniqueFd fd_;
  std::unique_ptr<artifacts::Sha256> hash_ = std::make_unique<artifacts::Sha256>();
  uint64_t done_ = 0, total_ = 0, last_progress_ = 0, offset_ = 0;
  std::string validator_, etag_, last_modified_, content_range_, fatal_;
  CURL* curl_ = nullptr;
  bool body_started_ = false, range_mismatch_ = false;
};

}  // namespace

bool is_url(const std::string& source) {
  const std::string head = lower(source.substr(0, 8));
  return head.rfind("http://", 0) == 0 || head == "https://";
}

FetchResult fetch_url(ArtifactStore& store, const std::string& url, const FetchOptions& options) {
  if (!is_url(url)) throw Error("'" + url + "' is not an http(s) URL");
  static std::once_flag curl_ready;
  std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const fs::path dir = store.root() / "partial";
  create_shared_folders(dir);
  const fs::path partial = dir / sha256_bytes(url);
  // One download per URL at a time; the lock file stays (the partial file comes and goes).
  UniqueFd lock(open_shared_file(partial.string() + ".lock", O_RDWR | O_CREAT));
  int locked = -1;
  while (lock.get() >= 0 && (locked = ::flock(lock.get(), LOCK_EX)) != 0 && errno == EINTR) {
  }
  if (locked != 0) throw os_error("cannot lock '" + partial.string() + "'", errno);
  if (!options.expected_sha256.empty() && store.contains(options.expected_sha256))
    return {options.expected_sha256, fs::file_size(store.blob_path(options.expected_sha256))};

  Download download(partial, options);
  for (int attempt = 1;; ++attempt) {
    bool retry = false;
    const std::string why = download.attempt(url, &retry);
    if (why.empty()) break;
    if (!retry || attempt >= options.tries) {
      if (!retry) download.discard();  // nothing worth resuming
      throw Error("download of '" + url + "' failed: " + why +
                  (attempt > 1 ? " (" + std::to_string(attempt) + " tries)" : ""));
    }
    std::this_thread::sleep_for(
        std::chrono::duration<double>(options.backoff_s * std::pow(2.0, attempt - 1)));
  }
  const FetchResult result = download.finish();
  if (options.keep &&
      (options.expected_sha256.empty() || options.expected_sha256 == result.sha256)) {
    store.adopt_file(partial, result.sha256);
  }
  download.discard();
  return result;
}

std::string url_file_name(const std::string& url) {
  std::unique_ptr<CURLU, void (*)(CURLU*)> u(curl_url(), curl_url_cleanup);
  char* raw = nullptr;
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
      curl_url_get(u.get(), CURLUPART_PATH, &raw, 0) != CURLUE_OK)
    throw Error("source '" + url + "' is not a valid URL");
  const std::string path = raw;
  curl_free(raw);
  const std::string last = path.substr(path.rfind('/') + 1);
  std::string name;
  for (size_t i = 0; i < last.size(); ++i) {
    if (last[i] == '%' && i + 2 < last.size() &&
        std::isxdigit(static_cast<unsigned char>(last[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(last[i + 2]))) {
      name += static_cast<char>(std::stoi(last.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      name += last[i];
    }
  }
  if (name.empty() || name.find('/') != std::string::npos)
    throw Error("source '" + url + "': the URL's path does not end in a file name");
  return safe_relative_path(name, "dataset file");
}

void fetch_missing_blobs(ArtifactStore& store, const std::vector<ManifestEntry>& entries) {
  for (const ManifestEntry& e : entries) {
    if (store.contains(e.sha256)) continue;
    std::vector<std::string> urls = store.blob_urls(e.sha256);
    if (!e.url.empty() && std::find(urls.begin(), urls.end(), e.url) == urls.end())
      urls.insert(urls.begin(), e.url);  // a manifest written by an older version
    std::string first_error;
    for (const std::string& url : urls) {  // the first place that still has the bytes
      FetchOptions options;
      options.expected_sha256 = e.sha256;
      try {
        const FetchResult got = fetch_url(store, url, options);
        if (got.sha256 == e.sha256) break;
        if (first_error.empty())
          first_error = "dataset file '" + e.path + "' at '" + url +
                        "' changed since it was registered (sha256 " + got.sha256 + ", expected " +
                        e.sha256 + ")";
      } catch (const Error& err) {
        if (first_error.empty()) first_error = err.what();
      }
    }
    if (!store.contains(e.sha256) && !first_error.empty()) throw Error(first_error);
  }
}

}  // namespace glia::platform
