// glia model register / list / show / download / delete: the model registry.
#include <unistd.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/models.hpp"
#include "glia/platform/sweep_runs.hpp"

namespace glia::cli {

namespace {

using platform::model_json;
using platform::ModelVersion;
using Pairs = std::map<std::string, std::string>;
using Wanted = std::map<std::string, std::optional<std::string>>;

// KEY=VALUE options (--tag, --property); with `key_only`, a bare KEY too (filters: "is set").
Wanted parse_pairs(const std::vector<std::string>& given, const std::string& option,
                   bool key_only) {
  Wanted out;
  for (const std::string& g : given) {
    const auto eq = g.find('=');
    if (eq == 0 || g.empty() || (eq == std::string::npos && !key_only))
      throw Error(option + " " + quote_bytes(g) + ": expected KEY=VALUE" +
                  (key_only ? " or KEY" : ""));
    if (eq == std::string::npos)
      out[g] = std::nullopt;
    else
      out[g.substr(0, eq)] = g.substr(eq + 1);
  }
  return out;
}

Pairs key_values(const std::vector<std::string>& given, const std::string& option) {
  Pairs out;
  for (const auto& [k, v] : parse_pairs(given, option, false)) out[k] = v.value_or("");
  return out;
}

std::string version_name(const ModelVersion& m) {
  return m.name + ":" + std::to_string(m.version);
}

std::string joined(const Pairs& pairs) {
  std::string out;
  for (const auto& [k, v] : pairs) out += (out.empty() ? "" : ", ") + k + "=" + v;
  return out;
}

void add_register(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string name, run, path, description, output = "text";
    std::vector<std::string> tags, properties;
    bool verify = false;
  };
  auto a = std::make_shared<Args>();
  auto* c = cmd.add_subcommand("register",
                               "Register files (from a run, or local) as a new "
                               "version of a model");
  c->add_option("--name", a->name, "model name ([A-Za-z0-9][A-Za-z0-9._-]*)")->required();
  c->add_option("--run", a->run,
                "the run whose stored files hold the model (best:SWEEP: a sweep's best trial)");
  c->add_option("--path", a->path,
                "with --run: a file or folder in the run's files (e.g. outputs/model); "
                "else a local file or folder")
      ->required();
  c->add_option("--description", a->description, "what the model is");
  c->add_option("--tag", a->tags, "KEY=VALUE (repeatable)");
  c->add_option("--property", a->properties, "KEY=VALUE, e.g. accuracy=0.89 (repeatable)");
  c->add_flag("--verify", a->verify,
              "load the registered files with their weights (and check the reference sample "
              "when they carry one) first; register nothing if that fails");
  c->add_option("-o,--output", a->output, "output format")->check(CLI::IsMember({"text", "json"}));
  c->callback([a, workspace_dir] {
    platform::ModelRegistration r;
    r.verify = a->verify;
    std::optional<platform::ModelCheck> check;
    r.verified = [&check](const platform::ModelCheck& c) { check = c; };
    r.name = a->name;
    platform::check_model_name(r.name);
    if (!a->run.empty()) r.run_id = a->run;
    r.path = a->path;
    r.description = a->description;
    r.tags = key_values(a->tags, "--tag");
    r.properties = key_values(a->properties, "--property");
    r.created_by = current_user();
    auto ws = open_workspace(*workspace_dir);
    if (r.run_id) r.run_id = platform::resolve_run_reference(ws.store(), *r.run_id);  // best:SWEEP
    const bool tty = ::isatty(2);
    if (tty && !r.run_id)
      r.progress = [](uint64_t done, uint64_t total) {
        std::fprintf(stderr, "\rstoring %s / %s", mb(static_cast<int64_t>(done)).c_str(),
                     mb(static_cast<int64_t>(total)).c_str());
      };
    const ModelVersion m = platform::register_model(ws, r);
    if (r.progress) std::fprintf(stderr, "\r\033[K");
    if (a->output == "json") {
      nlohmann::json j = model_json(m);
      if (check)
        j["verified"] = {{"file", check->file},
                         {"weights", check->weights},
                         {"reference_checked", check->has_reference}};
      return print_json(j);
    }
    if (check)
      std::fprintf(stderr, "glia: %s loads with weights from %s%s\n", check->file.c_str(),
                   check->weights.c_str(),
                   check->has_reference ? " and matches its stored reference output"
                                        : " (no reference sample to check)");
    const std::string from = m.run_id ? "run " + *m.run_id + " " + m.source_path : m.source_path;
    std::printf("Registered %s (%lld files, %s, content %s) from %s\n", version_name(m).c_str(),
                static_cast<long long>(m.file_count), mb(m.total_bytes).c_str(),
                m.manifest.substr(0, 12).c_str(), from.c_str());
  });
}

void add_list(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string name, run, output = "text";
    std::vector<std::string> tags, properties;
    bool latest = false;
  };
  auto a = std::make_shared<Args>();
  auto* c = cmd.add_subcommand("list", "List model versions (filters combine: all must hold)");
  c->add_option("--name", a->name, "only this model's versions");
  c->add_option("--run", a->run, "only versions registered from this run");
  c->add_option("--tag", a->tags, "KEY=VALUE or KEY (is set); repeatable");
  c->add_option("--property", a->properties, "KEY=VALUE or KEY (is set); repeatable");
  c->add_flag("--latest", a->latest, "only the newest matching version of each model");
  c->add_option("-o,--output", a->output, "output format")->check(CLI::IsMember({"text", "json"}));
  c->callback([a, workspace_dir] {
    platform::ModelFilter f;
    if (!a->name.empty()) f.name = a->name;
    if (!a->run.empty()) f.run_id = a->run;
    f.tags = parse_pairs(a->tags, "--tag", true);
    f.properties = parse_pairs(a->properties, "--property", true);
    auto ws = open_workspace(*workspace_dir);
    std::vector<ModelVersion> all = ws.store().list_models(f);
    if (a->latest) {  // sorted by name then version: keep the last of each name
      std::vector<ModelVersion> newest;
      for (size_t i = 0; i < all.size(); ++i)
        if (i + 1 == all.size() || all[i + 1].name != all[i].name) newest.push_back(all[i]);
      all = std::move(newest);
    }
    if (a->output == "json") {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& m : all) j.push_back(model_json(m));
      return print_json(j);
    }
    std::printf("%-28s %-8s %-21s %-6s %-10s %-34s %s\n", "NAME", "VERSION", "CREATED", "FILES",
                "SIZE", "RUN", "TAGS");
    for (const auto& m : all)
      std::printf("%-28s %-8lld %-21s %-6lld %-10s %-34s %s\n", m.name.c_str(),
                  static_cast<long long>(m.version), iso_time(m.created_at).c_str(),
                  static_cast<long long>(m.file_count), mb(m.total_bytes).c_str(),
                  m.run_id ? m.run_id->c_str() : "-",
                  m.tags.empty() ? "-" : escape_bytes(joined(m.tags)).c_str());
  });
}

void print_show(const nlohmann::json& j) {
  auto str = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : ""; };
  std::printf("Model:        %s:%lld\n", str(j["name"]).c_str(),
              static_cast<long long>(j["version"].get<int64_t>()));
  std::printf("Created:      %s by %s\n", str(j["created_at"]).c_str(),
              str(j["created_by"]).c_str());
  if (!str(j["description"]).empty())
    std::printf("Description:  %s\n", escape_bytes(str(j["description"])).c_str());
  for (const char* what : {"tags", "properties"}) {
    std::string line;
    for (const auto& [k, v] : j[what].items())
      line += (line.empty() ? "" : ", ") + k + "=" + str(v);
    std::printf("%-14s%s\n", what == std::string("tags") ? "Tags:" : "Properties:",
                line.empty() ? "(none)" : escape_bytes(line).c_str());
  }
  std::printf("Content:      %s\nFiles:        %lld (%s)\n", str(j["content_hash"]).c_str(),
              static_cast<long long>(j["files"].get<int64_t>()),
              mb(j["bytes"].get<int64_t>()).c_str());
  for (const auto& f : j["file_list"])
    std::printf("  %12lld  %s\n", static_cast<long long>(f["size"].get<int64_t>()),
                str(f["path"]).c_str());
  if (j["run"].is_null()) {
    std::printf("Source:       local files %s\n", str(j["path"]).c_str());
    return;
  }
  const auto& l = j["lineage"];
  std::printf("Source:       run %s, %s\n", str(j["run"]).c_str(), str(j["path"]).c_str());
  std::printf("Lineage:\n  Run:        %s (experiment %s, %s)\n", str(j["run"]).c_str(),
              str(l["experiment"]).c_str(), str(l["run_status"]).c_str());
  std::printf("  Code:       %s\n", str(l["code_snapshot"]).empty()
                                        ? "(no code snapshot)"
                                        : str(l["code_snapshot"]).c_str());
  std::printf("%s", l["datasets"].empty() ? "  Datasets:   (none)\n" : "  Datasets:\n");
  for (const auto& d : l["datasets"])
    std::printf("    %s (input %s, %s, content %s)\n", str(d["ref"]).c_str(),
                str(d["input"]).c_str(), str(d["mode"]).c_str(),
                str(d["content_hash"]).substr(0, 12).c_str());
}

void add_show(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string ref, output = "text";
  };
  auto a = std::make_shared<Args>();
  auto* c = cmd.add_subcommand(
      "show", "A model version: tags, properties, files, the run it came from and its lineage");
  c->add_option("model", a->ref, "NAME, NAME:VERSION or NAME@latest")->required();
  c->add_option("-o,--output", a->output, "output format")->check(CLI::IsMember({"text", "json"}));
  c->callback([a, workspace_dir] {
    const auto ref = platform::parse_model_ref(a->ref);
    auto ws = open_workspace(*workspace_dir);
    const ModelVersion m = platform::resolve_model(ws.store(), ref);
    const nlohmann::json j = platform::model_show_json(ws, m);
    if (a->output == "json") return print_json(j);
    print_show(j);
  });
}

void add_download_delete(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string ref, dir;
    bool overwrite = false;
  };
  auto a = std::make_shared<Args>();
  auto* download = cmd.add_subcommand("download", "Copy a model version's files into a folder");
  download->add_option("model", a->ref, "NAME, NAME:VERSION or NAME@latest")->required();
  download->add_option("-o,--output-dir", a->dir, "destination folder (created if missing)")
      ->required();
  download->add_flag("--overwrite", a->overwrite, "replace files there that differ");
  download->callback([a, workspace_dir] {
    const auto ref = platform::parse_model_ref(a->ref);
    auto ws = open_workspace(*workspace_dir);
    const ModelVersion m = platform::resolve_model(ws.store(), ref);
    const int64_t n = platform::download_model(ws, m, a->dir, a->overwrite);
    std::printf("downloaded %s (%lld files, %s) to %s\n", version_name(m).c_str(),
                static_cast<long long>(n), mb(m.total_bytes).c_str(), a->dir.c_str());
  });

  auto ref = std::make_shared<std::string>();
  auto* del = cmd.add_subcommand(
      "delete", "Delete a model version (its number is never reused; shared files stay stored)");
  del->add_option("model", *ref, "NAME:VERSION")->required();
  del->callback([ref, workspace_dir] {
    const auto r = platform::parse_model_ref(*ref);
    if (!r.version)
      throw Error("model reference " + quote_bytes(*ref) + ": name the version to delete, e.g. " +
                  r.name + ":1");
    auto ws = open_workspace(*workspace_dir);
    const ModelVersion m = platform::resolve_model(ws.store(), r);
    ws.store().delete_model_version(m.name, m.version);
    std::printf("deleted %s\n", version_name(m).c_str());
  });
}

}  // namespace

void register_models(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand("model", "The model registry: versioned models and lineage");
  cmd->require_subcommand(1);
  add_register(*cmd, workspace_dir);
  add_list(*cmd, workspace_dir);
  add_show(*cmd, workspace_dir);
  add_download_delete(*cmd, workspace_dir);
}

}  // namespace glia::cli
