#include "remote/blob_push.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "glia/error.hpp"

namespace glia::remote {

namespace {

constexpr size_t kAskAtOnce = 10000;  // hashes in one "missing" question
constexpr size_t kPiece = 1u << 20;

// Streams a cached blob as a PUT body (from any offset: the client may start again).
nlohmann::json upload_blob(http::Client& client, const std::string& path,
                           const std::filesystem::path& file) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(file, ec);
  if (ec) throw Error(ErrorKind::NotFound, "cannot read the cached blob '" + file.string() + "'");
  return client.upload(path, size, [&](uint64_t offset, uint64_t length, http::BodySink& sink) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::string buf(kPiece, '\0');
    bool ok = true;
    while (ok && length > 0) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(length, kPiece));
      const ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ok = false;
        break;
      }
      ok = sink.write(buf.data(), static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
      length -= static_cast<uint64_t>(n);
    }
    ::close(fd);
    return ok;
  });
}

}  // namespace

BlobPusher::BlobPusher(std::shared_ptr<http::Client> client, std::string workspace,
                       std::filesystem::path cache_root)
    : client_(std::move(client)),
      prefix_("/api/v1/workspaces/" + workspace + "/blobs"),
      missing_path_("/api/v1/workspaces/" + workspace + "/missing-blobs"),
      cache_(std::move(cache_root)) {}

void BlobPusher::push(const std::vector<std::string>& blobs,
                      const std::vector<std::string>& manifests) {
  std::set<std::string> wanted(blobs.begin(), blobs.end());
  // A manifest the server holds comes with its blobs (stored, or known by URL there): only the
  // entries of those it lacks are sent.
  std::vector<std::string> named;
  for (const auto& m : manifests)
    if (!m.empty()) named.push_back(m);
  for (const auto& m : missing(named)) {
    wanted.insert(m);
    if (!cache_.contains(m))
      throw Error(ErrorKind::NotFound,
                  "manifest " + m + " is neither in the local cache nor on the server");
    for (const auto& e : cache_.manifest(m)) wanted.insert(e.sha256);
  }
  wanted.erase("");
  // Manifests last: the server checks, when a record names one, that its files are there.
  std::vector<std::string> order;
  for (const auto& h : missing(std::vector<std::string>(wanted.begin(), wanted.end())))
    if (std::find(named.begin(), named.end(), h) == named.end()) order.push_back(h);
  for (const auto& h : named)
    if (wanted.count(h)) order.push_back(h);
  for (const std::string& sha256 : order) {
    if (cache_.contains(sha256)) {
      upload_blob(*client_, prefix_ + "/" + sha256, cache_.blob_path(sha256));
      continue;
    }
    const auto urls = cache_.blob_urls(sha256);  // registered by reference: its URL travels
    if (urls.empty())
      throw Error(ErrorKind::NotFound,
                  "blob " + sha256 + " is neither in the local cache nor on the server");
    for (const auto& url : urls)
      client_->send_json("POST", prefix_ + "/" + sha256 + "/urls", {{"url", url}}, true);
  }
}

std::vector<std::string> BlobPusher::missing(const std::vector<std::string>& hashes) {
  std::vector<std::string> out;
  for (size_t at = 0; at < hashes.size(); at += kAskAtOnce) {
    const size_t end = std::min(hashes.size(), at + kAskAtOnce);
    const nlohmann::json asked(std::vector<std::string>(hashes.begin() + static_cast<long>(at),
                                                        hashes.begin() + static_cast<long>(end)));
    const auto answer = client_->send_json("POST", missing_path_, {{"sha256", asked}}, true);
    for (const auto& h : answer.at("missing")) out.push_back(h.get<std::string>());
  }
  return out;
}

}  // namespace glia::remote
