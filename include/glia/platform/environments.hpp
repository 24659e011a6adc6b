// Environments (Azure ML's Environment): named, versioned Python environment specs — a conda
// YAML (python=X.Y, pip packages, plain conda packages installed with pip, channels recorded) or
// a pip requirements file — that jobs name, built once per spec into a virtual environment
// (Python's venv + pip) in the workspace and reused. A version's identity is the SHA-256 of its
// normalized spec: the same spec again (other key order, comments, whitespace, requirement
// order) keeps the newest version. No containers: `image` is recorded and never used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glia/platform/assets.hpp"
#include "glia/platform/store.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform {

// ---- The spec (src/platform/envs/env_spec*.cpp) ----

/// What an environment is, normalized: two specs that build the same environment compare equal
/// and hash the same.
struct EnvironmentSpec {
  /// "3.11" or "3.11.7" from `python=...` (conda) or --python; unset: the default `python3`.
  std::optional<std::string> python;
  /// pip requirements, each normalized (PEP 503 name: lower case, runs of -_. as '-'; extras
  /// sorted; no whitespace outside a marker), sorted, no duplicates.
  std::vector<std::string> pip;
  /// Plain conda dependencies as pip requirements ("numpy=1.26" → "numpy==1.26.*",
  /// "numpy 1.26.4" → "numpy==1.26.4", "conda-forge::numpy" → "numpy"), normalized and sorted
  /// like `pip`. `python` and a bare `pip` are not listed. pip installs them under the same name;
  /// where it cannot, the build fails naming them.
  std::vector<std::string> conda;
  std::vector<std::string> channels;             // recorded (order kept), never used
  std::map<std::string, std::string> variables;  // conda `variables:`: set in the job
  std::string name;                              // conda `name:` (recorded; not the asset name)
  std::string image;                             // recorded, reported as not used

  /// Everything above as canonical JSON (sorted keys; empty fields left out).
  nlohmann::json to_json() const;
  static EnvironmentSpec from_json(const nlohmann::json& j);
  /// SHA-256 (hex) of to_json().dump(): the version's identity.
  std::string spec_hash() const;
  /// SHA-256 (hex) of what the build depends on (python, pip, conda): specs differing only in
  /// name, channels, variables or image share one build.
  std::string build_hash() const;
  /// pip and conda requirements in the order they are installed (conda's first).
  std::vector<std::string> requirements() const;
  /// Whether there is a venv to build: a Python version or packages (an image alone builds
  /// nothing; its jobs run with the host's programs).
  bool builds() const;
};

/// Parses a conda environment YAML (`name`, `channels`, `dependencies` with `python=X.Y`, `pip`,
/// plain packages and one `pip:` list, `variables`). glia::Error naming `source_name`, the
/// line:column and the key: malformed YAML, unknown keys (listing the accepted ones; `prefix`, as
/// `conda env export` writes it, is refused: jobs get a venv), wrong types, a python spec that is
/// not X.Y or X.Y.Z (`python=3.11`, `python==3.11.7`, `python 3.11`), pip options or `-r`/`-e`
/// lines in the pip list, text over kMaxJobFileBytes.
EnvironmentSpec parse_conda_file(const std::string& yaml_text, const std::string& source_name);

/// Parses a pip requirements file: one requirement per line, `#` comments, blank lines, `\`
/// continuations. glia::Error naming `source_name` and the line for options (`-r`, `-e`,
/// `--index-url`, ...: the index comes from PIP_INDEX_URL / pip.conf) and malformed lines.
EnvironmentSpec parse_pip_requirements(const std::string& text, const std::string& source_name);

/// The text of a conda or requirements file (src/platform/envs/spec_file.cpp); glia::Error
/// naming `what` ("conda file") and the path when it cannot be read, is a folder or is larger
/// than kMaxJobFileBytes.
std::string read_environment_file(const std::filesystem::path& path, const std::string& what);

/// One normalized requirement (see EnvironmentSpec::pip); glia::Error naming `what` when the
/// text is not a requirement.
std::string normalize_requirement(const std::string& text, const std::string& what);

// ---- Python interpreters (src/platform/envs/interpreters.cpp) ----

struct Interpreter {
  std::filesystem::path path;  // absolute
  std::string version;         // "3.11.7"
};

/// The Python 3 interpreters on `search_path` (a PATH value): every `python3` and `python3.N`
/// found, each asked its version once, one entry per distinct interpreter (by real path), in PATH
/// order.
std::vector<Interpreter> find_interpreters(const std::string& search_path);

/// The interpreter for `want` ("3.11" matches 3.11.*, "3.11.7" only that; unset: the first
/// found, i.e. `python3`). glia::Error (NotFound) "no Python 3.9 interpreter found (found:
/// 3.11.7 at /usr/bin/python3.11, ...)" otherwise.
Interpreter choose_interpreter(const std::optional<std::string>& want,
                               const std::vector<Interpreter>& found);

/// The interpreter for `want` on `search_path`, asking the candidates one at a time in PATH order
/// (python3.N whose name rules it out is skipped) and stopping at the first match; when none
/// matches, the error choose_interpreter gives over all of them.
Interpreter find_interpreter(const std::optional<std::string>& want,
                             const std::string& search_path);

/// Throws glia::Error "<what> '<text>': expected X.Y or X.Y.Z, e.g. 3.11" unless `text` is a
/// Python version as environments name one.
void check_python_version(const std::string& text, const std::string& what);

/// choose_interpreter over the interpreters on $PATH, for a spec that names a Python version
/// (nothing to check otherwise).
void check_python_available(const EnvironmentSpec& spec);

// ---- The registry (src/platform/envs/environment_registry.cpp) ----

/// check_asset_name for "environment".
void check_environment_name(const std::string& name);

/// "NAME", "NAME:3", "NAME@latest", each optionally prefixed "glia:" or "azureml:".
using EnvironmentRef = AssetRef;
EnvironmentRef parse_environment_ref(const std::string& text);

/// The version a reference names (no version: the newest not archived); glia::Error (NotFound)
/// naming the environment and the versions there are.
EnvironmentVersion resolve_environment(Store& store, const EnvironmentRef& ref);

struct EnvironmentRegistration {
  std::string name;
  EnvironmentSpec spec;
  std::string source;       // the file's text as given (shown by `environment show`)
  std::string source_kind;  // "conda" | "pip"
  std::string description;
  std::string created_by;
  bool anonymous = false;
};

/// Registers the spec as the next version of `r.name`, or returns the newest version when its
/// spec hash is the same (`created` false). The python version, when given, must match an
/// interpreter on this machine (choose_interpreter over $PATH) — for a local workspace; a remote
/// one's environments are built on its server, whose agent reports a missing interpreter.
EnvironmentVersion register_environment(Workspace& ws, const EnvironmentRegistration& r,
                                        bool* created = nullptr);

/// An environment a job spells inline: version 1 of "anonymous-env-<first 16 hex digits of its
/// spec hash>" (the same spec always gives the same name), so lineage holds for it too. Its
/// python version is not checked here: submit checks it, unless its build is there already.
EnvironmentVersion register_anonymous_environment(Workspace& ws, const EnvironmentSpec& spec,
                                                  const std::string& source,
                                                  const std::string& source_kind,
                                                  const std::string& created_by);

// ---- Builds (src/platform/envs/environment_build.cpp) ----

/// Where builds live: <workspace>/.glia/envs/. `<build hash>` is a link, published last by an
/// atomic rename, to `builds/<build hash>-<nonce>/` (the venv, made in place so its scripts'
/// paths hold); `locks/<build hash>.lock` serializes builders of one spec.
std::filesystem::path environments_root(const Workspace& ws);

/// The venv of a published build of `build_hash`, or nullopt when it is not built. A stat, no
/// process: this is what a job with a built environment pays.
std::optional<std::filesystem::path> built_environment(const Workspace& ws,
                                                       const std::string& build_hash);

struct BuildOptions {
  /// Where the build's own output and pip's go, line by line (the run's Preparing log).
  std::function<void(const std::string&)> output;
  /// PATH to find interpreters on; empty: $PATH.
  std::string search_path;
  /// Rebuild even when a build is published (the new one replaces it).
  bool force = false;
};

struct BuildResult {
  std::filesystem::path venv;
  bool built = false;   // false: an existing build was reused
  bool waited = false;  // another builder held the lock first
  double seconds = 0;
};

/// Builds the environment of `v` unless a build of its spec is published: takes the spec's build
/// lock (waiting for another builder, then reusing its build), removes what dead builders left,
/// makes the venv beside (`python -m venv` with the chosen interpreter), installs the
/// requirements with pip (PIP_INDEX_URL / pip.conf honoured: pip runs with this process's
/// environment), records the spec in the venv and publishes it by renaming the link into place.
/// On failure nothing is published and the half-made venv is removed; glia::Error carries pip's
/// own error lines ("ERROR: No matching distribution found for nosuchpkg"), and names the conda
/// packages pip could not install.
BuildResult build_environment(Workspace& ws, const EnvironmentVersion& v,
                              const BuildOptions& options);

struct PruneResult {
  std::vector<std::string> removed;  // build folders removed, relative to environments_root
  std::vector<std::string> in_use;   // left: a job runs in them
  std::vector<std::string> failed;   // left: "builds/...: why" (another user's files, ...)
  std::vector<std::string> busy;     // build hashes skipped: being built now
  int64_t bytes = 0;
};

/// Removes the builds no version that is not archived needs, and what dead or replaced builds
/// left — never a build in progress (its lock is held: that spec is skipped) nor one a job runs
/// in (BuildUse). Unneeded builds are unpublished first. With `dry_run`, only says what it
/// would do and writes nothing.
PruneResult prune_environments(Workspace& ws, bool dry_run);

/// A shared lock on a build, held by the agent while a job runs in it, so that prune and
/// `build --force` leave its folder alone (src/platform/envs/build_use.cpp).
class BuildUse {
 public:
  BuildUse() = default;
  /// Locks the build `venv` (built_environment's path). Unset (no lock) when the build is gone
  /// meanwhile: build it again.
  static std::optional<BuildUse> lock(const std::filesystem::path& venv);
  BuildUse(BuildUse&& other) noexcept;
  BuildUse& operator=(BuildUse&& other) noexcept;
  ~BuildUse();

 private:
  int fd_ = -1;
};

/// `text` (one or more URLs separated by whitespace, as PIP_EXTRA_INDEX_URL holds them) with each
/// URL's user:password@ shown as ***@ and its query string as ?*** (src/platform/envs/
/// redact_urls.cpp): what a log may show of an index.
std::string redact_urls(const std::string& text);

/// Whether the GLIA_AZUREML_SHIM value of a job's environment_variables leaves the azureml.core
/// shim on (unset, 1/true/on/yes) or turns it off (0/false/off/no), any case; glia::Error for
/// another value.
bool azureml_shim_enabled(const std::map<std::string, std::string>& job_variables);

/// The variables a job of `v` gets (its conda `variables:`, then VIRTUAL_ENV and PATH with the
/// venv's bin first), given the job's PATH.
std::map<std::string, std::string> environment_variables_for(const EnvironmentVersion& v,
                                                             const std::filesystem::path& venv,
                                                             const std::string& path);

}  // namespace glia::platform
