// glia compute create / update / list / show: compute targets (local ones, for now).
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/platform/local_agent.hpp"

namespace glia::cli {

namespace {

using platform::compute_json;

std::string threads_text(const platform::ComputeTarget& t) {
  return t.threads_per_job ? std::to_string(*t.threads_per_job) + " threads per job"
                           : "threads: a share of the cores";
}

}  // namespace

void register_compute(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand("compute", "Manage compute targets");
  cmd->require_subcommand(1);

  struct Args {
    std::string name, type = "local", description, output = "text";
    int64_t max_concurrent = 1;
    int64_t threads_per_job = 0;
  };
  auto a = std::make_shared<Args>();
  auto* create = cmd->add_subcommand("create", "Create a compute target");
  create->add_option("--name", a->name, "its name (used as `compute:` in job files)")->required();
  create->add_option("--type", a->type, "its type")->check(CLI::IsMember({"local"}));
  create
      ->add_option("--max-concurrent", a->max_concurrent,
                   "how many jobs may run on it at once (default 1)")
      ->check(CLI::PositiveNumber);
  create->add_option("--description", a->description, "a description");
  auto* tpj = create
                  ->add_option("--threads-per-job", a->threads_per_job,
                               "compute threads each job gets (default: the usable cores "
                               "divided by the jobs running at once)")
                  ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  create->callback([a, tpj, workspace_dir] {
    platform::check_compute_name(a->name);
    auto ws = open_workspace(*workspace_dir);
    platform::ComputeTarget t{a->name, a->type, a->max_concurrent, a->description, 0};
    if (tpj->count()) t.threads_per_job = a->threads_per_job;
    ws.store().create_compute(t);
    std::printf("created compute '%s' (%s, max %lld concurrent jobs, %s)\n", a->name.c_str(),
                a->type.c_str(), static_cast<long long>(a->max_concurrent),
                threads_text(t).c_str());
  });

  auto u = std::make_shared<Args>();
  auto* update = cmd->add_subcommand(
      "update", "Change a compute target's limit, threads per job or description");
  update->add_option("--name", u->name, "the target")->required();
  auto* mc = update->add_option("--max-concurrent", u->max_concurrent, "jobs at once")
                 ->check(CLI::PositiveNumber);
  auto* desc = update->add_option("--description", u->description, "a description");
  auto* utpj = update
                   ->add_option("--threads-per-job", u->threads_per_job,
                                "compute threads each job gets (0: a share of the cores)")
                   ->check(CLI::Range(int64_t{0}, int64_t{4096}));
  update->callback([u, mc, desc, utpj, workspace_dir] {
    if (!mc->count() && !desc->count() && !utpj->count())
      throw Error(
          "compute update: nothing to change (give --max-concurrent, --description and/or "
          "--threads-per-job)");
    auto ws = open_workspace(*workspace_dir);
    auto t = ws.store().get_compute(u->name);
    if (mc->count()) t.max_concurrent = u->max_concurrent;
    if (desc->count()) t.description = u->description;
    if (utpj->count())
      t.threads_per_job =
          u->threads_per_job > 0 ? std::optional<int64_t>(u->threads_per_job) : std::nullopt;
    ws.store().update_compute(t);
    if (platform::agent_running(ws.root())) ensure_agent(ws);  // apply the new limit now
    std::printf("updated compute '%s' (max %lld concurrent jobs, %s)\n", t.name.c_str(),
                static_cast<long long>(t.max_concurrent), threads_text(t).c_str());
  });

  auto list_output = std::make_shared<std::string>("text");
  auto* list = cmd->add_subcommand("list", "List compute targets");
  list->add_option("-o,--output", *list_output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  list->callback([list_output, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    nlohmann::json all = nlohmann::json::array();
    for (const auto& t : ws.store().list_computes()) all.push_back(compute_json(ws, t));
    if (*list_output == "json") {
      std::printf("%s\n",
                  all.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    std::printf("%-20s %-8s %-14s %-12s %-8s %s\n", "NAME", "TYPE", "MAX_CONCURRENT", "THREADS/JOB",
                "RUNNING", "QUEUED");
    for (const auto& t : all)
      std::printf("%-20s %-8s %-14lld %-12s %-8zu %zu\n", t["name"].get<std::string>().c_str(),
                  t["type"].get<std::string>().c_str(),
                  static_cast<long long>(t["max_concurrent"].get<int64_t>()),
                  t["threads_per_job"].is_number() ? t["threads_per_job"].dump().c_str() : "share",
                  t["running"].get<size_t>(), t["queued"].get<size_t>());
  });

  auto s = std::make_shared<Args>();
  auto* show = cmd->add_subcommand("show", "A compute target's settings and load");
  show->add_option("name", s->name, "the target")->required();
  show->add_option("-o,--output", s->output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  show->callback([s, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    const auto j = compute_json(ws, ws.store().get_compute(s->name));
    if (s->output == "json") {
      std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      return;
    }
    for (const auto& [k, v] : j.items())
      std::printf("%-15s %s\n", (k + ":").c_str(),
                  v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
  });
}

}  // namespace glia::cli
