// The PostgreSQL store's users and API tokens (migration 9).
#include "glia/error.hpp"
#include "store/pg_store.hpp"

namespace glia::platform::pg {

namespace {

constexpr const char* kUserColumns = "name, role, created_at, created_by, disabled";
constexpr const char* kTokenColumns =
    "id, user_name, secret_hash, description, created_at, expires_at, revoked_at";

User read_user(const pqxx::row& s) {
  return User{read_text(s[0]), parse_role(read_text(s[1])), read_f8(s[2]), read_text(s[3]),
              s[4].as<bool>()};
}

ApiToken read_token(const pqxx::row& s) {
  return ApiToken{read_text(s[0]), read_text(s[1]),   read_text(s[2]),  read_text(s[3]),
                  read_f8(s[4]),   read_opt_f8(s[5]), read_opt_f8(s[6])};
}

}  // namespace

User PgStore::create_user(const User& user) {
  User out = user;
  if (out.created_at <= 0) out.created_at = now_seconds();
  pool_.write([&](Tx& tx) {
    auto res =
        exec(tx,
             "INSERT INTO users(name, role, created_at, created_by, disabled) "
             "VALUES ($1, $2, $3::float8, $4, $5) ON CONFLICT (name) DO NOTHING",
             out.name, role_name(out.role), f8(out.created_at), out.created_by, out.disabled);
    if (changed(res) == 0)
      throw Error(ErrorKind::Conflict, "user '" + user.name + "' already exists");
  });
  return out;
}

std::optional<User> PgStore::find_user(const std::string& name) {
  std::optional<User> out;
  pool_.read([&](Tx& tx) {
    auto res =
        exec(tx, std::string("SELECT ") + kUserColumns + " FROM users WHERE name = $1", name);
    out.reset();
    if (!res.empty()) out = read_user(res[0]);
  });
  return out;
}

std::vector<User> PgStore::list_users() {
  std::vector<User> out;
  pool_.read([&](Tx& tx) {
    auto res =
        tx.exec(std::string("SELECT ") + kUserColumns + " FROM users ORDER BY name COLLATE \"C\"");
    out.clear();
    for (const auto& row : res) out.push_back(read_user(row));
  });
  return out;
}

void PgStore::update_user(const User& user) {
  pool_.write([&](Tx& tx) {
    auto res = exec(tx, "UPDATE users SET role = $1, disabled = $2 WHERE name = $3",
                    role_name(user.role), user.disabled, user.name);
    if (changed(res) == 0) throw Error(ErrorKind::NotFound, "unknown user '" + user.name + "'");
  });
}

ApiToken PgStore::create_token(const ApiToken& token) {
  ApiToken out = token;
  if (out.created_at <= 0) out.created_at = now_seconds();
  pool_.write([&](Tx& tx) {
    // The user's row is locked (FOR KEY SHARE, as the foreign key would): it cannot go away.
    if (exec(tx, "SELECT 1 FROM users WHERE name = $1 FOR KEY SHARE", token.user).empty())
      throw Error(ErrorKind::NotFound, "unknown user '" + token.user + "'");
    auto res = exec(
        tx,
        "INSERT INTO api_tokens(id, user_name, secret_hash, description, created_at, expires_at, "
        "revoked_at) VALUES ($1, $2, $3, $4, $5::float8, $6::float8, $7::float8) "
        "ON CONFLICT (id) DO NOTHING",
        out.id, out.user, out.secret_hash, out.description, f8(out.created_at), f8(out.expires_at),
        f8(out.revoked_at));
    if (changed(res) == 0)
      throw Error(ErrorKind::Conflict, "token '" + token.id + "' already exists");
  });
  return out;
}

std::optional<ApiToken> PgStore::find_token(const std::string& id) {
  std::optional<ApiToken> out;
  pool_.read([&](Tx& tx) {
    auto res =
        exec(tx, std::string("SELECT ") + kTokenColumns + " FROM api_tokens WHERE id = $1", id);
    out.reset();
    if (!res.empty()) out = read_token(res[0]);
  });
  return out;
}

std::vector<ApiToken> PgStore::list_tokens(const std::optional<std::string>& user) {
  std::vector<ApiToken> out;
  pool_.read([&](Tx& tx) {
    auto res = exec(tx,
                    std::string("SELECT ") + kTokenColumns +
                        " FROM api_tokens WHERE ($1::text IS NULL OR user_name = $1) "
                        "ORDER BY created_at, id COLLATE \"C\"",
                    user);
    out.clear();
    for (const auto& row : res) out.push_back(read_token(row));
  });
  return out;
}

bool PgStore::revoke_token(const std::string& id, double at) {
  bool revoked = false;
  pool_.write([&](Tx& tx) {
    auto cur = exec(tx, "SELECT revoked_at FROM api_tokens WHERE id = $1 FOR NO KEY UPDATE", id);
    if (cur.empty()) throw Error(ErrorKind::NotFound, "unknown token '" + id + "'");
    revoked = cur[0][0].is_null();
    if (revoked)
      exec(tx, "UPDATE api_tokens SET revoked_at = $1::float8 WHERE id = $2", f8(at), id);
  });
  return revoked;
}

}  // namespace glia::platform::pg
