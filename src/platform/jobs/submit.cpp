#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "artifacts/url_fetch.hpp"
#include "glia/error.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/datasets.hpp"
#include "glia/platform/environment.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/run_dir.hpp"
#include "glia/platform/shared_files.hpp"
#include "jobs/prepare_job.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

std::string where(const JobSpec& spec) {
  return spec.source.empty() ? std::string("job") : spec.source.filename().string();
}

// Runs `look_up` of a name the job file gives under `key` (compute, environment, a dataset
// input): one the workspace lacks is a bad job file (InvalidArgument, "<file>: <key>: unknown
// ..."), like every other job-file error; other errors keep their kind, named the same way.
template <typename F>
auto named_in_file(const JobSpec& spec, const std::string& key, F&& look_up)
    -> decltype(look_up()) {
  try {
    return look_up();
  } catch (const Error& err) {
    const ErrorKind kind =
        err.kind() == ErrorKind::NotFound ? ErrorKind::InvalidArgument : err.kind();
    throw Error(kind, where(spec) + ": " + key + ": " + err.what());
  }
}

// The program a command starts, when it is a plain word the shell will look up; "" when the
// command starts with shell syntax, a builtin or a variable assignment (nothing to check).
std::string first_program(const std::string& command) {
  std::istringstream in(command);
  std::string word;
  in >> word;
  static const std::set<std::string> builtins = {
      "cd",    "echo",    "exit",  "export", "set",    "test",   "[",     "true", "false",
      "exec",  "source",  ".",     "eval",   "printf", "read",   "for",   "if",   "while",
      "until", "case",    "{",     "(",      "!",      "ulimit", "umask", "wait", "trap",
      "type",  "command", "unset", "shift",  "return", ":"};
  if (word.empty() || builtins.count(word) || word.find('=') != std::string::npos) return "";
  if (word.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./+-") !=
      std::string::npos)
    return "";  // quotes, $, globs...: the shell decides
  return word;
}

bool executable(const fs::path& p) {
  std::error_code ec;  // a PATH folder this user may not read is simply not a match
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// A job without code: starts in an empty working folder, so a relative program (a path with a
// '/') can never be there, on any workspace and whatever its environment. One that leaves the
// folder ("../x") is left to the shell.
void check_program_without_code(const JobSpec& spec, const std::string& command) {
  const std::string prog = first_program(command);
  if (spec.code || prog.find('/') == std::string::npos) return;
  const fs::path p = fs::path(prog).lexically_normal();
  if (p.is_absolute() || p.begin()->string() == "..") return;
  std::error_code ec;
  const bool beside =
      !spec.source.empty() && fs::exists(fs::absolute(spec.source).parent_path() / p, ec);
  throw Error(ErrorKind::InvalidArgument,
              where(spec) + ": the command's program '" + prog + "' " +
                  (beside ? "is beside the job file, but a job without code: starts in an "
                            "empty folder (code: uploads a folder: give code: with the folder "
                            "holding it)"
                          : "cannot exist: a job without code: starts in an empty folder (give "
                            "code: with the folder holding it, or the program's absolute path)"));
}

void check_program(const JobSpec& spec, const std::string& command, const SubmitOptions& options) {
  const std::string prog = first_program(command);
  if (prog.empty()) return;
  if (prog.find('/') != std::string::npos) {
    fs::path p(prog);
    if (p.is_relative() && spec.code) p = *spec.code / p;
    // Relative without code: refused by check_program_without_code unless it leaves the folder.
    if (p.is_relative() || executable(p)) return;
    throw Error(where(spec) + ": the command's program '" + prog + "' is not an executable file" +
                (spec.code ? " in the code folder" : ""));
  }
  std::vector<fs::path> dirs = options.extra_path;
  auto it = options.environment.find("PATH");
  std::string path = it != options.environment.end() ? it->second : "/usr/bin:/bin";
  for (size_t start = 0; start <= path.size();) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) dirs.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  for (const auto& d : dirs)
    if (executable(d / prog)) return;
  throw Error(where(spec) + ": the command's program '" + prog +
              "' was not found on PATH (check the command, or give its path)");
}

// The job's environment, read but not stored yet: a registered version, or an inline spec.
struct ResolvedEnvironment {
  std::optional<EnvironmentVersion> registered;
  std::optional<EnvironmentSpec> inline_spec;
  std::string source, source_kind;
  EnvironmentSpec spec() const {
    return registered ? EnvironmentSpec::from_json(nlohmann::json::parse(registered->spec))
                      : *inline_spec;
  }
};

std::optional<ResolvedEnvironment> resolve_job_environment(Workspace& ws, const JobSpec& spec) {
  Store& store = ws.store();
  if (!spec.environment) return std::nullopt;
  const JobEnvironment& e = *spec.environment;
  ResolvedEnvironment out;
  if (!e.reference.empty()) {
    out.registered = named_in_file(spec, "environment", [&] {
      return resolve_environment(store, parse_environment_ref(e.reference));
    });
    return out;
  }
  std::string label = where(spec) + ": environment.conda_file";
  if (e.conda_file) {
    label = e.conda_file->string();
    out.source = read_environment_file(*e.conda_file, "conda file");
  } else {
    out.source = e.conda_yaml;
  }
  out.inline_spec = out.source.empty() ? EnvironmentSpec{} : parse_conda_file(out.source, label);
  out.source_kind = out.source.empty() ? "image" : "conda";
  if (!e.image.empty()) out.inline_spec->image = e.image;
  // Now, before anything is written; a built environment has its interpreter. A remote
  // workspace's job is built and run on its server: its agent reports a missing interpreter.
  try {
    if (!ws.is_remote() && !built_environment(ws, out.inline_spec->build_hash()))
      check_python_available(*out.inline_spec);
  } catch (const Error& err) {
    throw Error(err.kind(), label + ": " + err.what());
  }
  return out;
}

// The build a job's environment uses: a version's recorded one, or an inline spec's own.
std::string build_hash_of(const ResolvedEnvironment& e) {
  return e.registered ? e.registered->build_hash : e.inline_spec->build_hash();
}

}  // namespace

namespace jobs {

PreparedJob prepare_job(Workspace& ws, const JobSpec& spec, const SubmitOptions& options,
                        const std::string& run_id) {
  Store& store = ws.store();
  const std::string compute = spec.compute.empty() ? "local" : spec.compute;
  // Unknown compute: a clear error before anything is written.
  const ComputeTarget target =
      named_in_file(spec, "compute", [&] { return store.get_compute(compute); });
  if (target.type == "local" && spec.instance_count > 1) {
    throw Error(ErrorKind::InvalidArgument,
                "resources.instance_count: " + std::to_string(spec.instance_count) + ": compute '" +
                    compute +
                    "' is a local target, which is one machine (expected 1; for more processes "
                    "give distribution.process_count_per_instance, for more nodes a Slurm target)");
  }
  if (target.type == "slurm" && target.max_nodes && spec.instance_count > *target.max_nodes)
    throw Error(ErrorKind::InvalidArgument,
                "resources.instance_count: " + std::to_string(spec.instance_count) +
                    " is more than compute '" + compute + "' allows (max_nodes " +
                    std::to_string(*target.max_nodes) + ")");

  const std::string experiment = job_experiment_name(spec);  // checked: it starts the run id
  // Where the job will find them: on the server, for a remote workspace.
  const fs::path inputs_dir = run_dir(ws.runs_root(), run_id).root / "inputs";

  // First everything that only reads (so a refused submit writes nothing), then the writes.
  std::map<std::string, std::string> values;
  std::vector<RunInput> inputs;
  std::vector<std::pair<size_t, std::string>> local;  // inputs[i] is the local path, to store
  for (const auto& [name, input] : spec.inputs) {
    if (input.kind == JobInput::Kind::Literal) {
      if (!input.value.empty() || !input.optional) values[name] = input.value;
      continue;
    }
    if (input.value.empty()) continue;  // an optional input left out
    if (input.mode == "direct") {       // passed as written, not tracked
      values[name] = input.value;
      continue;
    }
    RunInput ri{"", name, "", 0, "", input.mode.empty() ? "ro_mount" : input.mode};
    fs::path path = inputs_dir / name;
    if (input.is_dataset_reference()) {
      const DatasetVersion d = named_in_file(spec, "inputs." + name + ".path", [&] {
        return resolve_dataset(store, parse_dataset_ref(input.value));
      });
      ri.dataset = d.name;
      ri.version = d.version;
      ri.manifest = d.manifest;
      if (input.kind == JobInput::Kind::UriFile) {
        const auto files = ws.artifacts().manifest(d.manifest);
        if (files.size() != 1)
          throw Error(where(spec) + ": inputs." + name + " is a uri_file but " + d.name + ":" +
                      std::to_string(d.version) + " holds " + std::to_string(files.size()) +
                      " files (use type: uri_folder)");
        path /= files[0].path;
      }
    } else {
      if (input.kind == JobInput::Kind::UriFile)  // a local path or a URL: stored below
        path /= is_url(input.value) ? url_file_name(input.value)
                                    : fs::path(input.value).filename().string();
      local.emplace_back(inputs.size(), input.value);
    }
    values[name] = path.string();
    inputs.push_back(std::move(ri));
  }
  const std::string command =
      render_command(spec, values, [](const std::string& out) { return "outputs/" + out; });
  check_program_without_code(spec, command);
  const auto pyenv = resolve_job_environment(ws, spec);
  const std::optional<EnvironmentSpec> pyspec =
      pyenv ? std::optional<EnvironmentSpec>(pyenv->spec()) : std::nullopt;
  const bool build = pyspec && pyspec->builds();
  try {  // a value that means neither on nor off is refused
    azureml_shim_enabled(spec.environment_variables);
  } catch (const Error& err) {
    throw Error(err.kind(), where(spec) + ": " + err.what());
  }
  if (ws.is_remote()) {
    // It runs on the server: its programs are found there, when it starts.
  } else if (!build) {
    check_program(spec, command, options);
  } else if (auto venv = built_environment(ws, build_hash_of(*pyenv))) {
    SubmitOptions with_venv = options;  // the program may be one the environment installed
    with_venv.extra_path.insert(with_venv.extra_path.begin(), *venv / "bin");
    check_program(spec, command, with_venv);
  }  // else it is built when the job starts: its programs are not known yet
  std::vector<std::string> warnings;  // files left out of the snapshot: told now, and logged
  if (pyspec && !pyspec->image.empty()) {
    warnings.push_back("environment image '" + pyspec->image +
                       "' is recorded, not used: jobs run on this host's OS (no containers)");
    if (options.warn) options.warn(warnings.back());
  }
  std::string code_snapshot;  // blobs only: nothing names them if a later step fails
  if (spec.code) {
    SnapshotOptions snap;
    if (!spec.source.empty()) snap.base = fs::absolute(spec.source).parent_path();
    snap.warn = [&](const std::string& w) {
      warnings.push_back("code folder '" + spec.code->string() + "': " + w);
      if (options.warn) options.warn(warnings.back());
    };
    try {
      code_snapshot = ws.artifacts().snapshot(*spec.code, snap);
    } catch (const Error& err) {  // a link out of the job file's folder, a snapshot too large
      if (err.kind() != ErrorKind::InvalidArgument) throw;
      throw Error(err.kind(), where(spec) + ": code: " + err.what());
    }
  }
  for (const auto& [i, path] : local) {  // a local path or URL: stored and registered implicitly
    const DatasetVersion d = register_anonymous_dataset(ws, path);
    inputs[i].dataset = d.name;
    inputs[i].version = d.version;
    inputs[i].manifest = d.manifest;
  }

  std::optional<EnvironmentVersion> env_version;
  if (pyenv) {
    env_version =
        pyenv->registered
            ? *pyenv->registered
            : register_anonymous_environment(
                  ws, *pyenv->inline_spec, pyenv->source, pyenv->source_kind,
                  options.submitter_name.empty() ? current_user().name : options.submitter_name);
  }

  NewRun run;
  run.id = run_id;
  run.inputs = inputs;
  run.experiment = experiment;
  run.display_name = spec.display_name;
  run.command = command;
  run.compute = compute;
  run.tags = spec.tags;
  run.timeout = spec.timeout_seconds;
  run.queue = true;
  run.code_snapshot = code_snapshot;
  const SubmittingUser user = current_user();
  run.submitter_uid = user.uid;
  run.submitter_name = options.submitter_name.empty() ? user.name : options.submitter_name;
  // Only the allow-listed variables' values are recorded (never a token the submitter had set);
  // the job's own environment_variables are part of the job.
  nlohmann::json recorded = {{"job", to_json(spec)}, {"inputs", values}};
  // A remote workspace's job runs in its server's environment, not in this machine's.
  if (!ws.is_remote()) recorded["environment"] = recordable_environment(options.environment);
  if (!spec.source.empty()) recorded["job_file"] = spec.source.string();
  if (env_version) {
    recorded["python_environment"] = {{"name", env_version->name},
                                      {"version", env_version->version},
                                      {"build_hash", env_version->build_hash},
                                      {"build", build},
                                      {"anonymous", env_version->anonymous}};
    run.properties["environment"] = env_version->name + ":" + std::to_string(env_version->version);
  }
  recorded["dataset_inputs"] = nlohmann::json::object();
  for (const RunInput& in : inputs) recorded["dataset_inputs"][in.input] = values[in.input];
  run.job_type = "command";
  PreparedJob prepared;
  prepared.run = std::move(run);
  prepared.recorded = std::move(recorded);
  prepared.warnings = std::move(warnings);
  prepared.inputs_dir = inputs_dir.string() + "/";
  return prepared;
}

RunRecord create_job_run(Workspace& ws, PreparedJob& job) {
  job.run.spec = job.recorded.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  RunRecord created = ws.store().create_run(job.run);
  // The run's log starts with them (the job appends to it); a remote workspace's log is on its
  // server, so there they were only printed.
  if (!job.warnings.empty() && !ws.is_remote()) {
    const fs::path log = run_dir(ws.root(), created.id).std_log();
    create_shared_folders(log.parent_path());
    std::string text;
    for (const std::string& w : job.warnings) text += "[glia] warning: " + w + "\n";
    append_shared_file(log, text);
  }
  return created;
}

}  // namespace jobs

RunRecord submit_job(Workspace& ws, const JobSpec& spec, const SubmitOptions& options) {
  jobs::PreparedJob job =
      jobs::prepare_job(ws, spec, options, make_run_id(job_experiment_name(spec)));
  return jobs::create_job_run(ws, job);
}

}  // namespace glia::platform
