#include "server/api/store_checks.hpp"

#include <algorithm>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/access.hpp"
#include "glia/platform/endpoints.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/experiment_names.hpp"
#include "glia/platform/interactive_run.hpp"
#include "glia/platform/job_resume.hpp"
#include "glia/platform/safe_path.hpp"

#include <nlohmann/json.hpp>

namespace glia::server::api {

namespace {

bool has_nul(const std::string& s) {
  return s.find('\0') != std::string::npos;
}

// A blob a record names: stored, or registered by reference (its URL known).
void check_blob(const platform::ArtifactStore& artifacts, const std::string& sha256,
                const std::string& what) {
  check_hash(artifacts, sha256, what);
  if (!artifacts.contains(sha256) && artifacts.blob_urls(sha256).empty())
    throw Error(ErrorKind::NotFound,
                what + ": the workspace holds no blob " + sha256 + " (upload it first)");
}

}  // namespace

void check_name(const std::string& name, const std::string& what) {
  if (name.empty() || name.size() > 1024 || has_nul(name))
    throw Error(what + " name " + quote_bytes(name) + ": expected 1 to 1024 bytes, no NUL");
}

void check_metrics(const std::vector<platform::MetricPoint>& points) {
  for (const auto& m : points) {
    check_name(m.name, "metric");
    if (m.step < 0 && m.step != platform::MetricPoint::kNextStep)
      throw Error("metric " + quote_bytes(m.name) + ": a step must be >= 0");
  }
}

std::string check_hash(const platform::ArtifactStore& artifacts, const std::string& sha256,
                       const std::string& what) {
  try {
    artifacts.contains(sha256);  // throws unless 64 lower-case hex digits
  } catch (const Error&) {
    throw Error(what + ": " + quote_bytes(sha256) + " is not a SHA-256");
  }
  return sha256;
}

void check_tags(const std::map<std::string, std::string>& tags, const std::string& what) {
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > 255)
      throw Error(what + ": tag name " + quote_bytes(k) + ": expected 1 to 255 bytes");
    if (has_nul(k) || has_nul(v))
      throw Error(what + ": tag " + quote_bytes(k) + " holds a NUL byte");
  }
}

void check_manifest(const std::string& sha256, const platform::ArtifactStore& artifacts,
                    const std::string& what) {
  check_blob(artifacts, sha256, what);
  for (const auto& e : artifacts.manifest(sha256))
    check_blob(artifacts, e.sha256, what + " file " + quote_bytes(e.path));
}

void check_run_inputs(const std::vector<platform::RunInput>& inputs,
                      const platform::ArtifactStore& artifacts) {
  for (const auto& in : inputs) {
    // A folder name under the run's inputs/ (the agent lays it out there).
    platform::safe_path_component(in.input, "input name");
    if (!in.run_id.empty()) platform::safe_path_component(in.run_id, "run id");
    if (in.mode != "ro_mount" && in.mode != "download")
      throw Error("input " + quote_bytes(in.input) + ": mode " + quote_bytes(in.mode) +
                  " is not ro_mount or download");
    check_manifest(in.manifest, artifacts, "input " + quote_bytes(in.input));
  }
}

void check_new_run(const platform::NewRun& run, const platform::ArtifactStore& artifacts) {
  if (!run.id.empty()) platform::safe_path_component(run.id, "run id");
  platform::check_experiment_name(run.experiment);
  check_tags(run.tags, "run");
  if (has_nul(run.display_name) || has_nul(run.command) || has_nul(run.spec))
    throw Error("run: a NUL byte in its name, command or spec");
  if (!run.parent_id.empty() || run.trial_index || !run.trial_parameters.empty())
    throw Error(ErrorKind::Permission, "run: a sweep's trials are created by the server's agent");
  const bool interactive = run.job_type == platform::kInteractiveJobType;
  if (run.job_type != "" && run.job_type != "command" && run.job_type != "sweep" && !interactive)
    throw Error("run: job_type " + quote_bytes(run.job_type) +
                " is not command, sweep or interactive");
  for (const auto& [k, v] : run.properties)
    // What a submit sets (and `glia job resume`: the run it continues, whose checkpoint files
    // in the same workspace the agent copies), and an interactive run's tracker (`glia run
    // track` on the client's machine); the others are the agent's.
    if (k != "environment" && k != platform::kResumedFromProperty &&
        !(interactive && k.rfind("tracker_", 0) == 0))
      throw Error(ErrorKind::Permission,
                  "run: property " + quote_bytes(k) + " is set by the server's agent");
  // A job is queued with its recorded spec (a JSON object naming the job) and a job type; a
  // program's run (an interactive one included) has neither and is never queued: the agent
  // runs only jobs.
  if (interactive && (run.queue || !run.spec.empty()))
    throw Error("run: an interactive run is its tracker's: never queued, no job spec");
  const bool job = run.queue || !run.spec.empty() || (!run.job_type.empty() && !interactive);
  if (job) {
    if (!run.queue || run.spec.empty() || run.job_type.empty())
      throw Error("run: a job is queued, with its spec and its job_type; a program's run has none");
    const auto spec = nlohmann::json::parse(run.spec, nullptr, false);
    if (!spec.is_object() || !spec.contains("job") || !spec["job"].is_object())
      throw Error("run: its spec must be a JSON object with the job");
  }
  if (run.timeout && !(*run.timeout > 0)) throw Error("run: a timeout must be > 0 seconds");
  if (!run.code_snapshot.empty()) check_manifest(run.code_snapshot, artifacts, "code snapshot");
  check_run_inputs(run.inputs, artifacts);
}

bool is_job(const platform::RunRecord& run) {
  // An interactive run is a program's: its status, properties and tracking are its client's.
  return !run.spec.empty() ||
         (!run.job_type.empty() && run.job_type != platform::kInteractiveJobType);
}

void check_json_text(const std::string& text, bool object, const std::string& what) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || (object && !j.is_object()))
    throw Error(what + ": expected " + (object ? "a JSON object" : "JSON") + " text");
}

void check_run_files(const std::vector<platform::RunFile>& files,
                     const platform::ArtifactStore& artifacts) {
  for (const auto& f : files) {
    platform::safe_relative_path(f.path, "run file path");
    check_hash(artifacts, f.sha256, "run file " + quote_bytes(f.path));
    if (!artifacts.contains(f.sha256))  // its bytes: a run's file is never only a URL
      throw Error(ErrorKind::NotFound, "run file " + quote_bytes(f.path) +
                                           ": the workspace holds no blob " + f.sha256 +
                                           " (upload it first)");
    if (f.size < 0) throw Error("run file " + quote_bytes(f.path) + ": a negative size");
  }
}

void check_tracking_batch(const platform::TrackingBatch& batch,
                          const platform::ArtifactStore& artifacts) {
  check_run_files(batch.files, artifacts);
  for (const auto& i : batch.images) platform::safe_relative_path(i.path, "image path");
  check_tags(batch.tags, "tracking batch");
  check_metrics(batch.metrics);
  for (const auto& r : batch.rows) {
    check_name(r.name, "table");
    check_json_text(r.row_json, true, "table " + quote_bytes(r.name));
  }
  for (const auto& i : batch.images) check_name(i.name, "image");
}

void check_inputs_exist(const std::vector<platform::RunInput>& inputs, platform::Store& store) {
  for (const auto& in : inputs) {
    const auto d = store.find_dataset(in.dataset, in.version);
    if (!d || d->version != in.version || d->manifest != in.manifest)
      throw Error(ErrorKind::NotFound, "input " + quote_bytes(in.input) + ": no dataset version " +
                                           quote_bytes(in.dataset) + ":" +
                                           std::to_string(in.version) + " with that manifest");
  }
}

// A version's file count and size, from its manifest (never the client's numbers).
template <typename Version>
void count_manifest(Version& v, const platform::ArtifactStore& artifacts) {
  v.file_count = 0;
  v.total_bytes = 0;
  for (const auto& e : artifacts.manifest(v.manifest)) {
    ++v.file_count;
    v.total_bytes += static_cast<int64_t>(e.size);
  }
}

// An environment's spec read back and its hashes made here: a client's spec that is not one, or
// hashes naming anything but it (the build folder is named by one), never reach the store.
void normalize_environment(platform::EnvironmentVersion& e) {
  if (e.source_kind != "conda" && e.source_kind != "pip" && e.source_kind != "image")
    throw Error("environment: source_kind " + quote_bytes(e.source_kind) +
                " is not conda, pip or image");
  const auto j = nlohmann::json::parse(e.spec, nullptr, false);
  if (!j.is_object()) throw Error("environment: its spec must be a JSON object");
  platform::EnvironmentSpec spec;
  try {
    spec = platform::EnvironmentSpec::from_json(j);
  } catch (const nlohmann::json::exception&) {
    throw Error("environment: its spec is not an environment spec");
  }
  e.spec = spec.to_json().dump();
  e.spec_hash = spec.spec_hash();
  e.build_hash = spec.build_hash();
  e.created_at = 0;  // the store's now
}

void count_files(platform::DatasetVersion& d, const platform::ArtifactStore& artifacts) {
  count_manifest(d, artifacts);
}

void count_files(platform::ModelVersion& m, const platform::ArtifactStore& artifacts) {
  count_manifest(m, artifacts);
}

void check_token(const platform::ApiToken& token) {
  const bool hex16 =
      token.id.size() == 16 && std::all_of(token.id.begin(), token.id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      });
  if (!hex16) throw Error("token id " + quote_bytes(token.id) + ": expected 16 hex digits");
  if (!platform::is_standard_token_hash(token.secret_hash))
    throw Error("token " + token.id + ": its hash is not an argon2id hash at this server's cost");
}

void check_endpoint_settings(const std::string& name, const platform::EndpointSettings& settings,
                             const platform::ArtifactStore& artifacts, platform::Store& store) {
  platform::check_endpoint_name(name);
  platform::check_endpoint_settings(name, settings);
  const std::string what = "endpoint " + quote_bytes(name);
  check_tags(settings.tags, what);
  if (settings.scoring != "python") return;
  check_manifest(settings.code_manifest, artifacts, what + " code");
  const std::string script = platform::safe_relative_path(settings.scoring_script, what);
  bool found = false;
  for (const auto& e : artifacts.manifest(settings.code_manifest))
    found = found || e.path == script;
  if (!found)
    throw Error(what + ": scoring script " + quote_bytes(script) + " is not in its code snapshot");
  if (!settings.environment.empty()) {
    const auto ref = platform::parse_environment_ref(settings.environment);
    if (!ref.version)
      throw Error(what + ": environment " + quote_bytes(settings.environment) +
                  " must name a version (NAME:V)");
    platform::resolve_environment(store, ref);  // NotFound naming it
  }
}

}  // namespace glia::server::api
