// The SQLite store's metrics: scalar series with an indexed latest value per name, table rows,
// images, and the tracking-file batches a job's agent applies together with their file offset.
#include <unordered_map>

#include "glia/error.hpp"
#include "store/sqlite_store.hpp"

namespace glia::platform::sqlite {

void SqliteStore::insert_metrics(const std::string& run_id,
                                 const std::vector<MetricPoint>& points) {
  if (points.empty()) return;
  // Every value is a row of its series; the latest value of each name is upserted once per
  // batch (not once per value), with the count of values added.
  struct Latest {
    int64_t series = -1;  // the series' id
    int64_t base = -1;    // values stored before this batch (looked up when a step is implied)
    int64_t added = 0, step = 0;
    double value = 0, wall_time = 0;
    std::optional<metric_blocks::Summary> summary;  // none: the series is not summarized
    std::vector<MetricPoint> added_points;          // steps resolved, for the summary
  };
  std::unordered_map<std::string, Latest> latest;
  Stmt ins(db_, "INSERT INTO metric_values(series_id, step, value, wall_time) VALUES (?,?,?,?)");
  Stmt add_series(db_, "INSERT OR IGNORE INTO metric_series(run_id, name) VALUES (?, ?)");
  Stmt find_series(db_, "SELECT id FROM metric_series WHERE run_id = ? AND name = ?");
  Stmt count(db_, "SELECT count FROM metric_latest WHERE run_id = ? AND name = ?");
  for (const MetricPoint& p : points) {
    if (p.name.empty()) throw Error("run '" + run_id + "': a metric needs a name");
    Latest& l = latest[p.name];
    if (l.series < 0) {
      add_series.bind(1, run_id).bind(2, p.name);
      add_series.run();
      find_series.bind(1, run_id).bind(2, p.name);
      find_series.step();
      l.series = find_series.int64(0);
      find_series.reset();
      l.summary = series_summary(db_, l.series);
    }
    int64_t step = p.step;
    if (step == MetricPoint::kNextStep) {
      if (l.base < 0) {
        count.bind(1, run_id).bind(2, p.name);
        l.base = count.step() ? count.int64(0) : 0;
        count.reset();
      }
      step = l.base + l.added;
    }
    ins.bind(1, l.series).bind(2, step).bind(3, p.value).bind(4, p.wall_time);
    ins.run();
    if (l.summary) l.added_points.push_back({p.name, step, p.value, p.wall_time});
    ++l.added;
    l.step = step;
    l.value = p.value;
    l.wall_time = p.wall_time;
  }
  Stmt upsert(db_,
              "INSERT INTO metric_latest(run_id, name, step, value, wall_time, count) "
              "VALUES (?1,?2,?3,?4,?5,?6) ON CONFLICT(run_id, name) DO UPDATE SET "
              "step = ?3, value = ?4, wall_time = ?5, count = count + ?6");
  for (const auto& [name, l] : latest) {
    upsert.bind(1, run_id).bind(2, name).bind(3, l.step).bind(4, l.value).bind(5, l.wall_time);
    upsert.bind(6, l.added);
    upsert.run();
    if (l.summary) append_blocks(db_, l.series, *l.summary, l.added_points);
  }
}

void SqliteStore::log_metrics(const std::string& run_id, const std::vector<MetricPoint>& points) {
  if (points.empty()) return;
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  require_run(run_id);
  insert_metrics(run_id, points);
  tx.commit();
}

std::optional<std::string> SqliteStore::log_metrics_once(const std::string& run_id,
                                                         const std::vector<MetricPoint>& points,
                                                         const std::string& key,
                                                         const std::string& fingerprint,
                                                         const std::string& answer) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);  // BEGIN IMMEDIATE: two requests with one key are applied one after another
  require_run(run_id);
  {
    Stmt seen(db_, "SELECT fingerprint, answer FROM idempotency_keys WHERE run_id = ? AND key = ?");
    seen.bind(1, run_id).bind(2, key);
    if (seen.step()) {
      if (seen.text(0) != fingerprint)
        throw Error(ErrorKind::Conflict, "run '" + run_id + "': idempotency key '" + key +
                                             "' was used for another request");
      return seen.text(1);
    }
  }
  insert_metrics(run_id, points);
  Stmt(db_,
       "INSERT INTO idempotency_keys(run_id, key, fingerprint, answer, created_at) "
       "VALUES (?, ?, ?, ?, ?)")
      .bind(1, run_id)
      .bind(2, key)
      .bind(3, fingerprint)
      .bind(4, answer)
      .bind(5, now_seconds())
      .run();
  tx.commit();
  return std::nullopt;
}

std::vector<MetricPoint> SqliteStore::metric_series(const std::string& run_id,
                                                    const std::string& name) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT v.step, v.value, v.wall_time FROM metric_values v "
         "JOIN metric_series s ON s.id = v.series_id WHERE s.run_id = ? AND s.name = ? "
         "ORDER BY v.step, v.seq");
  s.bind(1, run_id).bind(2, name);
  std::vector<MetricPoint> out;
  while (s.step()) out.push_back({name, s.int64(0), s.real(1), s.real(2)});
  return out;
}

std::vector<MetricPoint> SqliteStore::metric_series_from(const std::string& run_id,
                                                         const std::string& name, size_t from,
                                                         size_t& total) {
  std::lock_guard lock(mu_);
  Stmt count(db_,
             "SELECT COUNT(*) FROM metric_values v JOIN metric_series s ON s.id = v.series_id "
             "WHERE s.run_id = ? AND s.name = ?");
  count.bind(1, run_id).bind(2, name);
  total = count.step() ? static_cast<size_t>(count.int64(0)) : 0;
  std::vector<MetricPoint> out;
  if (from >= total) return out;
  Stmt s(db_,
         "SELECT v.step, v.value, v.wall_time FROM metric_values v "
         "JOIN metric_series s ON s.id = v.series_id WHERE s.run_id = ? AND s.name = ? "
         "ORDER BY v.step, v.seq LIMIT -1 OFFSET ?");
  s.bind(1, run_id).bind(2, name).bind(3, static_cast<int64_t>(from));
  while (s.step()) out.push_back({name, s.int64(0), s.real(1), s.real(2)});
  return out;
}

std::map<std::string, MetricPoint> SqliteStore::latest_metrics(const std::string& run_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT name, step, value, wall_time FROM metric_latest WHERE run_id = ?");
  s.bind(1, run_id);
  std::map<std::string, MetricPoint> out;
  while (s.step()) out[s.text(0)] = {s.text(0), s.int64(1), s.real(2), s.real(3)};
  return out;
}

bool SqliteStore::apply_tracking(const std::string& run_id, const TrackingBatch& batch,
                                 int64_t new_offset, std::optional<int64_t> expected_offset) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  Stmt cur(db_, "SELECT tracking_offset FROM runs WHERE id = ?");
  cur.bind(1, run_id);
  if (!cur.step()) throw Error(ErrorKind::NotFound, "unknown run '" + run_id + "'");
  if (expected_offset && cur.int64(0) != *expected_offset) return false;  // applied elsewhere
  cur.reset();
  insert_metrics(run_id, batch.metrics);
  Stmt row(db_, "INSERT INTO metric_rows(run_id, name, row, wall_time) VALUES (?,?,?,?)");
  for (const MetricRow& r : batch.rows) {
    row.bind(1, run_id).bind(2, r.name).bind(3, r.row_json).bind(4, r.wall_time);
    row.run();
  }
  insert_files(run_id, batch.files);
  Stmt img(db_,
           "INSERT INTO metric_images(run_id, name, step, path, wall_time) VALUES (?,?,?,?,?)");
  for (const MetricImage& i : batch.images) {
    img.bind(1, run_id).bind(2, i.name).bind(3, i.step).bind(4, i.path).bind(5, i.wall_time);
    img.run();
  }
  merge_tags(run_id, batch.tags);
  Stmt(db_, "UPDATE runs SET tracking_offset = ? WHERE id = ?")
      .bind(1, new_offset)
      .bind(2, run_id)
      .run();
  tx.commit();
  return true;
}

int64_t SqliteStore::tracking_offset(const std::string& run_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT tracking_offset FROM runs WHERE id = ?");
  s.bind(1, run_id);
  if (!s.step()) throw Error(ErrorKind::NotFound, "unknown run '" + run_id + "'");
  return s.int64(0);
}

std::vector<MetricRow> SqliteStore::metric_rows(const std::string& run_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT name, row, wall_time FROM metric_rows WHERE run_id = ? ORDER BY name, seq");
  s.bind(1, run_id);
  std::vector<MetricRow> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.real(2)});
  return out;
}

std::vector<MetricImage> SqliteStore::metric_images(const std::string& run_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT name, step, path, wall_time FROM metric_images WHERE run_id = ? "
         "ORDER BY name, step, seq");
  s.bind(1, run_id);
  std::vector<MetricImage> out;
  while (s.step()) out.push_back({s.text(0), s.int64(1), s.text(2), s.real(3)});
  return out;
}

}  // namespace glia::platform::sqlite
