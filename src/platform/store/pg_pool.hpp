// The PostgreSQL store's connections: a small pool (each call takes one, so a server's threads do
// not wait on one connection), transactions run as functions, and PostgreSQL's failures as
// glia::Error with their kind. The URL is never shown with its password (postgres_url_for_display).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <type_traits>
#include <vector>

namespace glia::platform::pg {

using Tx = pqxx::transaction_base;

class Pool {
 public:
  /// Connects once (a failure throws glia::Error, Unavailable); more connections are made as
  /// calls need them, up to `size`.
  Pool(std::string url, size_t size);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// The URL as messages show it (no password).
  const std::string& display() const { return display_; }

  /// Runs `body` in a READ COMMITTED transaction on a connection of the pool and commits it.
  /// Run again from the start, on a new transaction, when PostgreSQL aborted it (a deadlock or a
  /// serialization failure) or the connection broke before COMMIT was sent (nothing was stored
  /// then); a connection lost while committing throws glia::Error (Unavailable) saying the change
  /// may or may not be stored — never run again blindly. `body` must not keep state between
  /// tries (write its results last).
  void write(const std::function<void(Tx&)>& body);
  /// Runs `body` in a read-only transaction (run again once on a new connection if it broke).
  void read(const std::function<void(Tx&)>& body);
  /// Runs `body` outside a transaction (VACUUM), each statement on its own.
  void autocommit(const std::function<void(Tx&)>& body);

 private:
  enum class Mode { Write, Read, Autocommit };
  void run(Mode mode, const std::function<void(Tx&)>& body);
  std::unique_ptr<pqxx::connection> connect();
  std::unique_ptr<pqxx::connection> acquire();
  void release(std::unique_ptr<pqxx::connection> conn);

  std::string url_, display_;
  size_t size_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  size_t open_ = 0;  // connections made and not discarded (idle or in use)
};

/// PostgreSQL's text for a float8 that reads back exactly (NaN and the infinities included).
std::string f8(double v);
std::optional<std::string> f8(const std::optional<double>& v);
/// A float8 field read back (NaN, Infinity, -Infinity included).
double read_f8(const pqxx::field& f);
std::optional<double> read_opt_f8(const pqxx::field& f);
std::optional<int64_t> read_opt_int(const pqxx::field& f);
std::string read_text(const pqxx::field& f);

/// A string map as a JSON object (bytes that are not UTF-8 replaced), and back.
std::string map_json(const std::map<std::string, std::string>& m);
std::map<std::string, std::string> json_map(const std::string& text);

/// Throws glia::Error (InvalidArgument) for text holding a NUL byte: libpq passes parameters as C
/// strings, so it would be cut there, and PostgreSQL's text cannot hold one.
void check_text(const std::string& value);

/// tx.exec_params, every text parameter checked first (check_text).
template <class... Args>
pqxx::result exec(Tx& tx, const std::string& sql, const Args&... args) {
  auto check = [](const auto& v) {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, std::string>) check_text(v);
    if constexpr (std::is_same_v<T, std::optional<std::string>>)
      if (v) check_text(*v);
  };
  (check(args), ...);
  return tx.exec_params(sql, args...);
}

/// The number of rows a statement changed.
inline size_t changed(const pqxx::result& r) {
  return static_cast<size_t>(r.affected_rows());
}

}  // namespace glia::platform::pg
