// The SQLite store's users and API tokens (migration 9).
#include "glia/error.hpp"
#include "store/sqlite_store.hpp"

namespace glia::platform::sqlite {

namespace {

constexpr const char* kUserColumns = "name, role, created_at, created_by, disabled";
constexpr const char* kTokenColumns =
    "id, user_name, secret_hash, description, created_at, expires_at, revoked_at";

User read_user(const Stmt& s) {
  return User{s.text(0), parse_role(s.text(1)), s.real(2), s.text(3), s.int64(4) != 0};
}

ApiToken read_token(const Stmt& s) {
  ApiToken t{s.text(0), s.text(1), s.text(2), s.text(3), s.real(4), {}, {}};
  if (!s.is_null(5)) t.expires_at = s.real(5);
  if (!s.is_null(6)) t.revoked_at = s.real(6);
  return t;
}

bool user_exists(Db& db, const std::string& name) {
  Stmt s(db, "SELECT 1 FROM users WHERE name = ?");
  s.bind(1, name);
  return s.step();
}

}  // namespace

User SqliteStore::create_user(const User& user) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (user_exists(db_, user.name))
    throw Error(ErrorKind::Conflict, "user '" + user.name + "' already exists");
  User out = user;
  if (out.created_at <= 0) out.created_at = now_seconds();
  Stmt(db_, "INSERT INTO users(name, role, created_at, created_by, disabled) VALUES (?,?,?,?,?)")
      .bind(1, out.name)
      .bind(2, role_name(out.role))
      .bind(3, out.created_at)
      .bind(4, out.created_by)
      .bind(5, int64_t{out.disabled ? 1 : 0})
      .run();
  tx.commit();
  return out;
}

std::optional<User> SqliteStore::find_user(const std::string& name) {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kUserColumns + " FROM users WHERE name = ?");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return read_user(s);
}

std::vector<User> SqliteStore::list_users() {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kUserColumns + " FROM users ORDER BY name");
  std::vector<User> out;
  while (s.step()) out.push_back(read_user(s));
  return out;
}

void SqliteStore::update_user(const User& user) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!user_exists(db_, user.name))
    throw Error(ErrorKind::NotFound, "unknown user '" + user.name + "'");
  Stmt(db_, "UPDATE users SET role = ?, disabled = ? WHERE name = ?")
      .bind(1, role_name(user.role))
      .bind(2, int64_t{user.disabled ? 1 : 0})
      .bind(3, user.name)
      .run();
  tx.commit();
}

ApiToken SqliteStore::create_token(const ApiToken& token) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  if (!user_exists(db_, token.user))
    throw Error(ErrorKind::NotFound, "unknown user '" + token.user + "'");
  {
    Stmt s(db_, "SELECT 1 FROM api_tokens WHERE id = ?");
    s.bind(1, token.id);
    if (s.step()) throw Error(ErrorKind::Conflict, "token '" + token.id + "' already exists");
  }
  ApiToken out = token;
  if (out.created_at <= 0) out.created_at = now_seconds();
  Stmt(db_,
       "INSERT INTO api_tokens(id, user_name, secret_hash, description, created_at, expires_at, "
       "revoked_at) VALUES (?,?,?,?,?,?,?)")
      .bind(1, out.id)
      .bind(2, out.user)
      .bind(3, out.secret_hash)
      .bind(4, out.description)
      .bind(5, out.created_at)
      .bind(6, out.expires_at)
      .bind(7, out.revoked_at)
      .run();
  tx.commit();
  return out;
}

std::optional<ApiToken> SqliteStore::find_token(const std::string& id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kTokenColumns + " FROM api_tokens WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_token(s);
}

std::vector<ApiToken> SqliteStore::list_tokens(const std::optional<std::string>& user) {
  std::lock_guard lock(mu_);
  Stmt s(db_, std::string("SELECT ") + kTokenColumns +
                  " FROM api_tokens WHERE (?1 IS NULL OR user_name = ?1) ORDER BY created_at, id");
  s.bind(1, user);
  std::vector<ApiToken> out;
  while (s.step()) out.push_back(read_token(s));
  return out;
}

bool SqliteStore::revoke_token(const std::string& id, double at) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  Stmt s(db_, "SELECT revoked_at FROM api_tokens WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) throw Error(ErrorKind::NotFound, "unknown token '" + id + "'");
  if (!s.is_null(0)) return false;
  Stmt(db_, "UPDATE api_tokens SET revoked_at = ? WHERE id = ?").bind(1, at).bind(2, id).run();
  tx.commit();
  return true;
}

}  // namespace glia::platform::sqlite
