// A conda environment YAML (name, channels, dependencies, variables) read into an
// EnvironmentSpec: python=X.Y chooses the interpreter, plain conda packages become pip
// requirements under the same name, the `pip:` list is taken as it is. Every error names the
// file, the line:column and the key.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envs/conda_node.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/input_limits.hpp"
#include "yaml/unique_keys.hpp"

namespace glia::platform {
namespace {

const std::vector<std::string> kTopKeys{"name", "channels", "dependencies", "variables"};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_identifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front())) != 0) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

/// "3", "3.11", "3.11.7": digits separated by single dots.
bool is_release(std::string_view v) {
  if (v.empty() || v.front() == '.' || v.back() == '.') return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(v[i])) != 0;
    if (!digit && !(v[i] == '.' && v[i - 1] != '.')) return false;
  }
  return true;
}

class CondaReader {
 public:
  explicit CondaReader(const std::string& source) : source_(source) {}

  /// "<source>:<line>:<column>" of a node ("<source>" when it has no position).
  std::string at(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return source_;
    return source_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& what) const {
    throw Error(escape_bytes(at(node) + ": " + key + ": " + what));
  }

  std::string scalar(const YAML::Node& node, const std::string& key,
                     const std::string& expected) const {
    if (!node.IsScalar()) fail(node, key, "expected " + expected);
    return node.Scalar();
  }

  using Entry = yaml::Entry;

  /// A mapping's entries, keys unique scalars.
  std::vector<Entry> entries(const YAML::Node& map, const std::string& path) const {
    return yaml::unique_entries(map, [&](yaml::KeyProblem problem, const YAML::Node& key) {
      if (problem == yaml::KeyProblem::NotScalar) fail(key, path, "expected scalar keys");
      fail(key, path, "duplicate key '" + key.Scalar() + "'");
    });
  }

  /// Every node counted once per visit (an alias each time it is used): bounded walks after.
  void check_size(const YAML::Node& root) const {
    std::vector<YAML::Node> pending{root};
    std::size_t visited = 0;
    while (!pending.empty()) {
      const YAML::Node node = pending.back();
      pending.pop_back();
      if (++visited > kMaxJobFileNodes) {
        throw Error(source_ + ": the YAML expands to more than " +
                    std::to_string(kMaxJobFileNodes) +
                    " nodes (aliases count each time they are used); an environment file is "
                    "refused beyond that");
      }
      if (node.IsSequence()) {
        for (const auto& item : node) pending.push_back(item);
      } else if (node.IsMap()) {
        for (const auto& entry : node) {
          pending.push_back(entry.first);
          pending.push_back(entry.second);
        }
      }
    }
  }

  void parse(const YAML::Node& root, EnvironmentSpec& spec) {
    for (const auto& [key, key_node, value] : entries(root, "(top level)")) {
      if (key == "name") {
        if (!value.IsNull()) spec.name = scalar(value, key, "a string");
      } else if (key == "channels") {
        channels(value, spec);
      } else if (key == "dependencies") {
        dependencies(value, spec);
      } else if (key == "variables") {
        variables(value, spec);
      } else if (key == "prefix") {
        fail(key_node, key,
             "not used (jobs get a virtual environment in the workspace, not a conda prefix); "
             "remove it");
      } else {
        std::string accepted;
        for (const auto& k : kTopKeys) accepted += (accepted.empty() ? "" : ", ") + k;
        fail(key_node, key, "unknown key (expected one of: " + accepted + ")");
      }
    }
    std::sort(conda_.begin(), conda_.end());
    conda_.erase(std::unique(conda_.begin(), conda_.end()), conda_.end());
    std::sort(pip_.begin(), pip_.end());
    pip_.erase(std::unique(pip_.begin(), pip_.end()), pip_.end());
    spec.conda = conda_;
    spec.pip = pip_;
  }

 private:
  void channels(const YAML::Node& node, EnvironmentSpec& spec) const {
    if (node.IsNull()) return;
    if (!node.IsSequence()) fail(node, "channels", "expected a list of channel names");
    std::size_t i = 0;
    for (const auto& item : node) {
      const std::string key = "channels[" + std::to_string(i++) + "]";
      const std::string channel(trim(scalar(item, key, "a channel name")));
      if (channel.empty()) fail(item, key, "expected a channel name");
      spec.channels.push_back(channel);
    }
  }

  void variables(const YAML::Node& node, EnvironmentSpec& spec) const {
    if (node.IsNull()) return;
    if (!node.IsMap()) fail(node, "variables", "expected a mapping of names to strings");
    for (const auto& [name, key_node, value] : entries(node, "variables")) {
      const std::string key = "variables." + name;
      if (!is_identifier(name)) {
        fail(key_node, key, "invalid name (expected [A-Za-z_][A-Za-z0-9_]*)");
      }
      if (name == "PATH" || name == "VIRTUAL_ENV" || name.rfind("GLIA_", 0) == 0) {
        fail(key_node, key, "set for each job by Glia; it cannot be given here");
      }
      if (value.IsNull()) fail(value, key, "expected a string (write '' for an empty value)");
      spec.variables[name] = scalar(value, key, "a string");
    }
  }

  void dependencies(const YAML::Node& node, EnvironmentSpec& spec) {
    if (node.IsNull()) return;
    if (!node.IsSequence()) fail(node, "dependencies", "expected a list of packages");
    std::size_t i = 0;
    for (const auto& item : node) {
      const std::string key = "dependencies[" + std::to_string(i++) + "]";
      if (item.IsScalar()) {
        conda_package(item, key, spec);
      } else if (item.IsMap()) {
        const auto items = entries(item, key);
        if (items.size() != 1 || items.front().name != "pip") {
          std::string keys;
          for (const auto& entry : items) keys += (keys.empty() ? "" : ", ") + entry.name;
          fail(item, key,
               "expected a conda package (a string) or a mapping with the one key `pip` (a "
               "list of pip requirements), got keys: " +
                   (keys.empty() ? std::string("none") : keys));
        }
        if (seen_pip_list_) fail(item, key, "a second `pip:` list (expected one)");
        seen_pip_list_ = true;
        pip_list(items.front().value, key + ".pip");
      } else {
        fail(item, key,
             item.IsNull() ? "empty item (expected a package such as numpy=1.26)"
                           : "expected a conda package (a string) or a `pip:` list");
      }
    }
  }

  void pip_list(const YAML::Node& node, const std::string& key) {
    if (node.IsNull()) return;
    if (!node.IsSequence()) fail(node, key, "expected a list of pip requirements");
    std::size_t i = 0;
    for (const auto& item : node) {
      const std::string item_key = key + "[" + std::to_string(i++) + "]";
      const std::string text = scalar(item, item_key, "a pip requirement (a string)");
      pip_.push_back(normalize_requirement(text, at(item) + ": " + item_key));
    }
  }

  /// One conda match spec: python=X.Y sets the interpreter, a bare pip is dropped (venv has
  /// it), anything else becomes a pip requirement.
  void conda_package(const YAML::Node& item, const std::string& key, EnvironmentSpec& spec) {
    std::string_view s = trim(item.Scalar());
    const std::string what = at(item) + ": " + key;
    if (s.empty()) fail(item, key, "empty item (expected a package such as numpy=1.26)");
    if (s.find('|') != std::string_view::npos) {
      fail(item, key,
           quote_bytes(s) + ": alternatives ('|') have no pip equivalent; pick one version");
    }
    if (s.find('[') != std::string_view::npos) {
      fail(item, key,
           quote_bytes(s) +
               ": conda's NAME[key=value] form is not supported (write NAME=VERSION or "
               "NAME>=VERSION)");
    }
    const std::size_t channel = s.rfind("::");
    if (channel != std::string_view::npos) s = s.substr(channel + 2);  // conda-forge::numpy

    std::size_t n = 0;
    while (n < s.size() && (std::isalnum(static_cast<unsigned char>(s[n])) != 0 || s[n] == '-' ||
                            s[n] == '_' || s[n] == '.')) {
      ++n;
    }
    const std::string name(s.substr(0, n));
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string_view rest = s.substr(n);

    if (lower == "python") {
      python(item, key, s, rest, spec);
      return;
    }
    if (lower == "pip" && trim(rest).empty()) return;  // a venv has pip
    const std::optional<std::string> version = conda_version(rest);
    if (name.empty() || !version) {
      fail(item, key,
           quote_bytes(s) +
               " is not a conda package spec (expected NAME, NAME=VERSION, NAME==VERSION, "
               "NAME VERSION or NAME>=VERSION, e.g. numpy=1.26)");
    }
    conda_.push_back(normalize_requirement(name + *version, what));
  }

  /// conda's version part as pip specifiers: "=1.26" → "==1.26.*" (conda's '=' is a prefix
  /// match), "==1.26.4" and " 1.26.4" → "==1.26.4", "=1.26.*" → "==1.26.*", ">=1.2,<2" as it is;
  /// a build string is dropped, its version kept exact ("=1.26.4=py311h_0", " 1.26.4 py311h_0"
  /// → "==1.26.4"). nullopt: not a version.
  static std::optional<std::string> conda_version(std::string_view rest) {
    if (trim(rest).empty()) return "";
    const auto star = [](std::string v) -> std::string {
      if (v == "*") return "";
      if (v.size() >= 2 && v.back() == '*' && v[v.size() - 2] != '.') v.insert(v.size() - 1, ".");
      return "==" + v;
    };
    const auto up_to_build = [](std::string_view v) {
      return std::string(v.substr(0, v.find('=')));
    };
    if (is_space(rest.front())) {
      rest = trim(rest);
      const std::size_t space = rest.find_first_of(" \t");
      std::string_view version = rest.substr(0, space);
      if (space != std::string_view::npos) {
        const std::string_view build = trim(rest.substr(space));
        if (build.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
      }
      if (version.empty()) return std::nullopt;
      if (std::string_view("<>=!~").find(version.front()) != std::string_view::npos) {
        if (version.size() >= 2 && version[0] == '=' && version[1] != '=') {
          return conda_version(version);  // "numpy =1.26"
        }
        return std::string(version);
      }
      return star(std::string(version));
    }
    if (rest.substr(0, 2) == "==") {
      const std::string v = up_to_build(rest.substr(2));
      if (v.empty()) return std::nullopt;
      return star(v);
    }
    if (rest.front() == '=') {
      const std::string v = up_to_build(rest.substr(1));
      if (v.empty()) return std::nullopt;
      if (v.back() == '*') return star(v);
      // With a build string (as `conda env export` writes) the version is exact.
      if (rest.find('=', 1) != std::string_view::npos) return "==" + v;
      return "==" + v + ".*";
    }
    if (std::string_view("<>!~").find(rest.front()) != std::string_view::npos) {
      return std::string(rest);
    }
    return std::nullopt;
  }

  void python(const YAML::Node& item, const std::string& key, std::string_view text,
              std::string_view rest, EnvironmentSpec& spec) {
    if (seen_python_) fail(item, key, "python is listed twice (expected it at most once)");
    seen_python_ = true;
    if (trim(rest).empty()) return;  // any python: the default python3
    std::string version;
    if (is_space(rest.front())) {
      rest = trim(rest);
      version = std::string(rest.substr(0, rest.find_first_of(" \t")));
      if (!version.empty() && version.front() == '=') {
        version = version.substr(version.rfind('=') + 1);
      }
    } else if (rest.front() == '=') {
      rest.remove_prefix(rest.substr(0, 2) == "==" ? 2 : 1);
      version = std::string(rest.substr(0, rest.find('=')));
    }
    if (version.size() > 2 && version.substr(version.size() - 2) == ".*") {
      version.resize(version.size() - 2);
    }
    const std::size_t dots =
        static_cast<std::size_t>(std::count(version.begin(), version.end(), '.'));
    if (!is_release(version) || version.rfind("3.", 0) != 0 || dots < 1 || dots > 2) {
      fail(item, key,
           quote_bytes(text) +
               ": expected python=X.Y or python=X.Y.Z (a Python 3 version: it chooses the "
               "interpreter, so ranges are not accepted), e.g. python=3.11");
    }
    spec.python = version;
  }

  const std::string& source_;
  std::vector<std::string> conda_;
  std::vector<std::string> pip_;
  bool seen_python_ = false;
  bool seen_pip_list_ = false;
};

}  // namespace

EnvironmentSpec parse_conda_file(const std::string& yaml_text, const std::string& source_name) {
  if (yaml_text.size() > kMaxJobFileBytes) {
    throw Error(source_name + ": the conda file is larger than " +
                std::to_string(kMaxJobFileBytes) + " bytes (1 MiB), the most accepted");
  }
  YAML::Node root;
  try {
    // Every document is loaded, so that a second one ("---") is refused, not dropped.
    const std::vector<YAML::Node> documents = YAML::LoadAll(yaml_text);
    if (documents.size() > 1) {
      throw Error(source_name + ": the conda file holds " + std::to_string(documents.size()) +
                  " YAML documents (separated by ---); expected one");
    }
    if (!documents.empty()) root = documents.front();
  } catch (const YAML::Exception& e) {
    const std::string at = e.mark.is_null() ? std::string()
                                            : ":" + std::to_string(e.mark.line + 1) + ":" +
                                                  std::to_string(e.mark.column + 1);
    throw Error(escape_bytes(source_name + at + ": malformed YAML: " + e.msg));
  }
  if (root.IsNull()) {
    throw Error(source_name +
                ": empty (expected a conda environment: name, channels, dependencies)");
  }
  return envs::parse_conda_node(root, source_name);
}

namespace envs {

EnvironmentSpec parse_conda_node(const YAML::Node& root, const std::string& source_name) {
  CondaReader reader(source_name);
  reader.check_size(root);
  if (!root.IsMap()) {
    reader.fail(root, "(top level)",
                "expected a mapping with name, channels, dependencies, variables");
  }
  EnvironmentSpec spec;
  reader.parse(root, spec);
  return spec;
}

}  // namespace envs

}  // namespace glia::platform
