// The SQLite store's schema, as numbered migrations. Append new ones; never edit an applied one.
#pragma once

#include <vector>

namespace glia::platform::sqlite {

struct Migration {
  int version;
  const char* sql;
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
  };
  return all;
}

}  // namespace glia::platform::sqlite
