// The PostgreSQL store's schema, as numbered migrations: the same numbers and the same tables as
// SQLite's (migrations.hpp), in PostgreSQL's dialect (BIGSERIAL for INTEGER PRIMARY KEY, DOUBLE
// PRECISION for REAL, BOOLEAN flags, JSONB for model tags and properties). A run's `seq` keeps the
// order runs were made in (SQLite's rowid). Append new ones; never edit an applied one.
#pragma once

#include <pqxx/pqxx>
#include <vector>

namespace glia::platform::pg {

/// Migration 6's data step (pg_store.cpp): every run's recorded environment keeps only the
/// allow-listed variables.
void scrub_recorded_environments(pqxx::transaction_base& tx);

struct Migration {
  int version;
  const char* sql;
  /// Runs after `sql`, in the same transaction.
  void (*then)(pqxx::transaction_base&) = nullptr;
  /// Rewrites values whose old row versions must not stay on disk: the tables are rewritten
  /// (VACUUM FULL) after the migrations commit.
  bool scrubs = false;
};

inline const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      // metric_latest_by_name: runs ordered or filtered by a metric's latest value.
      {1, R"sql(
CREATE TABLE experiments (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  seq BIGSERIAL NOT NULL UNIQUE,
  experiment_id BIGINT NOT NULL REFERENCES experiments(id),
  display_name TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at DOUBLE PRECISION NOT NULL,
  started_at DOUBLE PRECISION,
  ended_at DOUBLE PRECISION,
  command TEXT NOT NULL,
  compute TEXT NOT NULL,
  exit_code INTEGER,
  error TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX runs_by_time ON runs(created_at DESC, seq DESC);
CREATE INDEX runs_by_experiment ON runs(experiment_id, created_at DESC, seq DESC);
CREATE INDEX runs_by_status ON runs(status, created_at DESC, seq DESC);
CREATE TABLE run_status_history (
  seq BIGSERIAL PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id),
  status TEXT NOT NULL,
  at DOUBLE PRECISION NOT NULL
);
CREATE INDEX status_history_by_run ON run_status_history(run_id, seq);
CREATE TABLE metrics (
  seq BIGSERIAL PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id),
  name TEXT NOT NULL,
  step BIGINT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  wall_time DOUBLE PRECISION NOT NULL
);
CREATE INDEX metrics_by_series ON metrics(run_id, name, step, seq);
CREATE TABLE metric_latest (
  run_id TEXT NOT NULL REFERENCES runs(id),
  name TEXT NOT NULL,
  step BIGINT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  wall_time DOUBLE PRECISION NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (run_id, name)
);
CREATE INDEX metric_latest_by_name ON metric_latest(name, value);
)sql"},
      {2, R"sql(
CREATE TABLE compute_targets (
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  max_concurrent BIGINT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at DOUBLE PRECISION NOT NULL
);
INSERT INTO compute_targets(name, type, max_concurrent, description, created_at)
  VALUES ('local', 'local', 2, 'this machine', EXTRACT(EPOCH FROM now())::DOUBLE PRECISION);
ALTER TABLE runs ADD COLUMN spec TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN code_snapshot TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN timeout DOUBLE PRECISION;
ALTER TABLE runs ADD COLUMN pid BIGINT;
ALTER TABLE runs ADD COLUMN pid_start BIGINT;
ALTER TABLE runs ADD COLUMN agent_pid BIGINT;
ALTER TABLE runs ADD COLUMN tracking_offset BIGINT NOT NULL DEFAULT 0;
CREATE INDEX runs_by_compute_status ON runs(compute, status, created_at, seq);
CREATE TABLE run_files (
  run_id TEXT NOT NULL REFERENCES runs(id),
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL,
  created_at DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (run_id, path)
);
CREATE TABLE metric_rows (
  seq BIGSERIAL PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id),
  name TEXT NOT NULL,
  row TEXT NOT NULL,
  wall_time DOUBLE PRECISION NOT NULL
);
CREATE INDEX metric_rows_by_run ON metric_rows(run_id, name, seq);
CREATE TABLE metric_images (
  seq BIGSERIAL PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id),
  name TEXT NOT NULL,
  step BIGINT NOT NULL,
  path TEXT NOT NULL,
  wall_time DOUBLE PRECISION NOT NULL
);
CREATE INDEX metric_images_by_run ON metric_images(run_id, name, step);
)sql"},
      // Values point at their series by an integer (as SQLite's migration 3).
      {3, R"sql(
CREATE TABLE metric_series (
  id BIGSERIAL PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id),
  name TEXT NOT NULL,
  UNIQUE (run_id, name)
);
CREATE TABLE metric_values (
  seq BIGSERIAL PRIMARY KEY,
  series_id BIGINT NOT NULL REFERENCES metric_series(id),
  step BIGINT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  wall_time DOUBLE PRECISION NOT NULL
);
CREATE INDEX metric_values_by_series ON metric_values(series_id, step, seq);
INSERT INTO metric_series(run_id, name)
  SELECT DISTINCT run_id, name FROM metrics ORDER BY run_id, name;
INSERT INTO metric_values(seq, series_id, step, value, wall_time)
  SELECT m.seq, s.id, m.step, m.value, m.wall_time
  FROM metrics m JOIN metric_series s ON s.run_id = m.run_id AND s.name = m.name;
SELECT setval(pg_get_serial_sequence('metric_values', 'seq'),
              (SELECT COALESCE(MAX(seq), 0) + 1 FROM metric_values), false);
DROP TABLE metrics;
)sql"},
      {4, R"sql(
CREATE TABLE datasets (
  name TEXT NOT NULL,
  version BIGINT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  manifest TEXT NOT NULL,
  file_count BIGINT NOT NULL,
  total_bytes BIGINT NOT NULL,
  sources TEXT NOT NULL DEFAULT '[]',
  created_at DOUBLE PRECISION NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  archived BOOLEAN NOT NULL DEFAULT false,
  PRIMARY KEY (name, version)
);
CREATE TABLE run_inputs (
  run_id TEXT NOT NULL REFERENCES runs(id),
  input TEXT NOT NULL,
  dataset TEXT NOT NULL,
  version BIGINT NOT NULL,
  manifest TEXT NOT NULL,
  mode TEXT NOT NULL,
  PRIMARY KEY (run_id, input),
  FOREIGN KEY (dataset, version) REFERENCES datasets(name, version)
);
CREATE INDEX run_inputs_by_dataset ON run_inputs(dataset, version);
)sql"},
      // The model registry: model_names keeps the highest version each name ever had, so a
      // deleted version's number is never given again. Tags and properties are JSONB objects.
      {5, R"sql(
CREATE TABLE model_names (
  name TEXT PRIMARY KEY,
  last_version BIGINT NOT NULL
);
CREATE TABLE models (
  name TEXT NOT NULL REFERENCES model_names(name),
  version BIGINT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  manifest TEXT NOT NULL,
  file_count BIGINT NOT NULL,
  total_bytes BIGINT NOT NULL,
  run_id TEXT REFERENCES runs(id),
  source_path TEXT NOT NULL DEFAULT '',
  tags JSONB NOT NULL DEFAULT '{}',
  properties JSONB NOT NULL DEFAULT '{}',
  created_at DOUBLE PRECISION NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (name, version)
);
CREATE INDEX models_by_run ON models(run_id);
)sql"},
      // Who submitted each run; properties recorded as it goes; a target's threads per job.
      // Recorded environments lose every value not on the allow-list.
      {6, R"sql(
ALTER TABLE runs ADD COLUMN submitter_uid BIGINT;
ALTER TABLE runs ADD COLUMN submitter_name TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN properties TEXT NOT NULL DEFAULT '{}';
ALTER TABLE compute_targets ADD COLUMN threads_per_job BIGINT;
)sql",
       scrub_recorded_environments, true},
      // Environments: versioned Python specs.
      {7, R"sql(
CREATE TABLE environments (
  name TEXT NOT NULL,
  version BIGINT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  spec TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  build_hash TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  source_kind TEXT NOT NULL,
  created_at DOUBLE PRECISION NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  archived BOOLEAN NOT NULL DEFAULT false,
  anonymous BOOLEAN NOT NULL DEFAULT false,
  PRIMARY KEY (name, version)
);
CREATE INDEX environments_by_build ON environments(build_hash);
)sql"},
      // Sweeps: a run's parent and job type, and each trial's index (taken once) and parameters.
      {8, R"sql(
ALTER TABLE runs ADD COLUMN parent_id TEXT REFERENCES runs(id);
ALTER TABLE runs ADD COLUMN job_type TEXT NOT NULL DEFAULT '';
UPDATE runs SET job_type = 'command' WHERE spec <> '';
CREATE INDEX runs_by_parent ON runs(parent_id);
CREATE TABLE sweep_trials (
  sweep_id TEXT NOT NULL REFERENCES runs(id),
  trial_index BIGINT NOT NULL,
  run_id TEXT NOT NULL UNIQUE REFERENCES runs(id),
  parameters TEXT NOT NULL,
  PRIMARY KEY (sweep_id, trial_index)
);
)sql"},
      // Access control: users with a role, API tokens as an id and an argon2id hash.
      {9, R"sql(
CREATE TABLE users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('reader', 'contributor', 'owner')),
  created_at DOUBLE PRECISION NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  disabled BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  user_name TEXT NOT NULL REFERENCES users(name),
  secret_hash TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at DOUBLE PRECISION NOT NULL,
  expires_at DOUBLE PRECISION,
  revoked_at DOUBLE PRECISION
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_name);
)sql"},
      // What MLflow's API keeps (docs/mlflow.md): an experiment's lifecycle and tags, a run's
      // parameters and deletion, registered models with no version. updated_at stays NULL for an
      // experiment create_run made (read as its created_at).
      {10, R"sql(
ALTER TABLE experiments ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE experiments ADD COLUMN updated_at DOUBLE PRECISION;
CREATE TABLE experiment_tags (
  experiment_id BIGINT NOT NULL REFERENCES experiments(id),
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
  deleted_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE registered_models (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  created_at DOUBLE PRECISION NOT NULL,
  updated_at DOUBLE PRECISION NOT NULL
);
)sql"},
      // Runs searched by a metric (Store::search_runs): the name's index holds the run id too.
      {11, R"sql(
DROP INDEX metric_latest_by_name;
CREATE INDEX metric_latest_by_name ON metric_latest(name, value, run_id);
)sql"},
      // Idempotency keys of metric batches (Store::log_metrics_once), as SQLite's.
      {12, R"sql(
CREATE TABLE idempotency_keys (
  run_id TEXT NOT NULL REFERENCES runs(id),
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  answer TEXT NOT NULL,
  created_at DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (run_id, key)
);
)sql"},
      // Online endpoints, as SQLite's: settings as store JSON with their model in columns (what
      // delete_model_version checks), sealed keys, what the agent observed, the state changes
      // and the model each generation named.
      {13, R"sql(
CREATE TABLE endpoints (
  name TEXT PRIMARY KEY,
  settings TEXT NOT NULL,
  model_name TEXT NOT NULL,
  model_version BIGINT NOT NULL,
  generation BIGINT NOT NULL,
  sealed_keys TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  port BIGINT NOT NULL DEFAULT 0,
  served_generation BIGINT NOT NULL DEFAULT 0,
  served_model_version BIGINT NOT NULL DEFAULT 0,
  pid BIGINT NOT NULL DEFAULT 0,
  pid_start TEXT NOT NULL DEFAULT '',
  restarts BIGINT NOT NULL DEFAULT 0,
  owner_uid BIGINT NOT NULL,
  created_by TEXT NOT NULL DEFAULT '',
  created_at DOUBLE PRECISION NOT NULL,
  updated_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX endpoints_by_model ON endpoints(model_name, model_version);
CREATE TABLE endpoint_generations (
  endpoint TEXT NOT NULL REFERENCES endpoints(name),
  generation BIGINT NOT NULL,
  model_name TEXT NOT NULL,
  model_version BIGINT NOT NULL,
  PRIMARY KEY (endpoint, generation)
);
CREATE TABLE endpoint_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  endpoint TEXT NOT NULL REFERENCES endpoints(name),
  time DOUBLE PRECISION NOT NULL,
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
  series_id BIGINT PRIMARY KEY REFERENCES metric_series(id),
  points BIGINT NOT NULL,
  last_step BIGINT NOT NULL
);
CREATE TABLE metric_blocks (
  series_id BIGINT NOT NULL REFERENCES metric_series(id),
  block BIGINT NOT NULL,
  n BIGINT NOT NULL,
  lo_index BIGINT NOT NULL,
  lo_step BIGINT NOT NULL,
  lo_value DOUBLE PRECISION NOT NULL,
  lo_time DOUBLE PRECISION NOT NULL,
  hi_index BIGINT NOT NULL,
  hi_step BIGINT NOT NULL,
  hi_value DOUBLE PRECISION NOT NULL,
  hi_time DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (series_id, block)
);
)sql"},
      // Slurm compute targets (docs/slurm.md): partition, node limit, account, QoS, time limit.
      {15, R"sql(
ALTER TABLE compute_targets ADD COLUMN partition TEXT NOT NULL DEFAULT '';
ALTER TABLE compute_targets ADD COLUMN max_nodes BIGINT;
ALTER TABLE compute_targets ADD COLUMN account TEXT NOT NULL DEFAULT '';
ALTER TABLE compute_targets ADD COLUMN qos TEXT NOT NULL DEFAULT '';
ALTER TABLE compute_targets ADD COLUMN time_limit TEXT NOT NULL DEFAULT '';
)sql"},
  };
  return all;
}

}  // namespace glia::platform::pg
