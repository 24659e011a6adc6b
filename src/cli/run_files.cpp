// glia run files / download: a run's outputs, logs and images in run history.
#include <cstdio>
#include <set>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/run_file_tree.hpp"

namespace glia::cli {

namespace {

bool under(const std::string& path, const std::string& prefix) {
  if (prefix.empty() || path == prefix) return true;
  const std::string dir = prefix.back() == '/' ? prefix : prefix + "/";
  return path.rfind(dir, 0) == 0;
}

// What a download created, removed again unless it completes: a failed download leaves the
// destination as it found it (files it replaced excepted).
class Created {
 public:
  // Notes the folders above `file` and `file` itself that are not there yet.
  void before_writing(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(file, ec))) files_.push_back(file);
    std::vector<std::filesystem::path> missing;
    // symlink_status: a dangling symlink is there (not followed), so never counted as created.
    for (auto p = file.parent_path();
         !p.empty() && !std::filesystem::exists(std::filesystem::symlink_status(p, ec));
         p = p.parent_path()) {
      missing.push_back(p);
      if (p == p.parent_path()) break;
    }
    folders_.insert(folders_.end(), missing.rbegin(), missing.rend());
  }
  void keep() { keep_ = true; }
  ~Created() {
    if (keep_) return;
    std::error_code ec;
    for (const auto& f : files_) std::filesystem::remove(f, ec);
    for (auto it = folders_.rbegin(); it != folders_.rend(); ++it)
      std::filesystem::remove(*it, ec);  // only when empty
  }

 private:
  std::vector<std::filesystem::path> files_, folders_;
  bool keep_ = false;
};

}  // namespace

void register_run_files(CLI::App& run, const std::shared_ptr<std::string>& workspace_dir) {
  auto* files = run.add_subcommand("files", "List a run's files (outputs, logs, images)");
  auto fid = std::make_shared<std::string>();
  auto fout = std::make_shared<std::string>("text");
  files->add_option("run", *fid, "run id")->required();
  files->add_option("-o,--output", *fout, "output format")->check(CLI::IsMember({"text", "json"}));
  files->callback([fid, fout, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    ws.store().get_run(*fid);
    auto list = ws.store().run_files(*fid);
    if (*fout == "json") {
      const nlohmann::json all = platform::run_files_json(list);
      std::printf("%s\n",
                  all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    for (const auto& f : list)
      std::printf("%12lld  %s\n", static_cast<long long>(f.size), f.path.c_str());
  });

  auto* download = run.add_subcommand(
      "download",
      "Copy a run's files (all, or those under PREFIX) into a folder, or one file to a path");
  struct Args {
    std::string run, prefix, dir;
  };
  auto a = std::make_shared<Args>();
  download->add_option("run", a->run, "run id")->required();
  download->add_option("prefix", a->prefix, "a file or folder in the run, e.g. outputs/model");
  download
      ->add_option("-o,--output-dir", a->dir,
                   "destination folder (created if missing); when PREFIX names one file, "
                   "the file to write unless it is an existing folder or ends in '/' "
                   "(Azure's run.download_file(name, output_file_path))")
      ->required();
  download->callback([a, workspace_dir] {
    std::string prefix = a->prefix;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    if (!prefix.empty()) prefix = platform::safe_relative_path(prefix, "download path");
    auto ws = open_workspace(*workspace_dir);
    ws.store().get_run(a->run);
    std::vector<platform::RunFile> chosen;
    for (const auto& f : ws.store().run_files(a->run))
      if (under(f.path, prefix)) chosen.push_back(f);
    if (chosen.empty())
      throw Error(ErrorKind::NotFound,
                  "run '" + a->run + "' has no files" +
                      (prefix.empty() ? std::string() : " under '" + prefix + "'") +
                      " (see: glia run files " + a->run + ")");
    auto artifacts = ws.artifacts();
    const std::filesystem::path dest(a->dir);
    std::error_code ec;
    if (chosen.size() == 1 && chosen[0].path == prefix && a->dir.back() != '/' &&
        !std::filesystem::is_directory(dest, ec)) {
      // One file, to the path given (not a folder named like the file).
      Created created;
      created.before_writing(dest);
      artifacts.copy_blob_to(chosen[0].sha256, dest);
      created.keep();
      std::printf("downloaded %s (%lld bytes) to %s\n", prefix.c_str(),
                  static_cast<long long>(chosen[0].size), dest.string().c_str());
      return;
    }
    // A file and a folder of one name (stored before the stores refused that) cannot both be
    // laid out: refused before anything is written.
    const std::set<std::string> paths = [&] {
      std::set<std::string> all;
      for (const auto& f : chosen) all.insert(f.path);
      return all;
    }();
    for (const auto& f : chosen)
      if (auto clash = platform::run_file_clash(paths, f.path))
        throw Error(
            ErrorKind::Conflict,
            "run '" + a->run + "' cannot be downloaded into a folder: " + clash->describe());
    int64_t bytes = 0;
    Created created;
    for (const auto& f : chosen) {
      const std::string rel = platform::safe_relative_path(f.path, "run file");
      created.before_writing(dest / rel);
      artifacts.copy_blob_to(f.sha256, dest / rel);
      bytes += f.size;
    }
    created.keep();
    std::printf("downloaded %zu files (%lld bytes) to %s\n", chosen.size(),
                static_cast<long long>(bytes), dest.string().c_str());
  });
}

}  // namespace glia::cli
