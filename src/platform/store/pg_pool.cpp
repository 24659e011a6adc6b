// The PostgreSQL store's connection pool and the mapping of PostgreSQL's failures to glia::Error.
#include "store/pg_pool.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/store.hpp"

namespace glia::platform::pg {

namespace {

constexpr int kRetries = 5;  // aborted by PostgreSQL (deadlock, serialization): tried again

// The first line of a libpq/libpqxx message, without "ERROR:  " and trailing spaces.
std::string first_line(const std::string& what) {
  std::string s = what.substr(0, what.find('\n'));
  for (const char* prefix : {"ERROR:  ", "FATAL:  "})
    if (s.rfind(prefix, 0) == 0) s = s.substr(std::string(prefix).size());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t')) s.pop_back();
  return s.empty() ? "unknown error" : s;
}

// The kind of an SQL error, from its SQLSTATE's class.
ErrorKind kind_of(const std::string& state) {
  if (state == "53100") return ErrorKind::NoSpace;  // disk_full
  if (state == "42501") return ErrorKind::Permission;
  if (state == "XX001" || state == "XX002") return ErrorKind::Corrupt;  // data/index corrupted
  const std::string cls = state.substr(0, 2);
  if (cls == "23") return ErrorKind::Conflict;         // integrity constraint (as SQLite's)
  if (cls == "22") return ErrorKind::InvalidArgument;  // data exception (bad bytes, range)
  if (cls == "08" || cls == "40" || cls == "53" || cls == "55" || cls == "57")
    return ErrorKind::Unavailable;  // connection, rollback, resources, lock, shutdown
  if (cls == "28") return ErrorKind::Unauthenticated;
  return ErrorKind::Internal;
}

// Hands a connection back to the pool when the call ends, unless discarded (broken).
class Lease {
 public:
  Lease(std::unique_ptr<pqxx::connection> conn,
        std::function<void(std::unique_ptr<pqxx::connection>)> back)
      : conn_(std::move(conn)), back_(std::move(back)) {}
  ~Lease() { back_(std::move(conn_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  pqxx::connection& operator*() { return *conn_; }
  void discard() { conn_.reset(); }

 private:
  std::unique_ptr<pqxx::connection> conn_;
  std::function<void(std::unique_ptr<pqxx::connection>)> back_;
};

}  // namespace

Pool::Pool(std::string url, size_t size)
    : url_(std::move(url)), display_(postgres_url_for_display(url_)), size_(size ? size : 1) {
  idle_.push_back(connect());
  open_ = 1;
}

Pool::~Pool() = default;

std::unique_ptr<pqxx::connection> Pool::connect() {
  try {
    return std::make_unique<pqxx::connection>(url_);
  } catch (const pqxx::broken_connection& e) {
    throw Error(ErrorKind::Unavailable,
                "store '" + display_ + "': cannot connect to PostgreSQL: " + first_line(e.what()));
  } catch (const pqxx::failure& e) {
    throw Error(ErrorKind::InvalidArgument,
                "store '" + display_ + "': cannot connect to PostgreSQL: " + first_line(e.what()));
  }
}

std::unique_ptr<pqxx::connection> Pool::acquire() {
  {
    std::unique_lock lock(mu_);
    freed_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->is_open()) return conn;
      --open_;  // closed since it was last used: replaced below
    }
    ++open_;  // a slot taken for the new connection
  }
  try {
    return connect();
  } catch (...) {
    std::lock_guard lock(mu_);
    --open_;
    freed_.notify_one();
    throw;
  }
}

void Pool::release(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard lock(mu_);
  if (conn)
    idle_.push_back(std::move(conn));
  else
    --open_;  // discarded: a new one is made when needed
  freed_.notify_one();
}

void Pool::write(const std::function<void(Tx&)>& body) {
  run(Mode::Write, body);
}

void Pool::read(const std::function<void(Tx&)>& body) {
  run(Mode::Read, body);
}

void Pool::autocommit(const std::function<void(Tx&)>& body) {
  run(Mode::Autocommit, body);
}

void Pool::run(Mode mode, const std::function<void(Tx&)>& body) {
  const std::string where = "store '" + display_ + "': ";
  for (int attempt = 0;; ++attempt) {
    Lease conn(acquire(), [this](std::unique_ptr<pqxx::connection> c) { release(std::move(c)); });
    try {
      if (mode == Mode::Write) {
        pqxx::work tx(*conn);
        body(tx);
        tx.commit();
      } else if (mode == Mode::Read) {
        pqxx::read_transaction tx(*conn);
        body(tx);
      } else {
        pqxx::nontransaction tx(*conn);
        body(tx);
      }
      return;
    } catch (const pqxx::in_doubt_error&) {
      conn.discard();
      throw Error(ErrorKind::Unavailable,
                  where +
                      "the connection to PostgreSQL was lost while committing: the change "
                      "may or may not be stored");
    } catch (const pqxx::broken_connection& e) {
      // Before COMMIT: PostgreSQL rolled the transaction back, so it can run again once.
      conn.discard();
      if (attempt < 1) continue;
      throw Error(ErrorKind::Unavailable,
                  where + "the connection to PostgreSQL was lost: " + first_line(e.what()));
    } catch (const pqxx::transaction_rollback& e) {
      if (!(*conn).is_open()) conn.discard();
      if (attempt < kRetries) continue;
      throw Error(ErrorKind::Unavailable, where + first_line(e.what()));
    } catch (const pqxx::sql_error& e) {
      if (!(*conn).is_open()) conn.discard();
      throw Error(kind_of(e.sqlstate()), where + first_line(e.what()));
    } catch (const pqxx::conversion_error& e) {
      throw Error(ErrorKind::Corrupt, where + "unexpected value: " + first_line(e.what()));
    } catch (const pqxx::usage_error& e) {
      throw Error(ErrorKind::Internal, where + first_line(e.what()));
    } catch (const pqxx::failure& e) {
      if (!(*conn).is_open()) {
        conn.discard();
        throw Error(ErrorKind::Unavailable,
                    where + "the connection to PostgreSQL was lost: " + first_line(e.what()));
      }
      throw Error(ErrorKind::Internal, where + first_line(e.what()));
    }
  }
}

void check_text(const std::string& value) {
  if (value.find('\0') != std::string::npos)
    throw Error("text holding a NUL byte cannot be stored in PostgreSQL: " + quote_bytes(value));
}

std::string f8(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::optional<std::string> f8(const std::optional<double>& v) {
  if (!v) return std::nullopt;
  return f8(*v);
}

double read_f8(const pqxx::field& f) {
  return std::strtod(f.c_str(), nullptr);  // also reads NaN, Infinity, -Infinity
}

std::optional<double> read_opt_f8(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return read_f8(f);
}

std::optional<int64_t> read_opt_int(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<int64_t>();
}

std::string map_json(const std::map<std::string, std::string>& m) {
  return nlohmann::json(m).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::map<std::string, std::string> json_map(const std::string& text) {
  return nlohmann::json::parse(text).get<std::map<std::string, std::string>>();
}

std::string read_text(const pqxx::field& f) {
  return f.is_null() ? std::string() : std::string(f.c_str(), f.size());
}

}  // namespace glia::platform::pg
