// What the remote store protocol checks before a client's record reaches the store: the store
// trusts its callers (the CLI, the agent), a client over HTTP is checked as the CLI and the REST
// routes check their input — names, ids, paths and hashes, blobs the record names present, and no
// field only the server sets (a sweep's trials, the agent's properties, a job's status).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "glia/platform/artifact_store.hpp"
#include "glia/platform/store.hpp"

namespace glia::server::api {

/// Each throws glia::Error (InvalidArgument unless said) naming the field.
/// `sha256` as given, unless it is not 64 lower-case hex digits.
std::string check_hash(const platform::ArtifactStore& artifacts, const std::string& sha256,
                       const std::string& what);
void check_tags(const std::map<std::string, std::string>& tags, const std::string& what);
/// A run a client may create: a valid (or empty) id and experiment, tags, inputs, no sweep-trial
/// fields, only the properties a submit sets, and its code snapshot and inputs' manifests stored.
void check_new_run(const platform::NewRun& run, const platform::ArtifactStore& artifacts);
void check_run_files(const std::vector<platform::RunFile>& files,
                     const platform::ArtifactStore& artifacts);
void check_run_inputs(const std::vector<platform::RunInput>& inputs,
                      const platform::ArtifactStore& artifacts);
void check_tracking_batch(const platform::TrackingBatch& batch,
                          const platform::ArtifactStore& artifacts);
/// A manifest the server holds (NotFound otherwise), its blobs stored or known by URL.
void check_manifest(const std::string& sha256, const platform::ArtifactStore& artifacts,
                    const std::string& what);
/// Whether a run is a job (its agent's to move), from what only a checked create sets.
bool is_job(const platform::RunRecord& run);
/// JSON text (an object when `object`), else glia::Error naming `what`.
void check_json_text(const std::string& text, bool object, const std::string& what);
/// A metric, table or image name: 1 to 1024 bytes, no NUL; a metric's step >= 0 (or "next").
void check_name(const std::string& name, const std::string& what);
void check_metrics(const std::vector<platform::MetricPoint>& points);
/// The dataset versions a run's inputs name exist, with those manifests.
void check_inputs_exist(const std::vector<platform::RunInput>& inputs, platform::Store& store);
/// A version's file count and size, from its manifest (never the client's numbers).
void count_files(platform::DatasetVersion& d, const platform::ArtifactStore& artifacts);
void count_files(platform::ModelVersion& m, const platform::ArtifactStore& artifacts);
/// An environment's spec read back and its hashes made here (a client's spec that is not one, or
/// hashes naming anything but it — a build folder is named by one — never reach the store).
void normalize_environment(platform::EnvironmentVersion& e);
/// A token a client made: a 16-hex-digit id and an argon2id hash at the server's own cost.
void check_token(const platform::ApiToken& token);
/// An endpoint's settings a client sends (create, update): its name, the settings' ranges
/// (platform::check_endpoint_settings), tags, and for python scoring the code snapshot stored
/// here holding the script, and the environment a registered "NAME:V".
void check_endpoint_settings(const std::string& name, const platform::EndpointSettings& settings,
                             const platform::ArtifactStore& artifacts, platform::Store& store);

}  // namespace glia::server::api
