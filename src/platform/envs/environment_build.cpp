// Building an environment's venv once per build hash, under <workspace>/.glia/envs/:
//   locks/<hash>.lock          flock-ed by the one builder of that spec (others wait, then reuse)
//   builds/<hash>-<nonce>/     the venv, made in place (its scripts name this path)
//   <hash> -> builds/<hash>-<nonce>   the published build: a link renamed into place last
// A build that fails or is killed is never published; the next builder (holding the lock, so
// no other builder of the spec is alive) removes what it left.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>

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

constexpr const char* kMarker = "glia-environment.json";  // written last inside a build
constexpr const char* kRequirements = "glia-requirements.txt";

std::string nonce() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

// Holds an exclusive flock on a file until destroyed.
class BuildLock {
 public:
  BuildLock(const fs::path& file, const std::function<void(const std::string&)>& output,
            bool* waited) {
    fd_ = open_shared_file(file, O_RDWR | O_CREAT | O_CLOEXEC);
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
    if (errno != EWOULDBLOCK) throw os_error("locking '" + file.string() + "'", errno);
    if (output) output("[glia] another job is building this environment; waiting for it");
    *waited = true;
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) throw os_error("locking '" + file.string() + "'", errno);
  }
  ~BuildLock() { ::close(fd_); }
  BuildLock(const BuildLock&) = delete;
  BuildLock& operator=(const BuildLock&) = delete;
  /// Whether another process holds the lock of `file` (without waiting).
  static bool busy(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return held;
  }

 private:
  int fd_ = -1;
};

fs::path build_lock(const Workspace& ws, const std::string& hash) {
  return environments_root(ws) / "locks" / (hash + ".lock");
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

std::string describe(const EnvironmentVersion& v) {
  return "environment '" + v.name + ":" + std::to_string(v.version) + "'";
}

// pip's own error lines ("ERROR: ..."), else the last lines of its output.
std::string pip_error(const envs::ProcessResult& r) {
  std::string out;
  for (const auto& l : r.lines)
    if (l.rfind("ERROR:", 0) == 0) out += (out.empty() ? "" : " ") + l;
  if (out.empty()) {
    const size_t from = r.lines.size() > 3 ? r.lines.size() - 3 : 0;
    for (size_t i = from; i < r.lines.size(); ++i) out += (out.empty() ? "" : " ") + r.lines[i];
  }
  return out.empty() ? "exit code " + std::to_string(r.exit_code) : out;
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}

// Removes the builds of `hash` that are not published (what failed or killed builders left, or
// builds a forced rebuild replaced) — or, with !keep_published, every build of it. The caller
// holds the hash's lock.
void remove_builds(const fs::path& root, const std::string& hash, bool keep_published,
                   PruneResult* pruned, bool dry_run) {
  std::error_code ec;
  const fs::path published = fs::read_symlink(root / hash, ec);
  const std::string keep = ec || !keep_published ? std::string() : published.filename().string();
  for (const auto& entry : fs::directory_iterator(root / "builds", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(hash + "-", 0) != 0 || name == keep) continue;
    if (pruned) {
      pruned->removed.push_back("builds/" + name);
      std::error_code sec;
      for (const auto& f : fs::recursive_directory_iterator(entry.path(), sec))
        if (f.is_regular_file(sec) && !f.is_symlink(sec)) pruned->bytes += f.file_size(sec);
    }
    if (!dry_run) remove_quietly(entry.path());
  }
  for (const auto& entry : fs::directory_iterator(root, ec)) {  // links never renamed into place
    const std::string name = entry.path().filename().string();
    if (name.rfind("." + hash + ".link-", 0) == 0 && !dry_run) remove_quietly(entry.path());
  }
}

bool needs_build(const EnvironmentSpec& spec) {
  return spec.python || !spec.pip.empty() || !spec.conda.empty();
}

}  // namespace

fs::path environments_root(const Workspace& ws) {
  return ws.root() / ".glia" / "envs";
}

std::optional<fs::path> built_environment(const Workspace& ws, const std::string& build_hash) {
  const fs::path link = environments_root(ws) / build_hash;
  std::error_code ec;
  if (!fs::is_regular_file(link / kMarker, ec)) return std::nullopt;
  const fs::path venv = fs::canonical(link, ec);
  if (ec) return std::nullopt;
  return venv;
}

BuildResult build_environment(Workspace& ws, const EnvironmentVersion& v,
                              const BuildOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const EnvironmentSpec spec = EnvironmentSpec::from_json(nlohmann::json::parse(v.spec));
  if (!needs_build(spec))
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
  BuildLock lock(build_lock(ws, v.build_hash), options.output, &result.waited);
  if (!options.force) {
    if (auto venv = built_environment(ws, v.build_hash)) {
      say("[glia] " + describe(v) + " is built: " + venv->string());
      result.venv = *venv;
      return result;
    }
  }
  remove_builds(root, v.build_hash, true, nullptr, false);

  const char* path_env = std::getenv("PATH");
  const std::string search = !options.search_path.empty() ? options.search_path
                             : path_env                   ? path_env
                                                          : "/usr/bin:/bin";
  const Interpreter python = choose_interpreter(spec.python, find_interpreters(search));
  const std::string name = v.build_hash + "-" + nonce();
  const fs::path dir = root / "builds" / name;
  const auto env = build_environment_variables();
  say("[glia] building " + describe(v) + " with Python " + python.version + " (" +
      python.path.string() + ") in " + dir.string());
  try {
    auto made = envs::run_process({python.path.string(), "-m", "venv", dir.string()}, env, say);
    if (!made.ok())
      throw Error(ErrorKind::Unavailable,
                  "building " + describe(v) + " failed: python -m venv: " + pip_error(made));
    const std::vector<std::string> reqs = spec.requirements();
    if (!reqs.empty()) {
      std::string text;
      for (const auto& r : reqs) text += r + "\n";
      io::write_file_atomically(dir / kRequirements, text);
      const std::string pip = (dir / "bin" / "python").string();
      say("[glia] pip install " + std::to_string(reqs.size()) + " requirement(s)");
      // In the venv's folder: pip's lines name the file, not its long path.
      auto installed = envs::run_process(
          {pip, "-m", "pip", "install", "--progress-bar", "off", "-r", kRequirements}, env, say,
          dir);
      if (!installed.ok()) {
        std::string msg = "building " + describe(v) + " failed: pip: " + pip_error(installed);
        // Which conda packages pip cannot install at all, under their conda names.
        std::vector<std::string> missing;
        for (const auto& c : spec.conda) {
          auto probe = envs::run_process({pip, "-m", "pip", "install", "--dry-run", "--no-deps",
                                          "--ignore-installed", "--quiet", c},
                                         env, nullptr);
          if (!probe.ok()) missing.push_back(c);
        }
        if (!missing.empty()) {
          std::string names;
          for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
          msg += " (conda packages pip cannot install under the same name: " + names + ")";
        }
        throw Error(msg);
      }
    }
    nlohmann::json info = {{"environment", v.name},      {"version", v.version},
                           {"build_hash", v.build_hash}, {"spec", nlohmann::json::parse(v.spec)},
                           {"python", python.version},   {"interpreter", python.path.string()},
                           {"built_at", now_seconds()}};
    io::write_file_atomically(dir / kMarker, info.dump(2) + "\n");
    // Publish: a link beside, renamed onto <hash> (atomic), then the folder synced.
    const fs::path tmp_link = root / ("." + v.build_hash + ".link-" + nonce());
    fs::create_symlink(fs::path("builds") / name, tmp_link);
    fs::rename(tmp_link, root / v.build_hash);
    io::fsync_path(root);
  } catch (...) {
    remove_quietly(dir);
    throw;
  }
  if (options.force) remove_builds(root, v.build_hash, true, nullptr, false);
  result.venv = fs::canonical(root / v.build_hash);
  result.built = true;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", result.seconds);
  say("[glia] built " + describe(v) + " in " + secs + " s");
  return result;
}

PruneResult prune_environments(Workspace& ws, bool dry_run) {
  PruneResult out;
  const fs::path root = environments_root(ws);
  std::set<std::string> needed;
  for (const auto& v : ws.store().list_environments())
    if (!v.archived) needed.insert(v.build_hash);
  std::error_code ec;
  std::set<std::string> hashes;  // every hash with a build, a link or a lock
  for (const auto& entry : fs::directory_iterator(root / "builds", ec)) {
    const std::string name = entry.path().filename().string();
    hashes.insert(name.substr(0, name.rfind('-')));
  }
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_symlink(ec)) hashes.insert(name);
  }
  for (const std::string& hash : hashes) {
    const fs::path lock_file = build_lock(ws, hash);
    if (BuildLock::busy(lock_file)) continue;  // being built (or waited for) now
    bool waited = false;
    BuildLock lock(lock_file, nullptr, &waited);
    const bool keep = needed.count(hash) > 0;
    remove_builds(root, hash, keep, &out, dry_run);
    // Unpublished last: a job looking meanwhile still found a complete build.
    if (!keep && !dry_run) fs::remove(root / hash, ec);
  }
  return out;
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
