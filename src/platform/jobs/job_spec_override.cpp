// `--set KEY=VALUE` overrides of a parsed job spec, checked the way the parser checks the file.
#include <algorithm>
#include <cctype>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/experiment_names.hpp"
#include "glia/platform/job_spec.hpp"
#include "job_spec_detail.hpp"

namespace glia::platform {
namespace {

using namespace job_spec_detail;

void set_input(JobSpec& spec, const std::string& where, const std::string& key,
               const std::string& value) {
  // key is "inputs.NAME" or "inputs.NAME.FIELD"
  const std::string rest = key.substr(std::string_view("inputs.").size());
  const std::size_t dot = rest.find('.');
  const std::string name = rest.substr(0, dot);
  const std::string field = dot == std::string::npos ? "" : rest.substr(dot + 1);
  const auto it = spec.inputs.find(name);
  if (it == spec.inputs.end()) {
    std::vector<std::string> names;
    for (const auto& entry : spec.inputs) names.push_back(entry.first);
    fail(where, "no input '" + name + "' declared in " + source_label(spec) + " (" +
                    (names.empty() ? std::string("it declares no inputs")
                                   : "declared inputs: " + join(names)) +
                    ")");
  }
  JobInput& input = it->second;
  const bool literal = input.kind == JobInput::Kind::Literal;
  if (field == "mode" && !literal) {
    if (!contains(input_modes(), value)) {
      fail(where,
           key + ": " + in_quotes(value) + " (expected one of: " + join(input_modes()) + ")");
    }
    input.mode = value;
    return;
  }
  const bool value_field = field.empty() || (literal ? field == "default" : field == "path");
  if (!value_field) {
    fail(where, "unknown key '" + key + "' (expected inputs." + name +
                    (literal ? " or inputs." + name + ".default"
                             : ", inputs." + name + ".path or inputs." + name + ".mode") +
                    ")");
  }
  if (value.empty()) fail(where, key + ": expected a value");
  if (literal) {
    if (const auto problem = literal_type_problem(input.type, value); !problem.empty()) {
      fail(where, key + ": " + problem + " (input '" + name + "' is declared " + input.type + ")");
    }
    input.value = value;
  } else {
    input.value = resolve_uri_path(where + ": " + key, input.kind, value, base_folder(spec));
  }
}

void set_command(JobSpec& spec, const std::string& where, const std::string& value) {
  JobSpec changed = spec;
  changed.command = value;
  if (value.find_first_not_of(" \t\r\n") == std::string::npos) {
    fail(where, "command: expected a non-empty string");
  }
  check_placeholders(where, changed);
  spec.command = value;
}

void set_experiment_name(JobSpec& spec, const std::string& where, const std::string& value) {
  try {
    check_experiment_name(value);
  } catch (const Error& e) {
    fail(where, std::string("experiment_name: ") + e.what());
  }
  spec.experiment_name = value;
}

// What --set can change: `name` as messages list it (an upper-case part stands for any name: the
// last one for the rest of the key), and how. The one table: matching, the message's list and
// override_keys() all read it.
struct OverrideKey {
  std::string name;
  std::function<void(JobSpec&, const std::string& where, const std::string& key,
                     const std::string& value)>
      set;
};

const std::vector<OverrideKey>& override_table() {
  using S = JobSpec;
  using W = const std::string&;
  const auto input = [](S& spec, W where, W key, W value) { set_input(spec, where, key, value); };
  const auto distribution = [](S& spec, W where, W key, W value) {
    apply_distribution_override(spec, where, key, value);
  };
  static const std::vector<OverrideKey> table{
      {"inputs.NAME", input},
      {"inputs.NAME.path", input},
      {"inputs.NAME.mode", input},
      {"inputs.NAME.default", input},
      {"command", [](S& spec, W where, W, W value) { set_command(spec, where, value); }},
      {"experiment_name",
       [](S& spec, W where, W, W value) { set_experiment_name(spec, where, value); }},
      {"display_name", [](S& spec, W, W, W value) { spec.display_name = value; }},
      {"name", [](S& spec, W, W, W value) { spec.display_name = value; }},
      {"description", [](S& spec, W, W, W value) { spec.description = value; }},
      {"compute",
       [](S& spec, W where, W, W value) {
         const std::string name = value.starts_with("azureml:") ? value.substr(8) : value;
         if (name.empty()) fail(where, "compute: expected a compute name, got " + in_quotes(value));
         spec.compute = name;
       }},
      {"limits.timeout",
       [](S& spec, W where, W key, W value) {
         const auto seconds = parse_positive_number(value);
         if (!seconds)
           fail(where, key + ": expected a positive number of seconds, got " + in_quotes(value));
         spec.timeout_seconds = seconds;
       }},
      {"tags.KEY", [](S& spec, W, W key, W value) { spec.tags[key.substr(5)] = value; }},
      {"environment_variables.NAME",
       [](S& spec, W where, W key, W value) {
         const std::string var = key.substr(std::string_view("environment_variables.").size());
         if (!is_identifier(var)) {
           fail(where, "environment_variables: invalid name '" + var +
                           "' (expected [A-Za-z_][A-Za-z0-9_]*)");
         }
         spec.environment_variables[var] = value;
       }},
      {"environment",  // a registered one (checked at submit, with the store)
       [](S& spec, W where, W, W value) {
         if (value.empty()) fail(where, "environment: expected NAME:VERSION or NAME@latest");
         spec.environment = JobEnvironment{value, std::nullopt, "", "", ""};
       }},
      {"resources.instance_count", distribution},
      {"resources.threads",
       [](S& spec, W where, W key, W value) {
         spec.threads = thread_count(
             value, [&](const std::string& what) { fail(where, what); }, key);
       }},
      {"distribution.type", distribution},
      {"distribution.process_count_per_instance", distribution},
      {"distribution.process_count_per_node", distribution},
  };
  return table;
}

// Whether `key` is an instance of the table's `name`: its parts equal, an upper-case part any
// non-empty part (the last one the rest of the key, dots included: tags.a.b is the tag "a.b").
bool matches(const std::string& name, const std::string& key) {
  std::size_t n = 0, k = 0;
  while (n < name.size()) {
    const std::size_t n_end = std::min(name.find('.', n), name.size());
    const std::string part = name.substr(n, n_end - n);
    const bool any = std::isupper(static_cast<unsigned char>(part.front())) != 0;
    if (k >= key.size()) return false;
    std::size_t k_end = std::min(key.find('.', k), key.size());
    if (any && n_end == name.size()) k_end = key.size();
    if (k_end == k || (!any && key.compare(k, k_end - k, part) != 0)) return false;
    n = n_end + 1;
    k = k_end + 1;
    if (n_end == name.size()) return k_end == key.size();
  }
  return false;
}

}  // namespace

std::vector<std::string> override_keys() {
  std::vector<std::string> names;
  for (const OverrideKey& k : override_table()) names.push_back(k.name);
  return names;
}

void apply_override(JobSpec& spec, const std::string& assignment) {
  const std::string where = "--set " + in_quotes(assignment);
  const std::size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) fail(where, "expected KEY=VALUE");
  const std::string key = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  for (const OverrideKey& k : override_table()) {
    if (matches(k.name, key)) return k.set(spec, where, key, value);
  }
  if (const auto why = unsupported_key(key.substr(0, key.find('.')))) fail(where, *why);
  // The file's keys --set does not change, with why (never "unknown": the file accepts them).
  static const std::vector<std::pair<std::string, std::string>> file_only{
      {"$schema", "it only guides editors"},
      {"type", "a job file's type is read before anything else"},
      {"code", "the code folder is snapshotted as the job file names it"},
      {"outputs", "declare outputs in the job file"}};
  for (const auto& [name, why] : file_only) {
    if (key == name || key.starts_with(name + "."))
      fail(where, name + ": not changed by --set (" + why + "; give it in the job file)");
  }
  fail(where, "unknown key '" + key + "' (expected one of: " + join(override_keys()) + ")");
}

}  // namespace glia::platform
