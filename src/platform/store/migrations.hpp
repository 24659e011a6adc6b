// The SQLite store's schema, as numbered migrations. Append new ones; never edit an applied one.
#pragma once

#include <vector>

namespace glia::platform::sqlite {

class Db;

/// Migration 6's data step: rewrites every run's recorded environment to the allow-listed
/// variables (glia/platform/environment.hpp), so no secret a submitter had set stays stored.
void scrub_recorded_environments(Db& db);

struct Migration {
  int version;
  const char* sql;
  /// Runs after `sql`, in the same transaction (data that SQL alone cannot rewrite).
  void (*then)(Db&) = nullptr;
  /// The migration rewrites values that must not survive in old pages or the WAL: after it the
  /// store VACUUMs and truncates the WAL (freed bytes are zeroed anyway: secure_delete).
  bool scrubs = false;
};

inline const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1, R"sql(
CREATE TABLE experiments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at REAL NOT NULL
);
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  display_name TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at REAL NOT NULL,
  started_at REAL,
  ended_at REAL,
  command TEXT NOT NULL,
  compute TEXT NOT NULL,
  exit_code INTEGER,
  error TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX runs_by_time ON runs(created_at DESC);
CREATE INDEX runs_by_experiment ON runs(experiment_id, created_at DESC);
CREATE INDEX runs_by_status ON runs(status, created_at DESC);
CREATE TABLE run_status_history (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id),
  status TEXT NOT NULL,
  at REAL NOT NULL
);
CREATE INDEX status_history_by_run ON run_status_history(run_id, seq);
CREATE TABLE metrics (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id),
  name TEXT NOT NULL,
  step INTEGER NOT NULL,
  value REAL NOT NULL,
  wall_time REAL NOT NULL
);
CREATE INDEX metrics_by_series ON metrics(run_id, name, step, seq);
CREATE TABLE metric_latest (
  run_id TEXT NOT NULL REFERENCES runs(id),
  name TEXT NOT NULL,
  step INTEGER NOT NULL,
  value REAL NOT NULL,
  wall_time REAL NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (run_id, name)
);
)sql"},
      {2, R"sql(
CREATE TABLE compute_targets (
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  max_concurrent INTEGER NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL
);
INSERT INTO compute_targets(name, type, max_concurrent, description, created_at)
  VALUES ('local', 'local', 2, 'this machine', CAST(strftime('%s', 'now') AS REAL));
ALTER TABLE runs ADD COLUMN spec TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN code_snapshot TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN timeout REAL;
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN pid_start INTEGER;
ALTER TABLE runs ADD COLUMN agent_pid INTEGER;
ALTER TABLE runs ADD COLUMN tracking_offset INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_by_compute_status ON runs(compute, status, created_at);
CREATE TABLE run_files (
  run_id TEXT NOT NULL REFERENCES runs(id),
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  created_at REAL NOT NULL,
  PRIMARY KEY (run_id, path)
);
CREATE TABLE metric_rows (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id),
  name TEXT NOT NULL,
  row TEXT NOT NULL,
  wall_time REAL NOT NULL
);
CREATE INDEX metric_rows_by_run ON metric_rows(run_id, name, seq);
CREATE TABLE metric_images (
  seq INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id),
  name TEXT NOT NULL,
  step INTEGER NOT NULL,
  path TEXT NOT NULL,
  wall_time REAL NOT NULL
);
CREATE INDEX metric_images_by_run ON metric_images(run_id, name, step);
)sql"},
      // Values point at their series by an integer: index keys shrink from (run id, name) text
      // to one integer, so logging and reading a series are faster and the file smaller.
      {3, R"sql(
CREATE TABLE metric_series (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id),
  name TEXT NOT NULL,
  UNIQUE (run_id, name)
);
CREATE TABLE metric_values (
  seq INTEGER PRIMARY KEY,
  series_id INTEGER NOT NULL REFERENCES metric_series(id),
  step INTEGER NOT NULL,
  value REAL NOT NULL,
  wall_time REAL NOT NULL
);
CREATE INDEX metric_values_by_series ON metric_values(series_id, step, seq);
INSERT INTO metric_series(run_id, name) SELECT DISTINCT run_id, name FROM metrics ORDER BY run_id, name;
INSERT INTO metric_values(seq, series_id, step, value, wall_time)
  SELECT m.seq, s.id, m.step, m.value, m.wall_time
  FROM metrics m JOIN metric_series s ON s.run_id = m.run_id AND s.name = m.name;
DROP TABLE metrics;
)sql"},
      {4, R"sql(
CREATE TABLE datasets (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  manifest TEXT NOT NULL,
  file_count INTEGER NOT NULL,
  total_bytes INTEGER NOT NULL,
  sources TEXT NOT NULL DEFAULT '[]',
  created_at REAL NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  archived INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (name, version)
);
CREATE TABLE run_inputs (
  run_id TEXT NOT NULL REFERENCES runs(id),
  input TEXT NOT NULL,
  dataset TEXT NOT NULL,
  version INTEGER NOT NULL,
  manifest TEXT NOT NULL,
  mode TEXT NOT NULL,
  PRIMARY KEY (run_id, input),
  FOREIGN KEY (dataset, version) REFERENCES datasets(name, version)
);
CREATE INDEX run_inputs_by_dataset ON run_inputs(dataset, version);
)sql"},
      // The model registry. model_names keeps the highest version each name ever had, so a
      // deleted version's number is never given again. Lineage: run_id → runs (code_snapshot)
      // and run_inputs (dataset versions). Tags and properties are JSON objects (json_each).
      {5, R"sql(
CREATE TABLE model_names (
  name TEXT PRIMARY KEY,
  last_version INTEGER NOT NULL
);
CREATE TABLE models (
  name TEXT NOT NULL REFERENCES model_names(name),
  version INTEGER NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  manifest TEXT NOT NULL,
  file_count INTEGER NOT NULL,
  total_bytes INTEGER NOT NULL,
  run_id TEXT REFERENCES runs(id),
  source_path TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '{}',
  properties TEXT NOT NULL DEFAULT '{}',
  created_at REAL NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (name, version)
);
CREATE INDEX models_by_run ON models(run_id);
)sql"},
      // Who submitted each run; properties recorded as it goes (e.g. its thread share); a
      // target's threads per job. Recorded environments lose every value not on the allow-list.
      {6, R"sql(
ALTER TABLE runs ADD COLUMN submitter_uid INTEGER;
ALTER TABLE runs ADD COLUMN submitter_name TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN properties TEXT NOT NULL DEFAULT '{}';
ALTER TABLE compute_targets ADD COLUMN threads_per_job INTEGER;
)sql",
       scrub_recorded_environments, true},
      // Environments: versioned Python specs (normalized JSON, its hash the identity; the build
      // hash names the venv builds share); anonymous ones are those spelled inline in a job.
      {7, R"sql(
CREATE TABLE environments (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  spec TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  build_hash TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  source_kind TEXT NOT NULL,
  created_at REAL NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  archived INTEGER NOT NULL DEFAULT 0,
  anonymous INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (name, version)
);
CREATE INDEX environments_by_build ON environments(build_hash);
)sql"},
      // Sweeps: a run's parent (a sweep's trials), the kind of job a run is ('' for a run its
      // own program started), and each trial's index and sampled parameters. The primary key
      // (sweep_id, trial_index) makes a trial index taken once: a sweep resumed after a crash
      // never samples an index twice.
      {8, R"sql(
ALTER TABLE runs ADD COLUMN parent_id TEXT REFERENCES runs(id);
ALTER TABLE runs ADD COLUMN job_type TEXT NOT NULL DEFAULT '';
UPDATE runs SET job_type = 'command' WHERE spec <> '';
CREATE INDEX runs_by_parent ON runs(parent_id);
CREATE TABLE sweep_trials (
  sweep_id TEXT NOT NULL REFERENCES runs(id),
  trial_index INTEGER NOT NULL,
  run_id TEXT NOT NULL UNIQUE REFERENCES runs(id),
  parameters TEXT NOT NULL,
  PRIMARY KEY (sweep_id, trial_index)
);
)sql"},
      // Access control for a workspace served over HTTP: users with a role, and API tokens
      // kept as an id (the lookup key) and an argon2id hash of their secret, never the secret.
      {9, R"sql(
CREATE TABLE users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('reader', 'contributor', 'owner')),
  created_at REAL NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  user_name TEXT NOT NULL REFERENCES users(name),
  secret_hash TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  expires_at REAL,
  revoked_at REAL
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_name);
)sql"},
      // What MLflow's API keeps that Glia had no place for (docs/mlflow.md): an experiment's
      // lifecycle and tags, a run's parameters and deletion, registered models with no version.
      {10, R"sql(
ALTER TABLE experiments ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE experiments ADD COLUMN updated_at REAL;
CREATE TABLE experiment_tags (
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (experiment_id, key)
);
CREATE TABLE run_params (
  run_id TEXT NOT NULL REFERENCES runs(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE deleted_runs (
  run_id TEXT PRIMARY KEY REFERENCES runs(id),
  deleted_at REAL NOT NULL
);
CREATE TABLE registered_models (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL
);
)sql"},
      // Runs searched by a metric (Store::search_runs): a name's runs in order of their latest
      // value, read from the index alone.
      {11, R"sql(
CREATE INDEX metric_latest_by_name ON metric_latest(name, value, run_id);
)sql"},
      // Idempotency keys of metric batches (Store::log_metrics_once): recorded in the batch's
      // transaction with the request's fingerprint and the first answer.
      {12, R"sql(
CREATE TABLE idempotency_keys (
  run_id TEXT NOT NULL REFERENCES runs(id),
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  answer TEXT NOT NULL,
  created_at REAL NOT NULL,
  PRIMARY KEY (run_id, key)
);
)sql"},
      // Online endpoints (Store::create_endpoint ...; glia/platform/endpoint_records.hpp): the
      // settings as store JSON with the model they name in columns of their own (what
      // delete_model_version checks), the keys sealed (never in clear), what the agent observed,
      // the state changes, and the model each generation named (what a process still serving an
      // older generation holds).
      {13, R"sql(
CREATE TABLE endpoints (
  name TEXT PRIMARY KEY,
  settings TEXT NOT NULL,
  model_name TEXT NOT NULL,
  model_version INTEGER NOT NULL,
  generation INTEGER NOT NULL,
  sealed_keys TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  port INTEGER NOT NULL DEFAULT 0,
  served_generation INTEGER NOT NULL DEFAULT 0,
  served_model_version INTEGER NOT NULL DEFAULT 0,
  pid INTEGER NOT NULL DEFAULT 0,
  pid_start TEXT NOT NULL DEFAULT '',
  restarts INTEGER NOT NULL DEFAULT 0,
  owner_uid INTEGER NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL
);
CREATE INDEX endpoints_by_model ON endpoints(model_name, model_version);
CREATE TABLE endpoint_generations (
  endpoint TEXT NOT NULL REFERENCES endpoints(name),
  generation INTEGER NOT NULL,
  model_name TEXT NOT NULL,
  model_version INTEGER NOT NULL,
  PRIMARY KEY (endpoint, generation)
);
CREATE TABLE endpoint_events (
  id INTEGER PRIMARY KEY,
  endpoint TEXT NOT NULL REFERENCES endpoints(name),
  time REAL NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX endpoint_events_by_endpoint ON endpoint_events(endpoint, id);
)sql"},
      // Per-block summaries of metric series (store/metric_blocks.hpp): a series' points after
      // its first, in stored order, in blocks of 512, each with its count and its first lowest
      // and highest point, kept in the transaction that logs the points; a min/max downsample
      // reads them instead of every point. A series without a summary row (logged before this
      // migration, or given a step lower than its highest) is summarized when next read.
      {14, R"sql(
CREATE TABLE metric_summaries (
  series_id INTEGER PRIMARY KEY REFERENCES metric_series(id),
  points INTEGER NOT NULL,
  last_step INTEGER NOT NULL
);
CREATE TABLE metric_blocks (
  series_id INTEGER NOT NULL REFERENCES metric_series(id),
  block INTEGER NOT NULL,
  n INTEGER NOT NULL,
  lo_index INTEGER NOT NULL,
  lo_step INTEGER NOT NULL,
  lo_value REAL NOT NULL,
  lo_time REAL NOT NULL,
  hi_index INTEGER NOT NULL,
  hi_step INTEGER NOT NULL,
  hi_value REAL NOT NULL,
  hi_time REAL NOT NULL,
  PRIMARY KEY (series_id, block)
) WITHOUT ROWID;
)sql"},
      // Slurm compute targets (docs/slurm.md): partition, node limit, account, QoS, time limit.
      {15, R"sql(
ALTER TABLE compute_targets ADD COLUMN partition TEXT NOT NULL DEFAULT '';
ALTER TABLE compute_targets ADD COLUMN max_nodes INTEGER;
ALTER TABLE compute_targets ADD COLUMN account TEXT NOT NULL DEFAULT '';
ALTER TABLE compute_targets ADD COLUMN qos TEXT NOT NULL DEFAULT '';
ALTER TABLE compute_targets ADD COLUMN time_limit TEXT NOT NULL DEFAULT '';
)sql"},
  };
  return all;
}

}  // namespace glia::platform::sqlite
