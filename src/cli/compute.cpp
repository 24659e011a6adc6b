// glia compute create / update / list / show: compute targets (local and Slurm ones).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/checks.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/compute_file.hpp"
#include "glia/platform/local_agent.hpp"

namespace glia::cli {

namespace {

using platform::compute_json;

std::string threads_text(const platform::ComputeTarget& t) {
  return t.threads_per_job ? std::to_string(*t.threads_per_job) + " threads per job"
                           : "threads: a share of the cores";
}

std::string target_text(const platform::ComputeTarget& t) {
  if (t.type != "slurm")
    return "local, max " + std::to_string(t.max_concurrent) + " concurrent jobs, " +
           threads_text(t);
  std::string s = "slurm, partition " + t.partition;
  if (t.max_nodes) s += ", max " + std::to_string(*t.max_nodes) + " nodes per job";
  if (!t.account.empty()) s += ", account " + t.account;
  if (!t.qos.empty()) s += ", qos " + t.qos;
  if (!t.time_limit.empty()) s += ", time limit " + t.time_limit;
  return s + ", max " + std::to_string(t.max_concurrent) + " concurrent jobs";
}

// The Slurm options given on the command line, applied to `t`.
struct SlurmArgs {
  std::string partition, account, qos, time_limit;
  int64_t max_nodes = 0;
  CLI::Option *partition_opt = nullptr, *account_opt = nullptr, *qos_opt = nullptr,
              *time_opt = nullptr, *nodes_opt = nullptr;
  void add(CLI::App* app) {
    partition_opt = app->add_option("--partition", partition, "Slurm: the partition jobs go to");
    nodes_opt =
        app->add_option("--max-nodes", max_nodes,
                        "Slurm: the most nodes (resources.instance_count) a job may ask for")
            ->check(glia::cli::positive_int<decltype(max_nodes)>());
    account_opt = app->add_option("--account", account, "Slurm: the account jobs are charged to");
    qos_opt = app->add_option("--qos", qos, "Slurm: the quality of service");
    time_opt = app->add_option("--time-limit", time_limit,
                               "Slurm: each job's time limit (sbatch --time: minutes, H:M:S, "
                               "D-H:M:S)");
  }
  bool any() const {
    return partition_opt->count() || account_opt->count() || qos_opt->count() ||
           time_opt->count() || nodes_opt->count();
  }
  void apply(platform::ComputeTarget& t) const {
    if (partition_opt->count()) t.partition = partition;
    if (account_opt->count()) t.account = account;
    if (qos_opt->count()) t.qos = qos;
    if (time_opt->count()) t.time_limit = time_limit;
    if (nodes_opt->count()) t.max_nodes = max_nodes;
  }
};

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::NotFound, "cannot read compute file '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void register_compute(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand("compute", "Manage compute targets");
  cmd->require_subcommand(1);

  struct Args {
    std::string name, type = "local", description, output = "text", file;
    SlurmArgs slurm;
    int64_t max_concurrent = 1;
    int64_t threads_per_job = 0;
  };
  auto a = std::make_shared<Args>();
  auto* create = cmd->add_subcommand("create", "Create a compute target");
  auto* file = create->add_option("-f,--file", a->file,
                                  "a compute YAML file (name, type, partition, max_instances...)");
  auto* name = create->add_option("--name", a->name, "its name (used as `compute:` in job files)");
  auto* type = create->add_option("--type", a->type, "its type: local or slurm")
                   ->check(CLI::IsMember({"local", "slurm"}));
  create
      ->add_option("--max-concurrent", a->max_concurrent,
                   "how many jobs may run on it at once (default 1)")
      ->check(glia::cli::positive_int<decltype(a->max_concurrent)>());
  create->add_option("--description", a->description, "a description");
  auto* tpj = create
                  ->add_option("--threads-per-job", a->threads_per_job,
                               "compute threads each job gets (default: the usable cores "
                               "divided by the jobs running at once)")
                  ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  a->slurm.add(create);
  auto* mcc = create->get_option("--max-concurrent");
  auto* cdesc = create->get_option("--description");
  create->callback([a, tpj, file, name, type, mcc, cdesc, workspace_dir] {
    platform::ComputeTarget t;
    if (file->count()) {
      t = platform::parse_compute_file(read_text_file(a->file), a->file);
      // Options given besides the file override it (as `az ml compute create -f --set`).
      if (name->count()) t.name = a->name;
      if (type->count()) t.type = a->type;
    } else {
      if (!name->count()) throw Error("compute create: give --name (or a file with -f)");
      t = platform::ComputeTarget{a->name, a->type, a->max_concurrent, a->description, 0};
    }
    if (mcc->count()) t.max_concurrent = a->max_concurrent;
    if (cdesc->count()) t.description = a->description;
    if (tpj->count()) t.threads_per_job = a->threads_per_job;
    a->slurm.apply(t);
    platform::check_compute_name(t.name);
    auto ws = open_workspace(*workspace_dir);
    ws.store().create_compute(t);
    std::printf("created compute '%s' (%s)\n", t.name.c_str(), target_text(t).c_str());
  });

  auto u = std::make_shared<Args>();
  auto* update = cmd->add_subcommand(
      "update", "Change a compute target's limit, threads per job or description");
  update->add_option("--name", u->name, "the target")->required();
  auto* mc = update->add_option("--max-concurrent", u->max_concurrent, "jobs at once")
                 ->check(glia::cli::positive_int<decltype(u->max_concurrent)>());
  auto* desc = update->add_option("--description", u->description, "a description");
  auto* utpj = update
                   ->add_option("--threads-per-job", u->threads_per_job,
                                "compute threads each job gets (0: a share of the cores)")
                   ->check(CLI::Range(int64_t{0}, int64_t{4096}));
  u->slurm.add(update);
  update->callback([u, mc, desc, utpj, workspace_dir] {
    if (!mc->count() && !desc->count() && !utpj->count() && !u->slurm.any())
      throw Error(
          "compute update: nothing to change (give --max-concurrent, --description, "
          "--threads-per-job, or a Slurm target's --partition, --max-nodes, --account, --qos, "
          "--time-limit)");
    auto ws = open_workspace(*workspace_dir);
    auto t = ws.store().get_compute(u->name);
    if (mc->count()) t.max_concurrent = u->max_concurrent;
    if (desc->count()) t.description = u->description;
    if (utpj->count())
      t.threads_per_job =
          u->threads_per_job > 0 ? std::optional<int64_t>(u->threads_per_job) : std::nullopt;
    u->slurm.apply(t);
    ws.store().update_compute(t);
    if (platform::agent_running(ws.root())) ensure_agent(ws);  // apply the new limit now
    std::printf("updated compute '%s' (%s)\n", t.name.c_str(), target_text(t).c_str());
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
                  escape_bytes(v.is_string() ? v.get<std::string>() : v.dump()).c_str());
  });
}

}  // namespace glia::cli
