// glia environment create / list / show / archive / unarchive / build / prune: versioned Python
// environments (a conda YAML or pip requirements), built into venvs jobs reuse.
#include <unistd.h>

#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/environments.hpp"

namespace glia::cli {

namespace {

using platform::environment_json;
using platform::EnvironmentSpec;
using platform::EnvironmentVersion;

EnvironmentSpec spec_of(const EnvironmentVersion& v) {
  return EnvironmentSpec::from_json(nlohmann::json::parse(v.spec));
}

std::string ref_text(const EnvironmentVersion& v) {
  return v.name + ":" + std::to_string(v.version);
}

void add_create(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string name, conda, pip, python, image, description, output = "text";
  };
  auto a = std::make_shared<Args>();
  auto* create = cmd.add_subcommand(
      "create", "Register a conda YAML or pip requirements file as a new environment version");
  create->add_option("--name", a->name, "environment name ([A-Za-z0-9][A-Za-z0-9._-]*)")
      ->required();
  auto* conda = create->add_option("--conda-file", a->conda,
                                   "a conda environment YAML (python=X.Y, pip packages, ...)");
  auto* pip = create->add_option("--pip-requirements", a->pip, "a pip requirements file");
  conda->excludes(pip);
  create->add_option("--python", a->python, "the Python version, X.Y or X.Y.Z (default: python3)");
  create->add_option("--image", a->image,
                     "a container image (recorded, not used: jobs run on this host's OS)");
  create->add_option("--description", a->description, "what the environment is for");
  create->add_option("-o,--output", a->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  create->callback([a, workspace_dir] {
    platform::check_environment_name(a->name);
    if (a->conda.empty() && a->pip.empty() && a->image.empty())
      throw Error("give --conda-file FILE or --pip-requirements FILE (or --image)");
    platform::EnvironmentRegistration r;
    r.name = a->name;
    r.description = a->description;
    r.created_by = current_user();
    if (!a->conda.empty()) {
      r.source = platform::read_environment_file(a->conda, "conda file");
      r.spec = platform::parse_conda_file(r.source, a->conda);
      r.source_kind = "conda";
    } else if (!a->pip.empty()) {
      r.source = platform::read_environment_file(a->pip, "requirements file");
      r.spec = platform::parse_pip_requirements(r.source, a->pip);
      r.source_kind = "pip";
    } else {
      r.source_kind = "image";
    }
    if (!a->python.empty()) {
      platform::check_python_version(a->python, "--python");
      if (r.spec.python && *r.spec.python != a->python)
        throw Error("--python " + a->python + " differs from python=" + *r.spec.python + " in '" +
                    a->conda + "'");
      r.spec.python = a->python;
    }
    r.spec.image = a->image;
    auto ws = open_workspace(*workspace_dir);
    bool created = false;
    const EnvironmentVersion v = platform::register_environment(ws, r, &created);
    if (!a->image.empty())
      std::fprintf(stderr,
                   "glia: note: image %s is recorded, not used: jobs run on this host's OS\n",
                   quote_bytes(a->image).c_str());
    if (a->output == "json") {
      nlohmann::json j = environment_json(ws, v);
      j["created"] = created;
      print_json(j);
    } else if (created) {
      std::printf("Registered %s (spec %s)\n", ref_text(v).c_str(),
                  v.spec_hash.substr(0, 12).c_str());
    } else {
      std::printf("%s already has exactly this spec; no new version\n", ref_text(v).c_str());
    }
    if (!created && !a->description.empty() && a->description != v.description)
      std::fprintf(stderr,
                   "glia: note: --description not used: %s keeps its description (versions do "
                   "not change; a new spec makes a new version)\n",
                   ref_text(v).c_str());
  });
}

void add_views(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  auto list_output = std::make_shared<std::string>("text");
  auto* list = cmd.add_subcommand("list", "List environments (every version with -o json)");
  list->add_option("-o,--output", *list_output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  list->callback([list_output, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    const auto all = ws.store().list_environments();
    if (*list_output == "json") {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& v : all) j.push_back(environment_json(ws, v));
      print_json(j);
      return;
    }
    std::printf("%-32s %-8s %-9s %-8s %-9s %-6s %s\n", "NAME", "LATEST", "VERSIONS", "PYTHON",
                "PACKAGES", "BUILT", "DESCRIPTION");
    for (size_t i = 0; i < all.size(); ++i) {
      if (i + 1 < all.size() && all[i + 1].name == all[i].name) continue;  // the newest row
      size_t n = 0;
      const EnvironmentVersion* latest = nullptr;
      for (const auto& v : all)
        if (v.name == all[i].name) {
          ++n;
          if (!v.archived) latest = &v;
        }
      const EnvironmentVersion& shown = latest ? *latest : all[i];
      const EnvironmentSpec spec = spec_of(shown);
      std::printf("%-32s %-8s %-9zu %-8s %-9zu %-6s %s\n", shown.name.c_str(),
                  latest ? std::to_string(latest->version).c_str() : "archived", n,
                  spec.python ? spec.python->c_str() : "-", spec.requirements().size(),
                  platform::built_environment(ws, shown.build_hash) ? "yes" : "no",
                  escape_bytes(shown.description).c_str());
    }
  });

  struct Ref {
    std::string ref, output = "text";
  };
  auto s = std::make_shared<Ref>();
  auto* show = cmd.add_subcommand(
      "show", "An environment version: its spec, the file it came from, whether it is built");
  show->add_option("environment", s->ref, "NAME, NAME:VERSION or NAME@latest")->required();
  show->add_option("-o,--output", s->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  show->callback([s, workspace_dir] {
    const auto ref = platform::parse_environment_ref(s->ref);
    auto ws = open_workspace(*workspace_dir);
    const EnvironmentVersion v = platform::resolve_environment(ws.store(), ref);
    const nlohmann::json j = platform::environment_show_json(ws, v);
    if (s->output == "json") {
      print_json(j);
      return;
    }
    const EnvironmentSpec spec = spec_of(v);
    std::printf("Environment:  %s%s%s\n", ref_text(v).c_str(), v.archived ? " (archived)" : "",
                v.anonymous ? " (inline in a job)" : "");
    if (!v.description.empty())
      std::printf("Description:  %s\n", escape_bytes(v.description).c_str());
    std::printf("Spec:         %s (from a %s)\n", v.spec_hash.c_str(),
                v.source_kind == "pip"     ? "requirements file"
                : v.source_kind == "conda" ? "conda file"
                                           : "image only");
    std::printf("Python:       %s\n", spec.python ? spec.python->c_str() : "python3 (default)");
    for (const auto& r : spec.requirements()) std::printf("  %s\n", escape_bytes(r).c_str());
    if (!spec.channels.empty()) {
      std::string ch;
      for (const auto& c : spec.channels) ch += (ch.empty() ? "" : ", ") + c;
      std::printf("Channels:     %s (recorded; packages come from pip's index)\n",
                  escape_bytes(ch).c_str());
    }
    for (const auto& [k, val] : spec.variables)
      std::printf("Variable:     %s=%s\n", escape_bytes(k).c_str(), escape_bytes(val).c_str());
    if (!spec.image.empty())
      std::printf("Image:        %s (recorded, not used)\n", escape_bytes(spec.image).c_str());
    std::printf("Created:      %s by %s\n", iso_time(v.created_at).c_str(), v.created_by.c_str());
    const auto venv = platform::built_environment(ws, v.build_hash);
    std::printf("Built:        %s\n",
                venv ? venv->c_str() : "no (the first job builds it, or: glia environment build)");
  });
}

void add_archive(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  for (bool archive : {true, false}) {
    struct Args {
      std::string ref, output = "text";
    };
    auto a = std::make_shared<Args>();
    auto* c =
        cmd.add_subcommand(archive ? "archive" : "unarchive",
                           archive ? "Hide a version from @latest (still usable as NAME:VERSION)"
                                   : "Make an archived version visible to @latest again");
    c->add_option("environment", a->ref, "NAME:VERSION")->required();
    c->add_option("-o,--output", a->output, "output format")
        ->check(CLI::IsMember({"text", "json"}));
    c->callback([a, archive, workspace_dir] {
      const auto r = platform::parse_environment_ref(a->ref);
      if (!r.version)
        throw Error("environment reference '" + a->ref + "': name the version, e.g. " + r.name +
                    ":1");
      auto ws = open_workspace(*workspace_dir);
      ws.store().set_environment_archived(r.name, *r.version, archive);
      if (a->output == "json")
        print_json(environment_json(ws, *ws.store().find_environment(r.name, r.version)));
      else
        std::printf("%s %s:%lld\n", archive ? "archived" : "unarchived", r.name.c_str(),
                    static_cast<long long>(*r.version));
    });
  }
}

void add_build_prune(CLI::App& cmd, const std::shared_ptr<std::string>& workspace_dir) {
  struct Args {
    std::string ref, output = "text";
    bool force = false;
  };
  auto a = std::make_shared<Args>();
  auto* build = cmd.add_subcommand(
      "build", "Build an environment's venv now (jobs build it when they first need it)");
  build->add_option("environment", a->ref, "NAME, NAME:VERSION or NAME@latest")->required();
  build->add_flag("--force", a->force, "build again even when it is built");
  build->add_option("-o,--output", a->output, "output format (json: the result, after the log)")
      ->check(CLI::IsMember({"text", "json"}));
  build->callback([a, workspace_dir] {
    const auto ref = platform::parse_environment_ref(a->ref);
    auto ws = open_workspace(*workspace_dir);
    require_local_workspace(ws, "its environments are built (by the job that first needs one)");
    const EnvironmentVersion v = platform::resolve_environment(ws.store(), ref);
    platform::BuildOptions options;
    options.force = a->force;
    const bool json = a->output == "json";
    options.output = [json](const std::string& line) {  // the log: stdout, or stderr for json
      std::fprintf(json ? stderr : stdout, "%s\n", line.c_str());
      std::fflush(json ? stderr : stdout);
    };
    const auto r = platform::build_environment(ws, v, options);
    if (json)
      print_json({{"environment", ref_text(v)},
                  {"venv", r.venv.string()},
                  {"built", r.built},
                  {"waited", r.waited},
                  {"seconds", r.seconds}});
  });

  struct Prune {
    bool dry_run = false;
    std::string output = "text";
  };
  auto p = std::make_shared<Prune>();
  auto* prune = cmd.add_subcommand(
      "prune", "Remove builds no version needs (archived ones) and what failed builds left");
  prune->add_flag("--dry-run", p->dry_run, "only list what would be removed");
  prune->add_option("-o,--output", p->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  prune->callback([p, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    require_local_workspace(ws, "its environment builds are kept and pruned");
    const auto r = platform::prune_environments(ws, p->dry_run);
    if (p->output == "json") {
      print_json({{"removed", r.removed},
                  {"in_use", r.in_use},
                  {"failed", r.failed},
                  {"busy", r.busy},
                  {"bytes", r.bytes},
                  {"dry_run", p->dry_run}});
      return;
    }
    for (const auto& f : r.removed)
      std::printf("%s %s\n", p->dry_run ? "would remove" : "removed", f.c_str());
    for (const auto& f : r.in_use) std::printf("left %s (a job runs in it)\n", f.c_str());
    for (const auto& h : r.busy) std::printf("skipped %s (being built now)\n", h.c_str());
    for (const auto& f : r.failed) std::fprintf(stderr, "glia: could not remove %s\n", f.c_str());
    std::printf("%s %zu build(s), %s\n", p->dry_run ? "would free" : "freed", r.removed.size(),
                mb(r.bytes).c_str());
  });
}

}  // namespace

void register_environments(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand("environment", "Versioned Python environments for jobs");
  cmd->require_subcommand(1);
  add_create(*cmd, workspace_dir);
  add_views(*cmd, workspace_dir);
  add_archive(*cmd, workspace_dir);
  add_build_prune(*cmd, workspace_dir);
}

}  // namespace glia::cli
