// The SQLite store's metric block summaries (migration 14, store/metric_blocks.hpp): kept as
// points are logged, and a min/max downsample answered from them.
#include <algorithm>

#include "glia/error.hpp"
#include "store/metric_blocks.hpp"
#include "store/sqlite_store.hpp"

namespace glia::platform::sqlite {

namespace mb = metric_blocks;

namespace {

constexpr const char* kBlockColumns =
    "n, lo_index, lo_step, lo_value, lo_time, hi_index, hi_step, hi_value, hi_time";

mb::Block block_of_row(const Stmt& s, const std::string& name) {
  mb::Block b;
  b.n = s.int64(0);
  b.lo = {s.int64(1), {name, s.int64(2), s.real(3), s.real(4)}};
  b.hi = {s.int64(5), {name, s.int64(6), s.real(7), s.real(8)}};
  return b;
}

void write_blocks(Db& db, int64_t series, const mb::Summary& summary,
                  const std::map<int64_t, mb::Block>& blocks) {
  Stmt(db,
       "INSERT INTO metric_summaries(series_id, points, last_step) VALUES (?1,?2,?3) "
       "ON CONFLICT(series_id) DO UPDATE SET points = ?2, last_step = ?3")
      .bind(1, series)
      .bind(2, summary.points)
      .bind(3, summary.last_step)
      .run();
  Stmt put(db, std::string("INSERT INTO metric_blocks(series_id, block, ") + kBlockColumns +
                   ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11) ON CONFLICT(series_id, block) "
                   "DO UPDATE SET n = ?3, lo_index = ?4, lo_step = ?5, lo_value = ?6, "
                   "lo_time = ?7, hi_index = ?8, hi_step = ?9, hi_value = ?10, hi_time = ?11");
  for (const auto& [k, b] : blocks) {
    put.bind(1, series).bind(2, k).bind(3, b.n);
    put.bind(4, b.lo.index).bind(5, b.lo.point.step).bind(6, b.lo.point.value);
    put.bind(7, b.lo.point.wall_time);
    put.bind(8, b.hi.index).bind(9, b.hi.point.step).bind(10, b.hi.point.value);
    put.bind(11, b.hi.point.wall_time);
    put.run();
  }
}

void drop_blocks(Db& db, int64_t series) {
  Stmt(db, "DELETE FROM metric_summaries WHERE series_id = ?").bind(1, series).run();
  Stmt(db, "DELETE FROM metric_blocks WHERE series_id = ?").bind(1, series).run();
}

// The whole series, by step then logging order.
std::vector<MetricPoint> read_series(Db& db, int64_t series, const std::string& name) {
  Stmt s(db,
         "SELECT step, value, wall_time FROM metric_values WHERE series_id = ? "
         "ORDER BY step, seq");
  s.bind(1, series);
  std::vector<MetricPoint> out;
  while (s.step()) out.push_back({name, s.int64(0), s.real(1), s.real(2)});
  return out;
}

// A summary made again from the whole series (logged before migration 14, or out of order).
void rebuild(Db& db, int64_t series, const std::vector<MetricPoint>& points) {
  drop_blocks(db, series);
  std::map<int64_t, mb::Block> blocks;
  const auto all = mb::summarize(points);
  for (size_t k = 0; k < all.size(); ++k) blocks[static_cast<int64_t>(k)] = all[k];
  int64_t last = points.empty() ? 0 : points.back().step;
  write_blocks(db, series, {static_cast<int64_t>(points.size()), last}, blocks);
}

}  // namespace

std::optional<mb::Summary> series_summary(Db& db, int64_t series) {
  Stmt s(db, "SELECT points, last_step FROM metric_summaries WHERE series_id = ?");
  s.bind(1, series);
  if (s.step()) return mb::Summary{s.int64(0), s.int64(1)};
  Stmt any(db, "SELECT 1 FROM metric_values WHERE series_id = ? LIMIT 1");
  any.bind(1, series);
  if (!any.step()) return mb::Summary{};  // a new series: summarized from its first point
  return std::nullopt;
}

void append_blocks(Db& db, int64_t series, const mb::Summary& summary,
                   const std::vector<MetricPoint>& points) {
  if (points.empty()) return;
  const std::string& name = points.front().name;
  const auto update = mb::append(summary, points, [&](int64_t k) {
    Stmt s(db, std::string("SELECT ") + kBlockColumns +
                   " FROM metric_blocks WHERE series_id = ? AND block = ?");
    s.bind(1, series).bind(2, k);
    if (!s.step()) throw Error(ErrorKind::Internal, "metric block summary missing");
    return block_of_row(s, name);
  });
  if (update.valid)
    write_blocks(db, series, update.summary, update.blocks);
  else
    drop_blocks(db, series);
}

DownsampledSeries SqliteStore::metric_series_minmax(const std::string& run_id,
                                                    const std::string& name, size_t max_points) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);  // one snapshot; a missing summary is rebuilt in it
  Stmt find(db_, "SELECT id FROM metric_series WHERE run_id = ? AND name = ?");
  find.bind(1, run_id).bind(2, name);
  if (!find.step()) return {};
  const int64_t series = find.int64(0);
  std::optional<int64_t> n;
  {
    Stmt s(db_, "SELECT points FROM metric_summaries WHERE series_id = ?");
    s.bind(1, series);
    if (s.step()) n = s.int64(0);
  }
  std::vector<mb::Block> stored;
  if (n && mb::answers(*n, max_points)) {
    Stmt s(db_, std::string("SELECT ") + kBlockColumns +
                    " FROM metric_blocks WHERE series_id = ? AND block < ? ORDER BY block");
    s.bind(1, series).bind(2, mb::stored_blocks(*n));
    while (s.step()) stored.push_back(block_of_row(s, name));
  }
  if (!n || !mb::answers(*n, max_points) ||
      static_cast<int64_t>(stored.size()) != mb::stored_blocks(*n)) {
    const auto all = read_series(db_, series, name);
    if (!n || static_cast<int64_t>(all.size()) != *n) rebuild(db_, series, all);
    tx.commit();
    return {mb::downsample_read(all, max_points), static_cast<int64_t>(all.size())};
  }
  Stmt first(db_,
             "SELECT step, value, wall_time FROM metric_values WHERE series_id = ? "
             "ORDER BY step, seq LIMIT 1");
  first.bind(1, series);
  first.step();
  const MetricPoint head{name, first.int64(0), first.real(1), first.real(2)};
  Stmt last(db_,
            "SELECT step, value, wall_time FROM metric_values WHERE series_id = ? "
            "ORDER BY step DESC, seq DESC LIMIT ?");
  last.bind(1, series).bind(2, mb::tail_points(*n));
  std::vector<MetricPoint> tail;
  while (last.step()) tail.push_back({name, last.int64(0), last.real(1), last.real(2)});
  std::reverse(tail.begin(), tail.end());
  tx.commit();
  return {mb::downsample(*n, max_points, head, stored, tail), *n, true};
}

}  // namespace glia::platform::sqlite
