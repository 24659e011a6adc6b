// Job specs: the value checks every part of the job-file code shares (names, literal types,
// timeouts, uri input paths and dataset references), JobInput::is_dataset_reference and to_json.
#include "glia/platform/job_spec.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <system_error>
#include <utility>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/experiment_names.hpp"
#include "glia/platform/input_limits.hpp"
#include "job_spec_detail.hpp"

namespace glia::platform {
namespace job_spec_detail {

namespace fs = std::filesystem;

bool is_asset_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
}

namespace {

bool is_asset_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_asset_char);
}

// "NAME@latest" or "NAME:VERSION" after the glia:/azureml: prefix.
bool is_dataset_reference_body(std::string_view body) {
  if (const auto at = body.find('@'); at != std::string_view::npos) {
    return is_asset_token(body.substr(0, at)) && body.substr(at + 1) == "latest";
  }
  const auto colon = body.find(':');
  return colon != std::string_view::npos && is_asset_token(body.substr(0, colon)) &&
         is_asset_token(body.substr(colon + 1));
}

std::string_view without_dataset_prefix(std::string_view path) {
  for (std::string_view prefix : {"glia:", "azureml:"}) {
    if (path.starts_with(prefix)) return path.substr(prefix.size());
  }
  return path;
}

// "s3://", "wasbs://", "azureml://": a URI scheme other than http(s).
bool has_uri_scheme(std::string_view path) {
  const auto sep = path.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  return std::all_of(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(sep), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
  });
}

}  // namespace

std::string one_line(std::string_view text) {
  return escape_bytes(text);
}

void fail(const std::string& where, const std::string& what) {
  throw Error(one_line(where + ": " + what));
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

std::string in_quotes(std::string_view text) {
  return quote_bytes(text, 60);
}

bool is_identifier(std::string_view name) {
  if (name.empty()) return false;
  if (std::isdigit(static_cast<unsigned char>(name.front())) != 0) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

const std::vector<std::string>& literal_types() {
  static const std::vector<std::string> types{"integer", "number", "string", "boolean"};
  return types;
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

namespace {

// An optional sign, then a digit or '.': rules out "inf", "nan", "+-1" and the like.
bool starts_with_number(std::string_view text) {
  if (text.starts_with('+') || text.starts_with('-')) text.remove_prefix(1);
  return !text.empty() &&
         (std::isdigit(static_cast<unsigned char>(text.front())) != 0 || text.front() == '.');
}

std::optional<double> parse_number(std::string_view text) {
  if (!starts_with_number(text)) return std::nullopt;
  if (text.starts_with('+')) text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

bool is_integer(std::string_view text) {
  if (!starts_with_number(text)) return false;
  if (text.starts_with('+')) text.remove_prefix(1);
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string literal_type_problem(const std::string& type, const std::string& text) {
  if (type == "integer" && !is_integer(text)) return "expected an integer, got " + in_quotes(text);
  if (type == "number" && !parse_number(text)) return "expected a number, got " + in_quotes(text);
  if (type == "boolean" && !parse_bool(text)) {
    return "expected a boolean (true or false), got " + in_quotes(text);
  }
  return "";
}

std::optional<double> parse_positive_number(std::string_view text) {
  const auto value = parse_number(text);
  if (!value || *value <= 0) return std::nullopt;
  return value;
}

const std::vector<std::string>& input_modes() {
  static const std::vector<std::string> modes{"ro_mount", "download", "direct"};
  return modes;
}

bool has_control_byte(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20) return true;
  return false;
}

bool is_url(std::string_view path) {
  return path.starts_with("http://") || path.starts_with("https://");
}

bool has_dataset_prefix(std::string_view path) {
  if (path.starts_with("azureml://")) return false;
  return path.starts_with("glia:") || path.starts_with("azureml:");
}

std::string resolve_uri_path(const std::string& where, JobInput::Kind kind, const std::string& path,
                             const fs::path& base_dir) {
  if (path.empty()) fail(where, "expected a path, a dataset reference or a URL, got ''");
  if (has_dataset_prefix(path)) {
    if (!is_dataset_reference_body(without_dataset_prefix(path))) {
      fail(where, "malformed dataset reference " + in_quotes(path) +
                      " (expected glia:NAME@latest or glia:NAME:VERSION)");
    }
    return path;
  }
  if (is_url(path)) return path;
  if (has_uri_scheme(path)) {
    fail(where, "unsupported URI " + in_quotes(path) +
                    " (expected a local path, glia:NAME@latest, glia:NAME:VERSION or an "
                    "http(s) URL)");
  }
  fs::path resolved = fs::path(path);
  if (resolved.is_relative()) resolved = base_dir / resolved;
  std::error_code ec;
  resolved = fs::absolute(resolved, ec).lexically_normal();
  if (resolved.has_relative_path() && resolved.filename().empty()) {
    resolved = resolved.parent_path();
  }
  const auto status = fs::status(resolved, ec);
  if (!fs::exists(status)) fail(where, in_quotes(resolved.string()) + " does not exist");
  if (kind == JobInput::Kind::UriFolder && !fs::is_directory(status)) {
    fail(where, in_quotes(resolved.string()) + " is not a folder (type is uri_folder)");
  }
  if (kind == JobInput::Kind::UriFile && fs::is_directory(status)) {
    fail(where, in_quotes(resolved.string()) + " is a folder (type is uri_file)");
  }
  return resolved.string();
}

std::string source_label(const JobSpec& spec) {
  return spec.source.empty() ? std::string("job spec") : spec.source.string();
}

fs::path base_folder(const JobSpec& spec) {
  if (spec.source.empty()) return fs::current_path();
  return fs::absolute(spec.source).parent_path();
}

std::optional<std::string> unsupported_key(const std::string& key) {
  static const std::vector<std::pair<std::string, std::string>> reasons{
      {"services", "job services (jupyter_lab, ssh, tensor_board, vs_code) are not supported"},
      {"identity", "jobs run as the user who submits them; identities are not supported"},
      {"queue_settings", "the local compute target has no job tiers or priorities"},
      {"properties", "job properties are not supported (use tags)"},
  };
  for (const auto& [name, reason] : reasons) {
    if (name == key) return key + ": not supported: " + reason;
  }
  return std::nullopt;
}

}  // namespace job_spec_detail

std::string job_experiment_name(const JobSpec& spec) {
  if (!spec.experiment_name.empty()) {
    check_experiment_name(spec.experiment_name);
    return spec.experiment_name;
  }
  // Derived, not given: the code folder's name with what the rule refuses replaced by '_'.
  std::string name = spec.code ? spec.code->filename().string() : std::string();
  for (char& c : name) {
    if (!job_spec_detail::is_asset_char(c)) c = '_';
  }
  const auto first = std::find_if(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
  });
  name.erase(name.begin(), first);
  if (name.size() > kMaxExperimentNameLength) name.resize(kMaxExperimentNameLength);
  return name.empty() ? std::string("Default") : name;
}

bool JobInput::is_dataset_reference() const {
  return kind != Kind::Literal && job_spec_detail::has_dataset_prefix(value);
}

namespace {

const char* kind_name(JobInput::Kind kind) {
  switch (kind) {
    case JobInput::Kind::UriFile:
      return "uri_file";
    case JobInput::Kind::UriFolder:
      return "uri_folder";
    case JobInput::Kind::Literal:
      break;
  }
  return "literal";
}

}  // namespace

nlohmann::json to_json(const JobSpec& spec) {
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& [name, input] : spec.inputs) {
    nlohmann::json j{
        {"kind", kind_name(input.kind)}, {"value", input.value}, {"optional", input.optional}};
    if (!input.description.empty()) j["description"] = input.description;
    if (input.kind == JobInput::Kind::Literal) {
      if (!input.type.empty()) j["type"] = input.type;
    } else {
      j["mode"] = input.mode;
      j["dataset_reference"] = input.is_dataset_reference();
    }
    inputs[name] = std::move(j);
  }
  nlohmann::json outputs = nlohmann::json::object();
  for (const auto& [name, output] : spec.outputs) {
    outputs[name] = {{"type", output.type}, {"mode", output.mode}};
    if (!output.description.empty()) outputs[name]["description"] = output.description;
  }
  nlohmann::json limits = nlohmann::json::object();
  if (spec.timeout_seconds) limits["timeout"] = *spec.timeout_seconds;
  nlohmann::json environment = nullptr;
  if (spec.environment) {
    const JobEnvironment& e = *spec.environment;
    if (!e.reference.empty()) {
      environment = e.reference;
    } else {
      environment = nlohmann::json::object();
      if (e.conda_file) environment["conda_file"] = e.conda_file->string();
      if (!e.conda_yaml.empty()) environment["conda_yaml"] = e.conda_yaml;
      if (!e.image.empty()) environment["image"] = e.image;
      if (!e.description.empty()) environment["description"] = e.description;
    }
  }
  nlohmann::json resources = nlohmann::json::object();
  if (spec.threads) resources["threads"] = *spec.threads;
  if (spec.instance_count != 1) resources["instance_count"] = spec.instance_count;
  nlohmann::json distribution = nullptr;
  if (spec.distribution)
    distribution = {{"type", spec.distribution->type},
                    {"process_count_per_instance", spec.distribution->process_count_per_instance}};
  return nlohmann::json{
      {"type", "command"},
      {"source", spec.source.string()},
      {"command", spec.command},
      {"code", spec.code ? nlohmann::json(spec.code->string()) : nlohmann::json(nullptr)},
      {"inputs", std::move(inputs)},
      {"outputs", std::move(outputs)},
      {"environment_variables", spec.environment_variables},
      {"compute", spec.compute},
      {"experiment_name", spec.experiment_name},
      {"display_name", spec.display_name},
      {"description", spec.description},
      {"tags", spec.tags},
      {"limits", std::move(limits)},
      {"resources", std::move(resources)},
      {"environment", std::move(environment)},
      {"distribution", std::move(distribution)},
  };
}

}  // namespace glia::platform
