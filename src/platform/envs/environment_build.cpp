// Building an environment's venv once per build hash, under <workspace>/.glia/envs/
// (build_layout.hpp):
//   locks/<hash>.lock          flock-ed by the one builder of that spec (others wait, then reuse)
//   builds/<hash>-<nonce>/     the venv, made in place (its scripts name this path)
//   <hash> -> builds/<hash>-<nonce>   the published build: a link renamed into place last
// A build that fails or is killed is never published; the next builder (holding the lock, so
// no other builder of the spec is alive) removes what it left.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>

#include "envs/build_layout.hpp"
#include "envs/run_process.hpp"
#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/platform/clock.hpp"
#include "glia/platform/environment.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform {

namespace fs = std::filesystem;

namespace {

std::string nonce() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

// The environment pip and venv run with: this process's (so PIP_INDEX_URL, pip.conf via HOME,
// proxies and certificates are honoured), less what would point Python elsewhere.
std::map<std::string, std::string> build_environment_variables() {
  static const std::set<std::string> dropped = {"PYTHONPATH",  "PYTHONHOME",        "PYTHONSTARTUP",
                                                "VIRTUAL_ENV", "PIP_USER",          "PIP_TARGET",
                                                "PIP_PREFIX",  "PIP_REQUIRE_HASHES"};
  std::map<std::string, std::string> env = current_environment();
  for (const auto& name : dropped) env.erase(name);
  env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1";
  env["PIP_NO_INPUT"] = "1";
  env["PYTHONUNBUFFERED"] = "1";
  return env;
}

// Which index pip will use, as the log says it.
std::string index_in_use(const std::map<std::string, std::string>& env) {
  std::string out;
  for (const char* name : {"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS"}) {
    const auto it = env.find(name);
    if (it != env.end() && !it->second.empty())
      out += (out.empty() ? "" : ", ") + std::string(name) + "=" + redact_urls(it->second);
  }
  return out.empty() ? "pip's configuration (pip.conf, else PyPI)" : out;
}

std::string describe(const EnvironmentVersion& v) {
  return "environment '" + v.name + ":" + std::to_string(v.version) + "'";
}

// pip's own error lines ("ERROR: ..."), else the last lines of its output; with the last
// network retry warning when there was one (an unreachable index reads like a missing package).
std::string pip_error(const envs::ProcessResult& r, bool* network, const std::string& index) {
  std::string out, retry;
  bool no_versions = false;  // what pip says of a misspelt name, and of an index it cannot reach
  for (const auto& l : r.lines) {
    if (l.rfind("ERROR:", 0) == 0) out += (out.empty() ? "" : " ") + l;
    if (l.find("(from versions: none)") != std::string::npos) no_versions = true;
    for (const char* sign :
         {"WARNING: Retrying", "Could not fetch URL", "NewConnectionError", "Connection refused",
          "Failed to establish", "401 Error", "403 Error", "HTTP error", "Network is unreachable"})
      if (l.find(sign) != std::string::npos) retry = l;
  }
  if (out.empty()) {
    const size_t from = r.lines.size() > 3 ? r.lines.size() - 3 : 0;
    for (size_t i = from; i < r.lines.size(); ++i) out += (out.empty() ? "" : " ") + r.lines[i];
  }
  if (out.empty()) out = "exit code " + std::to_string(r.exit_code);
  *network = !retry.empty();
  if (!retry.empty()) return out + " (the index could not be reached: " + retry + ")";
  if (no_versions)
    return out + " (pip found no version at all: a misspelt name, or an index it could not " +
           "reach: " + index + ")";
  return out;
}

// Gives the build the builds folder's group access (a workspace shared by a group shares its
// venvs): folders the group bits of that folder, files its read bit, and execute where the
// owner has it. Only ever adds bits; venv and pip ran under this process's own umask.
void share_with_group(const fs::path& dir, mode_t folder) {
  const mode_t group = folder & 0070;
  if (group == 0) return;
  std::error_code ec;
  auto add = [&](const fs::path& p, bool is_dir) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) return;
    mode_t bits = is_dir ? group : (group & 0040);
    if (!is_dir && (st.st_mode & S_IXUSR) && (group & 0010)) bits |= 0010;
    if ((st.st_mode & bits) != bits) ::chmod(p.c_str(), (st.st_mode & 07777) | bits);
  };
  add(dir, true);
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    add(it->path(), it->is_directory(ec) && !it->is_symlink(ec));
}

// Makes the build's files durable before it is published (pip does not sync them).
void sync_folder_filesystem(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw os_error("opening '" + dir.string() + "'", errno);
  const int rc = ::syncfs(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw os_error("syncing '" + dir.string() + "'", err);
}

// Removes the builds of `hash` other than the published one (what failed or killed builders
// left, a build --force replaced), leaving those a job runs in. The caller holds the lock.
void remove_unpublished(const fs::path& root, const std::string& hash,
                        const std::function<void(const std::string&)>& say) {
  const std::string published = envs::published_build(root, hash);
  PruneResult r;
  for (const std::string& build : envs::builds_of(root, hash))
    if (build != published) envs::remove_build(root, build, false, r);
  for (const auto& b : r.in_use) say("[glia] " + b + " is in use by a job: left for a later prune");
  for (const auto& f : r.failed) say("[glia] could not remove " + f);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {  // links never renamed into place
    const std::string name = entry.path().filename().string();
    if (name.rfind("." + hash + ".link-", 0) == 0) fs::remove(entry.path(), ec);
  }
}

// Which conda packages pip cannot install at all, under their conda names; nullopt when this pip
// cannot tell (--dry-run needs pip 22.2).
std::optional<std::vector<std::string>> conda_packages_pip_lacks(
    const std::string& python, const EnvironmentSpec& spec,
    const std::map<std::string, std::string>& env) {
  std::vector<std::string> missing;
  for (const auto& c : spec.conda) {
    auto probe = envs::run_process({python, "-m", "pip", "install", "--dry-run", "--no-deps",
                                    "--ignore-installed", "--quiet", c},
                                   env, nullptr);
    for (const auto& l : probe.lines)
      if (l.find("no such option") != std::string::npos) return std::nullopt;
    if (!probe.ok()) missing.push_back(c);
  }
  return missing;
}

}  // namespace

fs::path environments_root(const Workspace& ws) {
  return ws.root() / ".glia" / "envs";
}

std::optional<fs::path> built_environment(const Workspace& ws, const std::string& build_hash) {
  const fs::path link = environments_root(ws) / build_hash;
  std::error_code ec;
  if (!fs::is_regular_file(link / envs::kMarker, ec)) return std::nullopt;
  const fs::path venv = fs::canonical(link, ec);
  if (ec) return std::nullopt;
  return venv;
}

BuildResult build_environment(Workspace& ws, const EnvironmentVersion& v,
                              const BuildOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const EnvironmentSpec spec = EnvironmentSpec::from_json(nlohmann::json::parse(v.spec));
  if (!spec.builds())
    throw Error(describe(v) +
                " names no Python packages or version: there is nothing to build "
                "(its jobs run with the host's programs)");
  auto say = [&](const std::string& line) {
    if (options.output) options.output(line);
  };
  const fs::path root = environments_root(ws);
  create_shared_folders(root / "locks");
  create_shared_folders(root / "builds");
  BuildResult result;
  const envs::FileLock lock = envs::FileLock::wait(envs::build_lock_path(root, v.build_hash), [&] {
    say("[glia] another job is building this environment; waiting for it");
    result.waited = true;
  });
  if (!options.force) {
    if (auto venv = built_environment(ws, v.build_hash)) {
      say("[glia] " + describe(v) + " is built: " + venv->string());
      result.venv = *venv;
      return result;
    }
  }
  remove_unpublished(root, v.build_hash, say);

  const char* path_env = std::getenv("PATH");
  const std::string search = !options.search_path.empty() ? options.search_path
                             : path_env                   ? path_env
                                                          : "/usr/bin:/bin";
  const Interpreter python = find_interpreter(spec.python, search);
  const std::string name = v.build_hash + "-" + nonce();
  const fs::path dir = root / "builds" / name;
  const auto env = build_environment_variables();
  say("[glia] building " + describe(v) + " with Python " + python.version + " (" +
      python.path.string() + ") in " + dir.string());
  say("[glia] package index: " + index_in_use(env));
  try {
    auto made = envs::run_process({python.path.string(), "-m", "venv", dir.string()}, env, say);
    bool network = false;
    if (!made.ok())
      throw Error(ErrorKind::Unavailable, "building " + describe(v) + " failed: python -m venv: " +
                                              pip_error(made, &network, index_in_use(env)));
    const std::vector<std::string> reqs = spec.requirements();
    if (!reqs.empty()) {
      std::string text;
      for (const auto& r : reqs) text += r + "\n";
      io::write_file_atomically(dir / envs::kRequirements, text);
      const std::string venv_python = (dir / "bin" / "python").string();
      say("[glia] pip install " + std::to_string(reqs.size()) + " requirement(s)");
      // In the venv's folder: pip's lines name the file, not its long path.
      auto installed = envs::run_process(
          {venv_python, "-m", "pip", "install", "--progress-bar", "off", "-r", envs::kRequirements},
          env, say, dir);
      if (!installed.ok()) {
        std::string msg = "building " + describe(v) +
                          " failed: pip: " + pip_error(installed, &network, index_in_use(env));
        if (!network && !spec.conda.empty()) {
          const auto missing = conda_packages_pip_lacks(venv_python, spec, env);
          std::string names;
          for (const auto& m : missing.value_or(std::vector<std::string>{}))
            names += (names.empty() ? "" : ", ") + m;
          if (!missing)
            msg += " (this pip is older than 22.2 and cannot tell which conda packages it lacks)";
          else if (!names.empty())
            msg += " (conda packages pip cannot install under the same name: " + names + ")";
        }
        throw Error(network ? ErrorKind::Unavailable : ErrorKind::InvalidArgument, msg);
      }
    }
    share_with_group(dir, folder_mode(root / "builds"));
    sync_folder_filesystem(dir);  // pip's files are durable before anything names them
    nlohmann::json info = {{"environment", v.name},      {"version", v.version},
                           {"build_hash", v.build_hash}, {"spec", nlohmann::json::parse(v.spec)},
                           {"python", python.version},   {"interpreter", python.path.string()},
                           {"built_at", now_seconds()}};
    io::write_file_atomically(dir / envs::kMarker, info.dump(2) + "\n");
    // Publish: a link beside, renamed onto <hash> (atomic), then the folder synced.
    const fs::path tmp_link = root / ("." + v.build_hash + ".link-" + nonce());
    fs::create_symlink(fs::path("builds") / name, tmp_link);
    fs::rename(tmp_link, root / v.build_hash);
    io::fsync_path(root);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    throw;
  }
  if (options.force) remove_unpublished(root, v.build_hash, say);  // the build it replaced
  result.venv = fs::canonical(root / v.build_hash);
  result.built = true;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", result.seconds);
  say("[glia] built " + describe(v) + " in " + secs + " s");
  return result;
}

std::map<std::string, std::string> environment_variables_for(const EnvironmentVersion& v,
                                                             const fs::path& venv,
                                                             const std::string& path) {
  const EnvironmentSpec spec = EnvironmentSpec::from_json(nlohmann::json::parse(v.spec));
  std::map<std::string, std::string> env = spec.variables;
  if (!venv.empty()) {
    env["VIRTUAL_ENV"] = venv.string();
    env["PATH"] = (venv / "bin").string() + (path.empty() ? "" : ":" + path);
  }
  return env;
}

}  // namespace glia::platform
