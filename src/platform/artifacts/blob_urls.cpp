// Where a blob registered --by-reference can be fetched from: <root>/urls/ab/<sha256>, one URL a
// line. Kept out of manifests so that a dataset version's identity is its content alone.
#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "artifacts/sha256.hpp"
#include "artifacts/url_fetch.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

fs::path urls_location(const fs::path& root, const std::string& sha256) {
  return root / "urls" / sha256.substr(0, 2) / sha256;
}

}  // namespace

void ArtifactStore::add_blob_url(const std::string& sha256, const std::string& url) {
  artifacts::require_sha256(sha256);
  // One URL a line: a line break (or any control character) would make two of one.
  const bool controls = std::any_of(url.begin(), url.end(),
                                    [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  if (!is_url(url) || controls)
    throw Error("blob " + sha256 + ": " + quote_bytes(url) + " is not an http(s) URL");
  std::vector<std::string> urls = blob_urls(sha256);
  if (std::find(urls.begin(), urls.end(), url) != urls.end()) return;
  urls.push_back(url);
  std::string text;
  for (const std::string& u : urls) text += u + "\n";
  const fs::path file = urls_location(root_, sha256);
  create_shared_folders(file.parent_path());
  write_shared_file(file, text);
}

std::vector<std::string> ArtifactStore::blob_urls(const std::string& sha256) const {
  artifacts::require_sha256(sha256);
  std::vector<std::string> urls;
  std::ifstream in(urls_location(root_, sha256));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) urls.push_back(line);
  return urls;
}

}  // namespace glia::platform
