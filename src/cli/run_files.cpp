// glia run files / download: a run's outputs, logs and images in run history.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"

namespace glia::cli {

namespace {

bool under(const std::string& path, const std::string& prefix) {
  if (prefix.empty() || path == prefix) return true;
  const std::string dir = prefix.back() == '/' ? prefix : prefix + "/";
  return path.rfind(dir, 0) == 0;
}

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
      artifacts.copy_blob_to(chosen[0].sha256, dest);
      std::printf("downloaded %s (%lld bytes) to %s\n", prefix.c_str(),
                  static_cast<long long>(chosen[0].size), dest.string().c_str());
      return;
    }
    int64_t bytes = 0;
    for (const auto& f : chosen) {
      const std::string rel = platform::safe_relative_path(f.path, "run file");
      artifacts.copy_blob_to(f.sha256, dest / rel);
      bytes += f.size;
    }
    std::printf("downloaded %zu files (%lld bytes) to %s\n", chosen.size(),
                static_cast<long long>(bytes), dest.string().c_str());
  });
}

}  // namespace glia::cli
