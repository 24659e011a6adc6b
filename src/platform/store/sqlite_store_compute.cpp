// The SQLite store's compute targets (checked by check_compute, compute_target.cpp).
#include "glia/error.hpp"
#include "store/sqlite_store.hpp"

namespace glia::platform::sqlite {

namespace {

constexpr const char* kComputeColumns =
    "name, type, max_concurrent, description, created_at, threads_per_job, partition, max_nodes, "
    "account, qos, time_limit";

ComputeTarget read_compute(const Stmt& s) {
  ComputeTarget t{s.text(0), s.text(1), s.int64(2), s.text(3), s.real(4)};
  if (!s.is_null(5)) t.threads_per_job = s.int64(5);
  t.partition = s.text(6);
  if (!s.is_null(7)) t.max_nodes = s.int64(7);
  t.account = s.text(8);
  t.qos = s.text(9);
  t.time_limit = s.text(10);
  return t;
}

bool compute_exists(Db& db, const std::string& name) {
  Stmt s(db, "SELECT 1 FROM compute_targets WHERE name = ?");
  s.bind(1, name);
  return s.step();
}

}  // namespace

void SqliteStore::create_compute(const ComputeTarget& t) {
  check_compute(t);
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (compute_exists(db_, t.name))
    throw Error(ErrorKind::Conflict, "compute '" + t.name + "' already exists");
  Stmt(db_,
       "INSERT INTO compute_targets(name, type, max_concurrent, description, created_at, "
       "threads_per_job, partition, max_nodes, account, qos, time_limit) "
       "VALUES (?,?,?,?,?,?,?,?,?,?,?)")
      .bind(1, t.name)
      .bind(2, t.type)
      .bind(3, t.max_concurrent)
      .bind(4, t.description)
      .bind(5, t.created_at > 0 ? t.created_at : now_seconds())
      .bind(6, t.threads_per_job)
      .bind(7, t.partition)
      .bind(8, t.max_nodes)
      .bind(9, t.account)
      .bind(10, t.qos)
      .bind(11, t.time_limit)
      .run();
  tx.commit();
}

void SqliteStore::update_compute(const ComputeTarget& t) {
  check_compute(t);
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!compute_exists(db_, t.name))
    throw Error(ErrorKind::NotFound, "unknown compute '" + t.name + "'");
  Stmt(db_,
       "UPDATE compute_targets SET max_concurrent = ?, description = ?, threads_per_job = ?, "
       "partition = ?, max_nodes = ?, account = ?, qos = ?, time_limit = ? WHERE name = ?")
      .bind(1, t.max_concurrent)
      .bind(2, t.description)
      .bind(3, t.threads_per_job)
      .bind(4, t.partition)
      .bind(5, t.max_nodes)
      .bind(6, t.account)
      .bind(7, t.qos)
      .bind(8, t.time_limit)
      .bind(9, t.name)
      .run();
  tx.commit();
}

std::optional<ComputeTarget> SqliteStore::find_compute(const std::string& name) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT " + std::string(kComputeColumns) +
                  " FROM compute_targets "
                  "WHERE name = ?");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return read_compute(s);
}

std::vector<ComputeTarget> SqliteStore::list_computes() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT " + std::string(kComputeColumns) +
                  " FROM compute_targets "
                  "ORDER BY name");
  std::vector<ComputeTarget> out;
  while (s.step()) out.push_back(read_compute(s));
  return out;
}

}  // namespace glia::platform::sqlite
