#include "store/sqlite_db.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <limits>

#include "glia/error.hpp"
#include "glia/platform/shared_files.hpp"

namespace glia::platform::sqlite {

namespace {

// The kind of a failed SQLite call, from its primary result code.
ErrorKind kind_of(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return ErrorKind::NoSpace;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::Unavailable;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_CANTOPEN:
      return ErrorKind::Permission;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorKind::Corrupt;
    case SQLITE_CONSTRAINT:
      return ErrorKind::Conflict;
    case SQLITE_IOERR:
      // SQLite reports a full disk met while writing as an I/O error of the write.
      return (rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_TRUNCATE ||
              rc == SQLITE_IOERR_SHMSIZE)
                 ? ErrorKind::NoSpace
                 : ErrorKind::Corrupt;
    default:
      return ErrorKind::Internal;
  }
}

}  // namespace

Db::Db(const std::string& path) : path_(path) {
  // SQLite creates a database 0644 under the umask, and its -wal/-shm files with the database's
  // mode: a new database is created first with the workspace's file mode (shared_files.hpp),
  // which SQLite's other files then follow. A failure here is left to SQLite to report.
  const bool on_disk = path != ":memory:" && !path.empty() && path.rfind("file:", 0) != 0;
  if (on_disk && ::access(path.c_str(), F_OK) != 0) {
    try {
      ::close(open_shared_file(path, O_RDWR | O_CREAT));
    } catch (const Error&) {
    }
  }
  // NOMUTEX: every Store guards its connection with a mutex of its own.
  if (sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    const int rc = db_ ? sqlite3_extended_errcode(db_) : SQLITE_NOMEM;
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(kind_of(rc), "store '" + path + "': cannot open: " + msg);
  }
  try {
    if (sqlite3_db_readonly(db_, "main") == 1)
      throw Error(ErrorKind::Permission,
                  "store '" + path + "': cannot open it for writing (the workspace is shared " +
                      "with its group only when made with a umask such as 002)");
    // Made by an older Glia (or narrowed by one): the bits the workspace's mode gives are
    // added, none removed.
    if (on_disk) share_file(path);
    sqlite3_busy_timeout(db_, 10000);  // writers from other processes wait instead of failing
    exec("PRAGMA journal_mode=WAL");
    if (on_disk) {  // made by older versions, or just now
      share_file(path + "-wal");
      share_file(path + "-shm");
    }
    exec("PRAGMA synchronous=NORMAL");  // with WAL: durable across process crashes
    exec("PRAGMA foreign_keys=ON");
    // Deleted or rewritten values are zeroed in the file, not left in free space (Debian's
    // SQLite does this by default; other builds may not).
    exec("PRAGMA secure_delete=ON");
  } catch (...) {  // the destructor does not run for a constructor that throws
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Db::~Db() {
  sqlite3_close(db_);
}

void Db::fail(const std::string& what) const {
  throw Error(kind_of(sqlite3_extended_errcode(db_)),
              "store '" + path_ + "': " + what + ": " + sqlite3_errmsg(db_));
}

void Db::exec(const std::string& sql) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error(kind_of(sqlite3_extended_errcode(db_) ? sqlite3_extended_errcode(db_) : rc),
                "store '" + path_ + "': " + msg + " (in: " + sql.substr(0, 60) + ")");
  }
}

Stmt::Stmt(Db& db, const std::string& sql) : db_(db) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
    db.fail("cannot prepare '" + sql.substr(0, 60) + "'");
}

Stmt::~Stmt() {
  sqlite3_finalize(stmt_);
}

Stmt& Stmt::bind(int i, const std::string& v) {
  if (sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    db_.fail("bind");
  return *this;
}

Stmt& Stmt::bind(int i, int64_t v) {
  if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Stmt& Stmt::bind(int i, double v) {
  // SQLite turns NaN into NULL; keep it as the text 'NaN', which real() reads back as NaN.
  if (std::isnan(v)) return bind(i, std::string("NaN"));
  if (sqlite3_bind_double(stmt_, i, v) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Stmt& Stmt::bind(int i, const std::optional<double>& v) {
  return v ? bind(i, *v) : bind_null(i);
}

Stmt& Stmt::bind(int i, const std::optional<int>& v) {
  return v ? bind(i, static_cast<int64_t>(*v)) : bind_null(i);
}

Stmt& Stmt::bind(int i, const std::optional<int64_t>& v) {
  return v ? bind(i, *v) : bind_null(i);
}

Stmt& Stmt::bind(int i, const std::optional<std::string>& v) {
  return v ? bind(i, *v) : bind_null(i);
}

Stmt& Stmt::bind_null(int i) {
  if (sqlite3_bind_null(stmt_, i) != SQLITE_OK) db_.fail("bind");
  return *this;
}

bool Stmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail("statement failed");
}

void Stmt::run() {
  step();
  reset();
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Stmt::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : "";
}

int64_t Stmt::int64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

double Stmt::real(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_TEXT && text(col) == "NaN")
    return std::numeric_limits<double>::quiet_NaN();
  return sqlite3_column_double(stmt_, col);
}

bool Stmt::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Transaction::Transaction(Db& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace glia::platform::sqlite
