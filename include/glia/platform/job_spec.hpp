// A command job described the way Azure ML CLI v2 describes one (job.yml): the command with
// ${{inputs.x}} placeholders, the code folder to snapshot, inputs, environment variables, the
// compute target, experiment/display names, tags and limits. Parsing checks everything that can
// be checked before a run exists, so a bad file fails at submit with a one-line message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace glia::platform {

struct JobInput {
  enum class Kind { Literal, UriFile, UriFolder };
  Kind kind = Kind::Literal;
  /// Literal: the YAML scalar's text exactly as written ("50", "0.001", "true", "abc").
  /// Uri inputs: the path as written (relative paths resolved against the YAML file's folder
  /// when the spec is loaded), or a dataset reference "glia:NAME@latest" / "glia:NAME:VERSION"
  /// (also accepted: "azureml:NAME@latest", "azureml:NAME:VERSION").
  std::string value;
  std::string mode;       // uri inputs: "ro_mount" (default) | "download" | "direct"
  bool optional = false;  // `optional: true`: may be left unset
  /// Literal: the declared type ("integer" | "number" | "string" | "boolean"), "" when the input
  /// is a bare scalar. `--set` overrides are checked against it. A Literal with an empty value
  /// has no value (it must be given with `--set` unless optional).
  std::string type;
  std::string description;  // recorded (`glia job show`)
  bool is_dataset_reference() const;
};

struct JobOutput {
  std::string type = "uri_folder";  // only uri_folder: a folder under ./outputs/<name>
  /// "rw_mount" (Azure's default) or "upload": recorded; on the local target both mean the
  /// folder is collected into run history when the job ends.
  std::string mode = "rw_mount";
  std::string description;  // recorded
};

/// The job's `environment:` — a registered environment or one spelled inline (Azure CLI v2).
struct JobEnvironment {
  /// A registered environment: "NAME", "NAME:V", "NAME@latest", each optionally prefixed
  /// "glia:" or "azureml:" (checked at submit, where the store is). Empty: inline.
  std::string reference;
  /// Inline: `conda_file:` as a path (absolute, resolved against the YAML file's folder; read
  /// at submit) or as a mapping (its YAML text in `conda_yaml`).
  std::optional<std::filesystem::path> conda_file;
  std::string conda_yaml;
  /// Inline `image:` (recorded on the environment and reported as not used: jobs run on the
  /// host OS) and `description:`.
  std::string image, description;
};

/// The job's `distribution:` (Azure CLI v2): only `type: mpi` runs; `pytorch` and `tensorflow`
/// are recognised and refused with a message saying to use mpi.
struct JobDistribution {
  std::string type = "mpi";
  int64_t process_count_per_instance = 1;  // > 0
};

struct JobSpec {
  std::filesystem::path source;               // the YAML file ("" when parsed from text)
  std::string command;                        // as written, placeholders unresolved
  std::optional<std::filesystem::path> code;  // absolute; must be an existing folder
  std::map<std::string, JobInput> inputs;
  std::map<std::string, JobOutput> outputs;
  std::map<std::string, std::string> environment_variables;
  std::string compute;          // "" = the workspace's default; "azureml:" prefix stripped
  std::string experiment_name;  // "" = derived (job_experiment_name); else checked, see below
  std::string display_name;     // free text: shown, never used as a path
  std::string description;
  std::map<std::string, std::string> tags;
  std::optional<double> timeout_seconds;  // limits.timeout, > 0
  std::optional<int64_t> threads;         // resources.threads (a Glia key), > 0
  int64_t instance_count = 1;             // resources.instance_count (nodes), > 0
  std::optional<JobDistribution> distribution;
  std::optional<JobEnvironment> environment;
};

/// Parses job YAML text. `source_name` names the file in messages; relative paths (code, uri
/// inputs) resolve against `base_dir`. Throws glia::Error with a one-line message naming the
/// file and the key: text over kMaxJobFileBytes or with more than kMaxJobFileNodes nodes
/// (aliases counted each time they are used; input_limits.hpp), malformed YAML (with
/// line:column), a job `type:` other than command (checked first), keys Glia does not support
/// (`services`, `identity`, ...: why), a distribution other than mpi, unknown keys (listing the
/// accepted ones), wrong types, a missing command, placeholders that are malformed or name
/// undeclared inputs/outputs, a code path that is not a folder, a bad timeout, an invalid
/// experiment name.
JobSpec parse_job_spec(const std::string& yaml_text, const std::string& source_name,
                       const std::filesystem::path& base_dir);
/// Reads and parses a job file (errors name the file; a missing file is a clear error).
JobSpec load_job_spec(const std::filesystem::path& file);

/// Applies a `--set` override like Azure's CLI: "inputs.batch_size=100", "limits.timeout=60",
/// "resources.threads=2", ... (every key of override_keys()). Throws glia::Error for a malformed
/// assignment, an unknown or unsupported key or a value the file could not hold either (an
/// invalid experiment name, a bad timeout...).
void apply_override(JobSpec& spec, const std::string& assignment);
/// The keys apply_override accepts, as its message lists them: an upper-case part (NAME, KEY)
/// stands for any name ("tags.KEY").
std::vector<std::string> override_keys();

/// Replaces every ${{inputs.x}} / ${{outputs.x}} in the command. `input_values` maps each input
/// name to the text to substitute (literals: their value; uri inputs: the local path the caller
/// resolved); paths are shell-quoted when they contain characters the shell would split or
/// expand, literals are substituted verbatim. Optional segments "[ ... ]" that contain a
/// placeholder of an unset optional input are dropped whole (Azure's syntax). `output_dir`
/// gives the path substituted for ${{outputs.x}} (e.g. "outputs/x"). Throws glia::Error for a
/// required input without a value.
std::string render_command(const JobSpec& spec,
                           const std::map<std::string, std::string>& input_values,
                           const std::function<std::string(const std::string&)>& output_dir);

/// The experiment a run of `spec` belongs to: experiment_name (check_experiment_name,
/// experiment_names.hpp) when given, else the code
/// folder's name made into a valid experiment name, else "Default".
std::string job_experiment_name(const JobSpec& spec);

/// The spec as JSON (recorded on the run; `glia job show` prints it).
nlohmann::json to_json(const JobSpec& spec);

}  // namespace glia::platform
