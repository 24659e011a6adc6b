// Storing local folders, files, globs and http(s) URLs as one manifest in the artifact store:
// what registering a dataset or a model version stores before its row is written.
#include <glob.h>

#include <map>
#include <nlohmann/json.hpp>

#include "artifacts/url_fetch.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/assets.hpp"
#include "glia/platform/blob_batch.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

struct Found {
  fs::path source;
  bool executable = false;
  uint64_t size = 0;
  std::string url;  // set for a URL source (source, size unknown until fetched)
};

std::string origin(const Found& f) {
  return f.url.empty() ? f.source.string() : f.url;
}

// name in the version -> the file it comes from
using FileMap = std::map<std::string, Found>;

void add(FileMap& files, const std::string& name, const fs::path& source,
         const std::string& given) {
  std::error_code ec;
  const auto status = fs::status(source, ec);
  const uint64_t size = fs::file_size(source, ec);
  if (ec) throw Error("cannot read '" + source.string() + "': " + ec.message());
  auto [it, inserted] = files.emplace(
      name, Found{source, (status.permissions() & fs::perms::owner_exec) != fs::perms::none, size});
  if (!inserted && origin(it->second) != source.string())
    throw Error("'" + given + "' and another source both give the file '" + name + "' (from '" +
                origin(it->second) + "' and '" + source.string() + "')");
}

void add_url(FileMap& files, const std::string& url) {
  const std::string name = url_file_name(url);
  auto [it, inserted] = files.emplace(name, Found{{}, false, 0, url});
  if (!inserted && origin(it->second) != url)
    throw Error("'" + url + "' and another source both give the file '" + name + "' (from '" +
                origin(it->second) + "')");
}

void add_folder(FileMap& files, const fs::path& dir, const std::string& prefix,
                const std::string& given, const std::string& kind) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw Error("cannot read '" + dir.string() + "': " + ec.message());
    if (!it->is_regular_file(ec)) continue;
    const std::string rel = it->path().lexically_relative(dir).generic_string();
    add(files, safe_relative_path(prefix + rel, kind + " file"), it->path(), given);
  }
}

void add_source(FileMap& files, const std::string& given, const std::string& kind) {
  if (is_url(given)) return add_url(files, given);
  std::error_code ec;
  // A path that exists as written is taken literally, even with [ * ? in its name.
  if (given.find_first_of("*?[") != std::string::npos && !fs::exists(given, ec)) {
    glob_t g{};
    const int rc = ::glob(given.c_str(), GLOB_NOSORT, nullptr, &g);
    std::vector<fs::path> matches(g.gl_pathv, g.gl_pathv + (rc == 0 ? g.gl_pathc : 0));
    ::globfree(&g);
    if (matches.empty()) throw Error("source '" + given + "': the pattern matches no file");
    // Named relative to the pattern's folder: the part before the first wildcard component.
    fs::path base = fs::path(given.substr(0, given.find_first_of("*?["))).parent_path();
    for (const auto& m : matches) {
      const std::string rel = m.lexically_relative(base.empty() ? fs::path(".") : base)
                                  .lexically_normal()
                                  .generic_string();
      if (fs::is_directory(m, ec))
        add_folder(files, m, rel + "/", given, kind);
      else if (fs::is_regular_file(m, ec))
        add(files, safe_relative_path(rel, kind + " file"), m, given);
    }
    return;
  }
  const fs::path p(given);
  if (fs::is_directory(p, ec))
    add_folder(files, p, "", given, kind);
  else if (fs::is_regular_file(p, ec))
    add(files, safe_relative_path(p.filename().string(), kind + " file"), p, given);
  else
    throw Error(ErrorKind::NotFound,
                "source '" + given + "' is not a file, folder or pattern that exists");
}

}  // namespace

// URLs: downloads them, or only hashes them by_reference; sources records URLs with their
// sha256 and size.
StoredSources store_sources(Workspace& ws, const std::string& what,
                            const std::vector<std::string>& sources, const SourceOptions& options) {
  const auto& progress = options.progress;
  if (sources.empty()) throw Error(what + ": give at least one --path");
  FileMap files;
  for (const auto& s : sources) add_source(files, s, options.kind);
  if (files.empty()) throw Error(what + ": the sources hold no files");
  uint64_t total = 0, done = 0;
  for (const auto& [rel, f] : files) total += f.size;
  auto artifacts = ws.artifacts();
  // Local files: hashed and copied on every core, made durable with one sync (BlobBatch).
  std::vector<fs::path> local;
  for (const auto& [rel, f] : files)
    if (f.url.empty()) local.push_back(f.source);
  BlobBatch batch(artifacts);
  const std::vector<StoredFile> stored = batch.add_files(local, 0, [&](uint64_t d) {
    if (progress) progress(d, total);
  });
  std::vector<ManifestEntry> entries;
  std::map<std::string, nlohmann::json> fetched;  // URL -> what sources records for it
  size_t next_local = 0;
  for (const auto& [rel, f] : files) {
    uint64_t size = 0;
    if (f.url.empty()) {
      const StoredFile& sf = stored[next_local++];
      size = sf.size;
      entries.push_back({rel, sf.sha256, size, f.executable, {}});
    } else {
      FetchOptions fetch;
      fetch.keep = !options.by_reference;
      if (progress) fetch.progress = [&](uint64_t d, uint64_t t) { progress(done + d, total + t); };
      const FetchResult got = fetch_url(artifacts, f.url, fetch);
      size = got.size;
      total += size;
      entries.push_back({rel, got.sha256, size, false, options.by_reference ? f.url : ""});
      fetched[f.url] = {{"url", f.url},
                        {"sha256", got.sha256},
                        {"size", size},
                        {"by_reference", options.by_reference}};
    }
    done += size;
  }
  if (progress) progress(done, total);
  batch.commit();  // before anything names the blobs
  nlohmann::json recorded = nlohmann::json::array();
  for (const auto& s : sources) recorded.push_back(is_url(s) ? fetched.at(s) : nlohmann::json(s));
  StoredSources d;
  try {
    d.manifest = artifacts.put_manifest(entries);
  } catch (const nlohmann::json::exception&) {
    throw Error(what + ": a file name is not valid UTF-8 (rename it, or leave it out)");
  }
  d.file_count = static_cast<int64_t>(entries.size());
  d.total_bytes = static_cast<int64_t>(done);
  d.sources = recorded.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return d;
}

}  // namespace glia::platform
