// Helpers shared by the job-file parser (job_spec_parse.cpp), `--set` overrides
// (job_spec_override.cpp) and command rendering (job_spec_render.cpp). Not part of the public API.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glia/platform/job_spec.hpp"

namespace glia::platform::job_spec_detail {

/// Throws glia::Error("<where>: <what>") escaped (one_line), so it is one printable line.
[[noreturn]] void fail(const std::string& where, const std::string& what);
/// `text` through glia::escape_bytes: control characters and invalid UTF-8 as escapes.
std::string one_line(std::string_view text);
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");
bool contains(const std::vector<std::string>& items, const std::string& item);
/// `text` in single quotes for messages, shortened when long.
std::string in_quotes(std::string_view text);

/// The characters of asset (and experiment) names: [A-Za-z0-9._-].
bool is_asset_char(char c);
/// "<key>: not supported: <why>" for the keys of Azure's command job that Glia refuses
/// (distribution, services, identity, queue_settings, properties); else nullopt.
std::optional<std::string> unsupported_key(const std::string& key);

/// "" when a `distribution.type` runs (mpi), else why not (pytorch and tensorflow: use mpi).
std::string distribution_type_problem(const std::string& type);
/// A positive integer of at most `max` written as one, else nullopt.
std::optional<int64_t> parse_count(const std::string& text, int64_t max);
/// `resources.instance_count` / `distribution.process_count_per_instance` values: checked,
/// else `fail("<key>: expected a positive integer (at most N), got 'x'")`.
int64_t instance_count(const std::string& text, const std::function<void(const std::string&)>& fail,
                       const std::string& key);
int64_t process_count(const std::string& text, const std::function<void(const std::string&)>& fail,
                      const std::string& key);
/// `resources.threads` (Glia's key): checked as the counts above, at most 4096.
int64_t thread_count(const std::string& text, const std::function<void(const std::string&)>& fail,
                     const std::string& key);
/// `--set` of resources.instance_count and distribution.*: false for other keys.
bool apply_distribution_override(JobSpec& spec, const std::string& where, const std::string& key,
                                 const std::string& value);

/// Input, output and environment variable names: [A-Za-z_][A-Za-z0-9_]*.
bool is_identifier(std::string_view name);

/// The literal input types, in the order messages list them.
const std::vector<std::string>& literal_types();
/// "" when `text` is a valid value of the literal `type`, else what was expected
/// ("expected an integer, got 'abc'"). An empty type (a bare scalar) accepts anything.
std::string literal_type_problem(const std::string& type, const std::string& text);
/// true/false (also True/False/TRUE/FALSE, as YAML 1.2 reads them).
std::optional<bool> parse_bool(std::string_view text);
/// A finite number > 0 written as a plain decimal or in exponent form, else nullopt.
std::optional<double> parse_positive_number(std::string_view text);

/// The uri input modes, in the order messages list them; the first is the default.
const std::vector<std::string>& input_modes();
bool is_url(std::string_view path);  // http:// or https://
/// Whether text holds a byte below 0x20 (NUL, a line break...): never in a path Glia opens.
bool has_control_byte(std::string_view text);
/// "glia:..." or "azureml:..." (but not an azureml:// datastore URI).
bool has_dataset_prefix(std::string_view path);

/// Checks and normalises the path of a uri input: dataset references (NAME@latest / NAME:VERSION)
/// and http(s) URLs are kept as written; a local path is resolved against `base_dir`, made
/// absolute and lexically normal, and must exist as a file (uri_file) or folder (uri_folder).
/// Errors are "<where>: ...".
std::string resolve_uri_path(const std::string& where, JobInput::Kind kind, const std::string& path,
                             const std::filesystem::path& base_dir);

/// One ${{inputs.NAME}} / ${{outputs.NAME}} / ${{search_space.NAME}} in a command.
struct Placeholder {
  enum class Space { Inputs, Outputs, SearchSpace };
  std::size_t begin = 0;  // index of "${{"
  std::size_t end = 0;    // one past "}}"
  Space space = Space::Inputs;
  std::string name;
  std::string text;  // as written, e.g. "${{ inputs.lr }}"
  bool output() const { return space == Space::Outputs; }
};
/// Every placeholder in `command`, in order. Anything starting with "${{" that is not a
/// well-formed inputs/outputs/search_space placeholder is an error "<where>: <key>: ...".
std::vector<Placeholder> scan_placeholders(const std::string& where, const std::string& command,
                                           const std::string& key = "command");
/// Checks that each inputs/outputs placeholder of `placeholders` names a declared input or
/// output of `spec` (search_space ones are left alone).
void check_declared(const std::string& where, const JobSpec& spec,
                    const std::vector<Placeholder>& placeholders,
                    const std::string& key = "command");
/// Scans spec.command and checks its placeholders: inputs/outputs must be declared; with
/// `parameters` null (a command job) a search_space placeholder is refused (only a sweep's trial
/// may use one); else (a sweep's trial) each must name one of `parameters`, and every parameter
/// must be used (one never passed to the command would be sampled for nothing). `key` names the
/// command in messages ("command", "trial.command").
std::vector<Placeholder> check_placeholders(const std::string& where, const JobSpec& spec,
                                            const std::vector<std::string>* parameters = nullptr,
                                            const std::string& key = "command");

/// How messages name a spec's file: its path, or "job spec" when it was parsed from text.
std::string source_label(const JobSpec& spec);
/// The folder relative paths resolve against after parsing: the file's folder, or the
/// current folder for a spec parsed from text.
std::filesystem::path base_folder(const JobSpec& spec);

}  // namespace glia::platform::job_spec_detail
