// The PostgreSQL store's metrics: scalar series with an indexed latest value per name, table rows,
// images, and the tracking-file batches a job's agent applies together with their file offset.
#include "glia/error.hpp"
#include "store/pg_store.hpp"

namespace glia::platform::pg {

namespace {

// A PostgreSQL array literal of numbers ("{1,2,3}").
template <class T, class F>
std::string array_of(const std::vector<T>& items, F&& text) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += text(items[i]);
  }
  return out + "}";
}

// The run must exist (runs are never deleted, so no lock is needed).
void require_run(Tx& tx, const std::string& id) {
  if (exec(tx, "SELECT 1 FROM runs WHERE id = $1", id).empty())
    throw Error(ErrorKind::NotFound, "unknown run '" + id + "'");
}

}  // namespace

void PgStore::insert_metrics(Tx& tx, const std::string& run_id,
                             const std::vector<MetricPoint>& points) {
  if (points.empty()) return;
  for (const MetricPoint& p : points)
    if (p.name.empty()) throw Error("run '" + run_id + "': a metric needs a name");
  struct Latest {
    int64_t series = -1;
    int64_t base = 0;  // values stored before this batch (read when a step is implied)
    bool implied = false;
    int64_t added = 0, step = 0;
    double value = 0, wall_time = 0;
    std::optional<metric_blocks::Summary> summary;  // none: the series is not summarized
    std::vector<MetricPoint> added_points;          // steps resolved, for the summary
  };
  std::map<std::string, Latest> latest;  // by name: every writer locks series in one order
  for (const MetricPoint& p : points) latest[p.name].implied |= p.step == MetricPoint::kNextStep;
  for (auto& [name, l] : latest) {
    // The series' row is locked until the transaction ends: concurrent writers of one series
    // take their implied steps one after the other.
    const char* find =
        "SELECT id FROM metric_series WHERE run_id = $1 AND name = $2 FOR NO KEY UPDATE";
    auto found = exec(tx, find, run_id, name);
    if (found.empty()) {
      found = exec(tx,
                   "INSERT INTO metric_series(run_id, name) VALUES ($1, $2) "
                   "ON CONFLICT (run_id, name) DO NOTHING RETURNING id",
                   run_id, name);
      if (found.empty()) found = exec(tx, find, run_id, name);  // made by another writer
    }
    l.series = found[0][0].as<int64_t>();
    l.summary = series_summary(tx, l.series);
    if (l.implied) {
      auto count =
          exec(tx, "SELECT count FROM metric_latest WHERE run_id = $1 AND name = $2", run_id, name);
      l.base = count.empty() ? 0 : count[0][0].as<int64_t>();
    }
  }
  std::vector<int64_t> series, steps;
  std::vector<double> values, times;
  for (const MetricPoint& p : points) {
    Latest& l = latest[p.name];
    const int64_t step = p.step == MetricPoint::kNextStep ? l.base + l.added : p.step;
    series.push_back(l.series);
    steps.push_back(step);
    values.push_back(p.value);
    times.push_back(p.wall_time);
    if (l.summary) l.added_points.push_back({p.name, step, p.value, p.wall_time});
    ++l.added;
    l.step = step;
    l.value = p.value;
    l.wall_time = p.wall_time;
  }
  auto integer = [](int64_t v) { return std::to_string(v); };
  auto real = [](double v) { return f8(v); };
  // One statement for the batch, in logging order (seq follows the ordinality).
  exec(tx,
       "INSERT INTO metric_values(series_id, step, value, wall_time) "
       "SELECT s, st, v, w FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::float8[]) "
       "WITH ORDINALITY AS t(s, st, v, w, o) ORDER BY o",
       array_of(series, integer), array_of(steps, integer), array_of(values, real),
       array_of(times, real));
  for (const auto& [name, l] : latest)
    exec(tx,
         "INSERT INTO metric_latest(run_id, name, step, value, wall_time, count) "
         "VALUES ($1, $2, $3, $4::float8, $5::float8, $6) ON CONFLICT (run_id, name) DO UPDATE "
         "SET step = EXCLUDED.step, value = EXCLUDED.value, wall_time = EXCLUDED.wall_time, "
         "count = metric_latest.count + EXCLUDED.count",
         run_id, name, l.step, f8(l.value), f8(l.wall_time), l.added);
  for (const auto& [name, l] : latest)
    if (l.summary) append_blocks(tx, l.series, *l.summary, l.added_points);
}

void PgStore::log_metrics(const std::string& run_id, const std::vector<MetricPoint>& points) {
  if (points.empty()) return;
  pool_.write([&](Tx& tx) {
    require_run(tx, run_id);
    insert_metrics(tx, run_id, points);
  });
}

std::optional<std::string> PgStore::log_metrics_once(const std::string& run_id,
                                                     const std::vector<MetricPoint>& points,
                                                     const std::string& key,
                                                     const std::string& fingerprint,
                                                     const std::string& answer) {
  std::optional<std::string> out;
  pool_.write([&](Tx& tx) {
    out.reset();
    // The run's row lock serializes two requests with one key: the second finds the first's.
    lock_run(tx, run_id);
    auto seen = exec(tx,
                     "SELECT fingerprint, answer FROM idempotency_keys "
                     "WHERE run_id = $1 AND key = $2",
                     run_id, key);
    if (!seen.empty()) {
      if (read_text(seen[0][0]) != fingerprint)
        throw Error(ErrorKind::Conflict, "run '" + run_id + "': idempotency key '" + key +
                                             "' was used for another request");
      out = read_text(seen[0][1]);
      return;
    }
    insert_metrics(tx, run_id, points);
    exec(tx,
         "INSERT INTO idempotency_keys(run_id, key, fingerprint, answer, created_at) "
         "VALUES ($1, $2, $3, $4, $5::float8)",
         run_id, key, fingerprint, answer, f8(now_seconds()));
  });
  return out;
}

std::vector<MetricPoint> PgStore::metric_series_from(const std::string& run_id,
                                                     const std::string& name, size_t from,
                                                     size_t& total) {
  std::vector<MetricPoint> out;
  pool_.read([&](Tx& tx) {
    const auto count = exec(tx,
                            "SELECT COUNT(*) FROM metric_values v JOIN metric_series s ON "
                            "s.id = v.series_id WHERE s.run_id = $1 AND s.name = $2",
                            run_id, name);
    total = count.empty() ? 0 : count[0][0].as<size_t>();
    out.clear();
    if (from >= total) return;
    auto res = exec(tx,
                    "SELECT v.step, v.value, v.wall_time FROM metric_values v "
                    "JOIN metric_series s ON s.id = v.series_id WHERE s.run_id = $1 AND "
                    "s.name = $2 ORDER BY v.step, v.seq OFFSET $3",
                    run_id, name, static_cast<int64_t>(from));
    out.reserve(res.size());
    for (const auto& row : res)
      out.push_back({name, row[0].as<int64_t>(), read_f8(row[1]), read_f8(row[2])});
  });
  return out;
}

std::vector<MetricPoint> PgStore::metric_series(const std::string& run_id,
                                                const std::string& name) {
  std::vector<MetricPoint> out;
  pool_.read([&](Tx& tx) {
    auto res =
        exec(tx,
             "SELECT v.step, v.value, v.wall_time FROM metric_values v "
             "JOIN metric_series s ON s.id = v.series_id WHERE s.run_id = $1 AND s.name = $2 "
             "ORDER BY v.step, v.seq",
             run_id, name);
    out.clear();
    out.reserve(res.size());
    for (const auto& row : res)
      out.push_back({name, row[0].as<int64_t>(), read_f8(row[1]), read_f8(row[2])});
  });
  return out;
}

std::map<std::string, MetricPoint> PgStore::latest_metrics(const std::string& run_id) {
  std::map<std::string, MetricPoint> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(tx, "SELECT name, step, value, wall_time FROM metric_latest WHERE run_id = $1",
                    run_id);
    out.clear();
    for (const auto& row : res) {
      const std::string name = read_text(row[0]);
      out[name] = {name, row[1].as<int64_t>(), read_f8(row[2]), read_f8(row[3])};
    }
  });
  return out;
}

bool PgStore::apply_tracking(const std::string& run_id, const TrackingBatch& batch,
                             int64_t new_offset, std::optional<int64_t> expected_offset) {
  bool applied = false;
  pool_.write([&](Tx& tx) {
    applied = false;
    // The run's row is locked: a second reader of the same file waits, then sees the new offset.
    auto cur = exec(tx, "SELECT tracking_offset FROM runs WHERE id = $1 FOR NO KEY UPDATE", run_id);
    if (cur.empty()) throw Error(ErrorKind::NotFound, "unknown run '" + run_id + "'");
    if (expected_offset && cur[0][0].as<int64_t>() != *expected_offset) return;
    insert_metrics(tx, run_id, batch.metrics);
    for (const MetricRow& r : batch.rows)
      exec(tx,
           "INSERT INTO metric_rows(run_id, name, row, wall_time) VALUES ($1, $2, $3, $4::float8)",
           run_id, r.name, r.row_json, f8(r.wall_time));
    insert_files(tx, run_id, batch.files);
    for (const MetricImage& i : batch.images)
      exec(tx,
           "INSERT INTO metric_images(run_id, name, step, path, wall_time) "
           "VALUES ($1, $2, $3, $4, $5::float8)",
           run_id, i.name, i.step, i.path, f8(i.wall_time));
    merge_tags(tx, run_id, batch.tags);
    exec(tx, "UPDATE runs SET tracking_offset = $1 WHERE id = $2", new_offset, run_id);
    applied = true;
  });
  return applied;
}

int64_t PgStore::tracking_offset(const std::string& run_id) {
  int64_t out = 0;
  pool_.read([&](Tx& tx) {
    auto res = exec(tx, "SELECT tracking_offset FROM runs WHERE id = $1", run_id);
    if (res.empty()) throw Error(ErrorKind::NotFound, "unknown run '" + run_id + "'");
    out = res[0][0].as<int64_t>();
  });
  return out;
}

std::vector<MetricRow> PgStore::metric_rows(const std::string& run_id) {
  std::vector<MetricRow> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(tx,
                    "SELECT name, row, wall_time FROM metric_rows WHERE run_id = $1 "
                    "ORDER BY name COLLATE \"C\", seq",
                    run_id);
    out.clear();
    for (const auto& row : res)
      out.push_back({read_text(row[0]), read_text(row[1]), read_f8(row[2])});
  });
  return out;
}

std::vector<MetricImage> PgStore::metric_images(const std::string& run_id) {
  std::vector<MetricImage> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(tx,
                    "SELECT name, step, path, wall_time FROM metric_images WHERE run_id = $1 "
                    "ORDER BY name COLLATE \"C\", step, seq",
                    run_id);
    out.clear();
    for (const auto& row : res)
      out.push_back({read_text(row[0]), row[1].as<int64_t>(), read_text(row[2]), read_f8(row[3])});
  });
  return out;
}

}  // namespace glia::platform::pg
