// The PostgreSQL store's metric block summaries (migration 14, store/metric_blocks.hpp): kept as
// points are logged, and a min/max downsample answered from them.
#include <algorithm>

#include "glia/error.hpp"
#include "store/metric_blocks.hpp"
#include "store/pg_store.hpp"

namespace glia::platform::pg {

namespace mb = metric_blocks;

namespace {

constexpr const char* kBlockColumns =
    "n, lo_index, lo_step, lo_value, lo_time, hi_index, hi_step, hi_value, hi_time";

mb::Block block_of_row(const pqxx::row& r, const std::string& name) {
  mb::Block b;
  b.n = r[0].as<int64_t>();
  b.lo = {r[1].as<int64_t>(), {name, r[2].as<int64_t>(), read_f8(r[3]), read_f8(r[4])}};
  b.hi = {r[5].as<int64_t>(), {name, r[6].as<int64_t>(), read_f8(r[7]), read_f8(r[8])}};
  return b;
}

void write_blocks(Tx& tx, int64_t series, const mb::Summary& summary,
                  const std::map<int64_t, mb::Block>& blocks) {
  exec(tx,
       "INSERT INTO metric_summaries(series_id, points, last_step) VALUES ($1, $2, $3) "
       "ON CONFLICT (series_id) DO UPDATE SET points = EXCLUDED.points, "
       "last_step = EXCLUDED.last_step",
       series, summary.points, summary.last_step);
  for (const auto& [k, b] : blocks)
    exec(tx,
         std::string("INSERT INTO metric_blocks(series_id, block, ") + kBlockColumns +
             ") VALUES ($1, $2, $3, $4, $5, $6::float8, $7::float8, $8, $9, $10::float8, "
             "$11::float8) ON CONFLICT (series_id, block) DO UPDATE SET n = EXCLUDED.n, "
             "lo_index = EXCLUDED.lo_index, lo_step = EXCLUDED.lo_step, "
             "lo_value = EXCLUDED.lo_value, lo_time = EXCLUDED.lo_time, "
             "hi_index = EXCLUDED.hi_index, hi_step = EXCLUDED.hi_step, "
             "hi_value = EXCLUDED.hi_value, hi_time = EXCLUDED.hi_time",
         series, k, b.n, b.lo.index, b.lo.point.step, f8(b.lo.point.value),
         f8(b.lo.point.wall_time), b.hi.index, b.hi.point.step, f8(b.hi.point.value),
         f8(b.hi.point.wall_time));
}

void drop_blocks(Tx& tx, int64_t series) {
  exec(tx, "DELETE FROM metric_summaries WHERE series_id = $1", series);
  exec(tx, "DELETE FROM metric_blocks WHERE series_id = $1", series);
}

std::vector<MetricPoint> points_of(const pqxx::result& res, const std::string& name) {
  std::vector<MetricPoint> out;
  out.reserve(res.size());
  for (const auto& row : res)
    out.push_back({name, row[0].as<int64_t>(), read_f8(row[1]), read_f8(row[2])});
  return out;
}

// A summary made again from the whole series (logged before migration 14, or out of order).
void rebuild(Tx& tx, int64_t series, const std::vector<MetricPoint>& points) {
  drop_blocks(tx, series);
  std::map<int64_t, mb::Block> blocks;
  const auto all = mb::summarize(points);
  for (size_t k = 0; k < all.size(); ++k) blocks[static_cast<int64_t>(k)] = all[k];
  const int64_t last = points.empty() ? 0 : points.back().step;
  write_blocks(tx, series, {static_cast<int64_t>(points.size()), last}, blocks);
}

}  // namespace

std::optional<mb::Summary> series_summary(Tx& tx, int64_t series) {
  auto s = exec(tx, "SELECT points, last_step FROM metric_summaries WHERE series_id = $1", series);
  if (!s.empty()) return mb::Summary{s[0][0].as<int64_t>(), s[0][1].as<int64_t>()};
  if (exec(tx, "SELECT 1 FROM metric_values WHERE series_id = $1 LIMIT 1", series).empty())
    return mb::Summary{};  // a new series: summarized from its first point
  return std::nullopt;
}

void append_blocks(Tx& tx, int64_t series, const mb::Summary& summary,
                   const std::vector<MetricPoint>& points) {
  if (points.empty()) return;
  const std::string& name = points.front().name;
  const auto update = mb::append(summary, points, [&](int64_t k) {
    auto r = exec(tx,
                  std::string("SELECT ") + kBlockColumns +
                      " FROM metric_blocks WHERE series_id = $1 AND block = $2",
                  series, k);
    if (r.empty()) throw Error(ErrorKind::Internal, "metric block summary missing");
    return block_of_row(r[0], name);
  });
  if (update.valid)
    write_blocks(tx, series, update.summary, update.blocks);
  else
    drop_blocks(tx, series);
}

DownsampledSeries PgStore::metric_series_minmax(const std::string& run_id, const std::string& name,
                                                size_t max_points) {
  DownsampledSeries out;
  pool_.write([&](Tx& tx) {
    out = {};
    // The series' row locked as a writer locks it: one state of its points and summary, and a
    // missing summary rebuilt in this transaction.
    auto found = exec(tx,
                      "SELECT id FROM metric_series WHERE run_id = $1 AND name = $2 "
                      "FOR NO KEY UPDATE",
                      run_id, name);
    if (found.empty()) return;
    const int64_t series = found[0][0].as<int64_t>();
    std::optional<int64_t> n;
    auto s = exec(tx, "SELECT points FROM metric_summaries WHERE series_id = $1", series);
    if (!s.empty()) n = s[0][0].as<int64_t>();
    std::vector<mb::Block> stored;
    if (n && mb::answers(*n, max_points)) {
      auto rows = exec(tx,
                       std::string("SELECT ") + kBlockColumns +
                           " FROM metric_blocks WHERE series_id = $1 AND block < $2 "
                           "ORDER BY block",
                       series, mb::stored_blocks(*n));
      for (const auto& r : rows) stored.push_back(block_of_row(r, name));
    }
    if (!n || !mb::answers(*n, max_points) ||
        static_cast<int64_t>(stored.size()) != mb::stored_blocks(*n)) {
      const auto all = points_of(exec(tx,
                                      "SELECT step, value, wall_time FROM metric_values "
                                      "WHERE series_id = $1 ORDER BY step, seq",
                                      series),
                                 name);
      if (!n || static_cast<int64_t>(all.size()) != *n) rebuild(tx, series, all);
      out = {mb::downsample_read(all, max_points), static_cast<int64_t>(all.size())};
      return;
    }
    const auto head = points_of(exec(tx,
                                     "SELECT step, value, wall_time FROM metric_values "
                                     "WHERE series_id = $1 ORDER BY step, seq LIMIT 1",
                                     series),
                                name);
    auto tail = points_of(exec(tx,
                               "SELECT step, value, wall_time FROM metric_values "
                               "WHERE series_id = $1 ORDER BY step DESC, seq DESC LIMIT $2",
                               series, mb::tail_points(*n)),
                          name);
    std::reverse(tail.begin(), tail.end());
    out = {mb::downsample(*n, max_points, head.at(0), stored, tail), *n, true};
  });
  return out;
}

}  // namespace glia::platform::pg
