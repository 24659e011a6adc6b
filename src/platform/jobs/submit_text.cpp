// Submitting a job a client sent over HTTP (POST /api/v1/workspaces/{ws}/jobs): its YAML as text
// and, when it names a code folder, that folder's snapshot already uploaded to the artifact store.
// The snapshot is laid out where the YAML's `code` points, under a private temporary folder, so
// the job is parsed and submitted exactly as `glia job submit` does on this machine; inputs that
// are paths on the client's machine are refused (this machine cannot read them).
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "../artifacts/temp_folder.hpp"
#include "glia/error.hpp"
#include "glia/platform/job_submit.hpp"
#include "glia/platform/sweep_spec.hpp"
#include "job_file.hpp"
#include "job_spec_detail.hpp"
#include "job_spec_yaml.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

// The `code` a job text names (a sweep's: trial.code), read without any other check: the parse
// proper checks everything once the folder is in place.
std::optional<std::string> code_of(const std::string& text, const std::string& source) {
  const job_spec_detail::YamlReader yaml(source, "/");
  const YAML::Node root = job_spec_detail::load_document(yaml, text);
  if (!root.IsMap()) return std::nullopt;
  const YAML::Node trial = root["trial"];
  const YAML::Node code = trial && trial.IsMap() && trial["code"] ? trial["code"] : root["code"];
  if (!code || !code.IsScalar()) return std::nullopt;
  return code.Scalar();
}

// A conda file the job names must be one it brought (in its code folder's snapshot, laid out under
// `tmp`), never a file of the server's.
void refuse_outside_files(const JobSpec& spec, const fs::path& tmp, const std::string& source) {
  if (!spec.environment || !spec.environment->conda_file) return;
  std::error_code ec;
  const fs::path file = fs::weakly_canonical(*spec.environment->conda_file, ec);
  const fs::path inside = fs::weakly_canonical(tmp, ec);
  const auto rel = file.lexically_relative(inside);
  if (ec || rel.empty() || *rel.begin() == "..")
    throw Error(source + ": environment.conda_file must be a file in the job's code folder");
}

void refuse_local_inputs(const JobSpec& spec, const std::string& source) {
  for (const auto& [name, input] : spec.inputs) {
    if (input.kind == JobInput::Kind::Literal || input.value.empty() || input.mode == "direct" ||
        input.is_dataset_reference() || job_spec_detail::is_url(input.value))
      continue;
    throw Error(source + ": inputs." + name + " is a path on the submitting machine, which the " +
                "server cannot read: register it as a dataset (azureml:NAME@latest) or give a URL");
  }
}

}  // namespace

RunRecord submit_job_text(Workspace& ws, const std::string& yaml_text,
                          const std::optional<std::string>& code_snapshot,
                          const std::vector<std::string>& overrides, const SubmitOptions& options) {
  const std::string source = "job";
  const std::optional<std::string> code = code_of(yaml_text, source);
  if (code && !code_snapshot)
    throw Error(source + ": code '" + *code +
                "' names a folder on the submitting machine: upload its snapshot and give "
                "code_snapshot");
  if (!code && code_snapshot)
    throw Error(source + ": code_snapshot given, but the job has no code");
  ArtifactStore artifacts = ws.artifacts();
  // A private folder in the artifact store's temporary area (removed below, or with the process).
  const fs::path tmp = artifacts::temp_folder(artifacts.root()) / ("job-" + make_run_id("x"));
  const fs::path base = tmp / "job";
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{tmp};
  fs::create_directories(base);
  if (code) {
    const fs::path where = (base / *code).lexically_normal();
    const auto rel = where.lexically_relative(tmp);
    if (fs::path(*code).is_absolute() || rel.empty() || *rel.begin() == "..")
      throw Error(source + ": code '" + *code + "' must be a relative folder path");
    artifacts.manifest(*code_snapshot);  // NotFound unless the client uploaded it
    artifacts.materialize(*code_snapshot, where);
  }
  JobFile file = parse_job_file(yaml_text, source, base);
  for (const auto& o : overrides)
    std::visit(
        [&](auto& spec) {
          if constexpr (std::is_same_v<std::decay_t<decltype(spec)>, SweepSpec>)
            apply_sweep_override(spec, o);
          else
            apply_override(spec, o);
        },
        file);
  if (auto* sweep = std::get_if<SweepSpec>(&file)) {
    refuse_local_inputs(sweep->trial, source);
    refuse_outside_files(sweep->trial, tmp, source);
    return submit_sweep(ws, *sweep, options);
  }
  const JobSpec& spec = std::get<JobSpec>(file);
  refuse_local_inputs(spec, source);
  refuse_outside_files(spec, tmp, source);
  return submit_job(ws, spec, options);
}

}  // namespace glia::platform
