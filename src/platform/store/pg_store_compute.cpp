// The PostgreSQL store's compute targets (checked by check_compute, compute_target.cpp).
#include "glia/error.hpp"
#include "store/pg_store.hpp"

namespace glia::platform::pg {

namespace {

constexpr const char* kComputeColumns =
    "name, type, max_concurrent, description, created_at, threads_per_job, partition, max_nodes, "
    "account, qos, time_limit";

ComputeTarget read_compute(const pqxx::row& s) {
  ComputeTarget t{read_text(s[0]), read_text(s[1]), s[2].as<int64_t>(), read_text(s[3]),
                  read_f8(s[4])};
  t.threads_per_job = read_opt_int(s[5]);
  t.partition = read_text(s[6]);
  t.max_nodes = read_opt_int(s[7]);
  t.account = read_text(s[8]);
  t.qos = read_text(s[9]);
  t.time_limit = read_text(s[10]);
  return t;
}

}  // namespace

void PgStore::create_compute(const ComputeTarget& t) {
  check_compute(t);
  pool_.write([&](Tx& tx) {
    auto res =
        exec(tx,
             "INSERT INTO compute_targets(name, type, max_concurrent, description, created_at, "
             "threads_per_job, partition, max_nodes, account, qos, time_limit) VALUES ($1, $2, "
             "$3, $4, $5::float8, $6::bigint, $7, $8::bigint, $9, $10, $11) "
             "ON CONFLICT (name) DO NOTHING",
             t.name, t.type, t.max_concurrent, t.description,
             f8(t.created_at > 0 ? t.created_at : now_seconds()), t.threads_per_job, t.partition,
             t.max_nodes, t.account, t.qos, t.time_limit);
    if (changed(res) == 0)
      throw Error(ErrorKind::Conflict, "compute '" + t.name + "' already exists");
  });
}

void PgStore::update_compute(const ComputeTarget& t) {
  check_compute(t);
  pool_.write([&](Tx& tx) {
    auto res = exec(tx,
                    "UPDATE compute_targets SET max_concurrent = $1, description = $2, "
                    "threads_per_job = $3::bigint, partition = $4, max_nodes = $5::bigint, "
                    "account = $6, qos = $7, time_limit = $8 WHERE name = $9",
                    t.max_concurrent, t.description, t.threads_per_job, t.partition, t.max_nodes,
                    t.account, t.qos, t.time_limit, t.name);
    if (changed(res) == 0) throw Error(ErrorKind::NotFound, "unknown compute '" + t.name + "'");
  });
}

std::optional<ComputeTarget> PgStore::find_compute(const std::string& name) {
  std::optional<ComputeTarget> out;
  pool_.read([&](Tx& tx) {
    auto res =
        exec(tx, std::string("SELECT ") + kComputeColumns + " FROM compute_targets WHERE name = $1",
             name);
    out.reset();
    if (!res.empty()) out = read_compute(res[0]);
  });
  return out;
}

std::vector<ComputeTarget> PgStore::list_computes() {
  std::vector<ComputeTarget> out;
  pool_.read([&](Tx& tx) {
    auto res = tx.exec(std::string("SELECT ") + kComputeColumns +
                       " FROM compute_targets ORDER BY name COLLATE \"C\"");
    out.clear();
    for (const auto& row : res) out.push_back(read_compute(row));
  });
  return out;
}

}  // namespace glia::platform::pg
