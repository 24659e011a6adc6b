// glia dataset create / list / show / files / download / archive: versioned datasets.
#include <unistd.h>

#include <cstdio>
#include <set>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/datasets.hpp"

namespace glia::cli {

namespace {

using platform::dataset_json;
using platform::DatasetVersion;

void add_create(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string name, description, output = "text";
    std::vector<std::string> paths;
    bool force = false, by_reference = false;
  };
  auto a = std::make_shared<Args>();
  auto* create = cmd.add_subcommand("create", "Register files as a new version of a dataset");
  create->add_option("--name", a->name, "dataset name ([A-Za-z0-9][A-Za-z0-9._-]*)")->required();
  create->add_option("--path", a->paths, "a folder, file, glob or http(s) URL (repeatable)")
      ->required();
  create->add_option("--description", a->description, "what the data is");
  create->add_flag("--force-new-version", a->force,
                   "make a new version even when the content equals the latest");
  create->add_flag("--by-reference", a->by_reference,
                   "URL sources: keep only each URL and its hash; jobs fetch the file (and check "
                   "the hash) when they start");
  create->add_option("-o,--output", a->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  create->callback([a, workspace_dir] {
    platform::check_dataset_name(a->name);
    for (const auto& path : a->paths) {  // --by-reference would be ignored for a local path
      if (a->by_reference && path.rfind("http://", 0) != 0 && path.rfind("https://", 0) != 0)
        throw Error("--by-reference applies to http(s) URLs only; '" + path +
                    "' is a local path (its files are stored: leave --by-reference out)");
    }
    auto ws = open_workspace(*workspace_dir);
    platform::RegisterOptions options{a->description, a->force, current_user(), {}};
    options.by_reference = a->by_reference;
    const bool tty = ::isatty(2);
    if (tty)
      options.progress = [](uint64_t done, uint64_t total) {
        std::fprintf(stderr, "\rstoring %s / %s", mb(static_cast<int64_t>(done)).c_str(),
                     mb(static_cast<int64_t>(total)).c_str());
      };
    bool created = false;
    const DatasetVersion d = platform::register_dataset(ws, a->name, a->paths, options, &created);
    if (tty) std::fprintf(stderr, "\r\033[K");
    if (a->output == "json") {
      nlohmann::json j = dataset_json(d);
      j["created"] = created;
      print_json(j);
    } else if (created) {
      std::printf("Registered %s:%lld (%lld files, %s, content %s)\n", d.name.c_str(),
                  static_cast<long long>(d.version), static_cast<long long>(d.file_count),
                  mb(d.total_bytes).c_str(), d.manifest.substr(0, 12).c_str());
    } else {
      std::printf(
          "%s:%lld already holds exactly these files; no new version (--force-new-version makes "
          "one)\n",
          d.name.c_str(), static_cast<long long>(d.version));
    }
  });
}

void add_views(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  auto list_output = std::make_shared<std::string>("text");
  auto* list = cmd.add_subcommand("list", "List datasets (every version with -o json)");
  list->add_option("-o,--output", *list_output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  list->callback([list_output, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    const auto all = ws.store().list_datasets();
    if (*list_output == "json") {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& d : all) j.push_back(dataset_json(d));
      print_json(j);
      return;
    }
    std::printf("%-32s %-8s %-9s %-7s %-10s %s\n", "NAME", "LATEST", "VERSIONS", "FILES", "SIZE",
                "DESCRIPTION");
    for (size_t i = 0; i < all.size(); ++i) {
      if (i + 1 < all.size() && all[i + 1].name == all[i].name) continue;  // the newest row
      size_t n = 0;
      const DatasetVersion* latest = nullptr;
      for (const auto& d : all)
        if (d.name == all[i].name) {
          ++n;
          if (!d.archived) latest = &d;
        }
      const DatasetVersion& shown = latest ? *latest : all[i];
      std::printf("%-32s %-8s %-9zu %-7lld %-10s %s\n", shown.name.c_str(),
                  latest ? std::to_string(latest->version).c_str() : "archived", n,
                  static_cast<long long>(shown.file_count), mb(shown.total_bytes).c_str(),
                  escape_bytes(shown.description).c_str());
    }
  });

  struct Ref {
    std::string ref, output = "text";
  };
  auto s = std::make_shared<Ref>();
  auto* show = cmd.add_subcommand(
      "show", "A dataset version: files, sizes, content hash, who created it, runs that used it");
  show->add_option("dataset", s->ref, "NAME, NAME:VERSION or NAME@latest")->required();
  show->add_option("-o,--output", s->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  show->callback([s, workspace_dir] {
    const auto ref = platform::parse_dataset_ref(s->ref);
    auto ws = open_workspace(*workspace_dir);
    const DatasetVersion d = platform::resolve_dataset(ws.store(), ref);
    const nlohmann::json j = platform::dataset_show_json(ws, d);
    if (s->output == "json") {
      print_json(j);
      return;
    }
    std::printf("Dataset:      %s:%lld%s\n", d.name.c_str(), static_cast<long long>(d.version),
                d.archived ? " (archived)" : "");
    if (!d.description.empty())
      std::printf("Description:  %s\n", escape_bytes(d.description).c_str());
    std::printf("Content:      %s\nFiles:        %lld (%s)\nCreated:      %s by %s\n",
                d.manifest.c_str(), static_cast<long long>(d.file_count), mb(d.total_bytes).c_str(),
                iso_time(d.created_at).c_str(), d.created_by.c_str());
    for (const auto& f : j["file_list"])
      std::printf("  %12lld  %s\n", static_cast<long long>(f["size"].get<int64_t>()),
                  f["path"].get<std::string>().c_str());
    std::set<std::string> runs;
    for (const auto& u : j["used_by"]) runs.insert(u["run"].get<std::string>());
    std::printf("Used by:      %zu runs\n", runs.size());
    for (const auto& u : j["used_by"])
      std::printf("  %s (input %s, %s)\n", u["run"].get<std::string>().c_str(),
                  u["input"].get<std::string>().c_str(), u["mode"].get<std::string>().c_str());
  });

  auto f = std::make_shared<Ref>();
  auto* files = cmd.add_subcommand("files", "List a dataset version's files");
  files->add_option("dataset", f->ref, "NAME, NAME:VERSION or NAME@latest")->required();
  files->add_option("-o,--output", f->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  files->callback([f, workspace_dir] {
    const auto ref = platform::parse_dataset_ref(f->ref);
    auto ws = open_workspace(*workspace_dir);
    const DatasetVersion d = platform::resolve_dataset(ws.store(), ref);
    auto artifacts = ws.artifacts();
    nlohmann::json j = nlohmann::json::array();
    for (const auto& e : artifacts.manifest(d.manifest)) {
      if (f->output == "json")
        j.push_back({{"path", e.path}, {"size", e.size}, {"sha256", e.sha256}});
      else
        std::printf("%12llu  %s\n", static_cast<unsigned long long>(e.size), e.path.c_str());
    }
    if (f->output == "json") print_json(j);
  });
}

void add_download_archive(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string ref, dir;
  };
  auto a = std::make_shared<Args>();
  auto* download = cmd.add_subcommand("download", "Copy a dataset version's files into a folder");
  download->add_option("dataset", a->ref, "NAME, NAME:VERSION or NAME@latest")->required();
  download->add_option("-o,--output-dir", a->dir, "destination folder")->required();
  download->callback([a, workspace_dir] {
    const auto ref = platform::parse_dataset_ref(a->ref);
    auto ws = open_workspace(*workspace_dir);
    const DatasetVersion d = platform::resolve_dataset(ws.store(), ref);
    ws.artifacts().materialize(d.manifest, a->dir);
    std::printf("downloaded %s:%lld (%lld files, %s) to %s\n", d.name.c_str(),
                static_cast<long long>(d.version), static_cast<long long>(d.file_count),
                mb(d.total_bytes).c_str(), a->dir.c_str());
  });

  for (bool archive : {true, false}) {
    auto ref = std::make_shared<std::string>();
    auto* c =
        cmd.add_subcommand(archive ? "archive" : "unarchive",
                           archive ? "Hide a version from @latest (still usable as NAME:VERSION)"
                                   : "Make an archived version visible to @latest again");
    c->add_option("dataset", *ref, "NAME:VERSION")->required();
    c->callback([ref, archive, workspace_dir] {
      const auto r = platform::parse_dataset_ref(*ref);
      if (!r.version)
        throw Error("dataset reference '" + *ref + "': name the version, e.g. " + r.name + ":1");
      auto ws = open_workspace(*workspace_dir);
      ws.store().set_dataset_archived(r.name, *r.version, archive);
      std::printf("%s %s\n", archive ? "archived" : "unarchived", ref->c_str());
    });
  }
}

}  // namespace

void register_datasets(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand("dataset", "Versioned datasets");
  cmd->require_subcommand(1);
  add_create(*cmd, workspace_dir);
  add_views(*cmd, workspace_dir);
  add_download_archive(*cmd, workspace_dir);
}

}  // namespace glia::cli
