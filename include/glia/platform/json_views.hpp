// The JSON views of the platform's objects: what `glia ... -o json` prints and what the REST API
// (src/server/api/) answers, built once here so the two are always the same bytes.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "glia/platform/endpoint_records.hpp"
#include "glia/platform/store.hpp"
#include "glia/platform/workspace.hpp"

namespace glia::platform {

/// UTC time as 2026-11-27T09:32:11Z; "" for no time.
std::string iso_time(std::optional<double> t);
/// With milliseconds: 2026-11-27T09:32:11.123Z.
std::string iso_time_ms(double t);

/// A run's fields users see (without the recorded environment): `glia run list -o json`'s items.
nlohmann::json run_json(const RunRecord& r);
/// `glia run show ID -o json`: run_json plus status history, latest metrics, images, the file
/// count, inputs, datasets, code snapshot, sweep fields. Throws glia::Error (NotFound).
nlohmann::json run_show_json(Workspace& ws, const std::string& id);
/// The "sweep" part of run_show_json for a sweep: settings, trials best first, best trial.
nlohmann::json sweep_json(Workspace& ws, const std::string& id);

/// A run's files as [{path, size, sha256}] (`glia run files -o json`).
nlohmann::json run_files_json(const std::vector<RunFile>& files);
/// One value of a metric series: {step, value, wall_time} (`glia run metrics -o json`).
nlohmann::json metric_point_json(const MetricPoint& p);
/// A run's metric series and log_row tables as columns, compact JSON text on one line
/// (`glia run metrics -o json --columns`): {"NAME": {"step": [...], "value": [...],
/// "wall_time": [...]}, ...} for a series, {"TABLE": {"COLUMN": [...], ...}} for a table (rows
/// without the column: null). Numbers in their shortest exact form; non-finite values null, as
/// every JSON output writes them. A table shadows a series of the same name.
std::string metric_columns_json(
    const std::vector<std::pair<std::string, std::vector<MetricPoint>>>& series,
    const std::map<std::string, nlohmann::json>& tables);

/// A dataset version (`glia dataset list -o json`'s items).
nlohmann::json dataset_json(const DatasetVersion& d);
/// `glia dataset show -o json`: dataset_json plus the runs that used it and its files.
nlohmann::json dataset_show_json(Workspace& ws, const DatasetVersion& d);
/// A model version (`glia model list -o json`'s items).
nlohmann::json model_json(const ModelVersion& m);
/// `glia model show -o json`: model_json plus its files and lineage.
nlohmann::json model_show_json(Workspace& ws, const ModelVersion& m);
/// An environment version (`glia environment list -o json`'s items).
nlohmann::json environment_json(Workspace& ws, const EnvironmentVersion& v);
/// `glia environment show -o json`: environment_json plus its source text.
nlohmann::json environment_show_json(Workspace& ws, const EnvironmentVersion& v);
/// A compute target with its queued and active job counts (`glia compute list -o json`).
nlohmann::json compute_json(Workspace& ws, const ComputeTarget& t);
/// A manifest's files as [{path, size, sha256}] (`glia dataset files -o json`).
nlohmann::json manifest_json(Workspace& ws, const std::string& manifest_sha256);

/// An online endpoint (`glia endpoint list -o json`'s items): name, state, reason, scoring_uri,
/// model "NAME:V", the served model version and generation, settings (scoring, auth_mode,
/// instances, batching, limits), host, port, pid, restarts, who created it and when. Never the
/// keys, sealed or not.
nlohmann::json endpoint_json(const EndpointRecord& e);
/// `glia endpoint show -o json`: endpoint_json plus its state changes, oldest first.
nlohmann::json endpoint_show_json(Workspace& ws, const EndpointRecord& e);

}  // namespace glia::platform
