// glia user add / list / update and glia token create / list / revoke: the users and API tokens
// of the local workspace (docs/access.md). Whoever can write the workspace folder is its owner,
// so these commands need no token: that is how the first owner is made.
#include <charconv>
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/access.hpp"

namespace glia::cli {

namespace {

nlohmann::json user_json(platform::Store& store, const platform::User& u, double now) {
  size_t active = 0;
  for (const auto& t : store.list_tokens(u.name))
    active += platform::token_status(t, now) == "active";
  return {{"name", u.name},
          {"role", platform::role_name(u.role)},
          {"disabled", u.disabled},
          {"created_at", iso_time(u.created_at)},
          {"created_by", u.created_by},
          {"active_tokens", active}};
}

// A token as listed: never its secret or its hash.
nlohmann::json token_json(const platform::ApiToken& t, double now) {
  return {{"id", t.id},
          {"user", t.user},
          {"status", platform::token_status(t, now)},
          {"description", t.description},
          {"created_at", iso_time(t.created_at)},
          {"expires_at",
           t.expires_at ? nlohmann::json(iso_time(t.expires_at)) : nlohmann::json(nullptr)},
          {"revoked_at",
           t.revoked_at ? nlohmann::json(iso_time(t.revoked_at)) : nlohmann::json(nullptr)}};
}

// --expires-in DAYS: a number above 0 and at most 100 years.
double parse_days(const std::string& text) {
  double days = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, days);
  if (ec != std::errc() || ptr != end || !(days > 0) || days > 36500)
    throw Error("--expires-in " + quote_bytes(text) +
                ": expected a number of days above 0 and at most 36500");
  return days;
}

CLI::Option* add_output(CLI::App* cmd, std::string& output) {
  return cmd->add_option("-o,--output", output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
}

void register_users(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand("user", "Manage the workspace's users (for `glia server`)");
  cmd->require_subcommand(1);
  static const std::vector<std::string> kRoles = {"reader", "contributor", "owner"};

  struct Args {
    std::string name, role, output = "text";
    bool disable = false, enable = false;
  };
  auto a = std::make_shared<Args>();
  auto* add = cmd->add_subcommand("add", "Add a user with a role");
  add->add_option("name", a->name, "the user's name ([A-Za-z0-9][A-Za-z0-9._-]*)")->required();
  add->add_option("--role", a->role, "reader, contributor or owner (docs/access.md)")
      ->required()
      ->check(CLI::IsMember(kRoles));
  add_output(add, a->output);
  add->callback([a, workspace_dir] {
    platform::check_user_name(a->name);
    auto ws = open_workspace(*workspace_dir);
    const auto u =
        platform::add_user(ws.store(), a->name, platform::parse_role(a->role), current_user());
    if (a->output == "json") return print_json(user_json(ws.store(), u, platform::now_seconds()));
    std::printf("added user '%s' (%s)\n", u.name.c_str(), platform::role_name(u.role).c_str());
  });

  auto l = std::make_shared<Args>();
  auto* list = cmd->add_subcommand("list", "List the users, their roles and active tokens");
  add_output(list, l->output);
  list->callback([l, workspace_dir] {
    auto ws = open_workspace(*workspace_dir);
    const double now = platform::now_seconds();
    nlohmann::json all = nlohmann::json::array();
    for (const auto& u : ws.store().list_users()) all.push_back(user_json(ws.store(), u, now));
    if (l->output == "json") return print_json(all);
    std::printf("%-24s %-12s %-9s %-7s %-21s %s\n", "NAME", "ROLE", "STATUS", "TOKENS", "CREATED",
                "CREATED_BY");
    for (const auto& u : all)
      std::printf("%-24s %-12s %-9s %-7zu %-21s %s\n", u["name"].get<std::string>().c_str(),
                  u["role"].get<std::string>().c_str(),
                  u["disabled"].get<bool>() ? "disabled" : "enabled",
                  u["active_tokens"].get<size_t>(), u["created_at"].get<std::string>().c_str(),
                  u["created_by"].get<std::string>().c_str());
  });

  auto up = std::make_shared<Args>();
  auto* update = cmd->add_subcommand("update", "Change a user's role, or disable or enable it");
  update->add_option("name", up->name, "the user")->required();
  auto* role = update->add_option("--role", up->role, "the new role")->check(CLI::IsMember(kRoles));
  auto* disable = update->add_flag("--disable", up->disable,
                                   "refuse the user's tokens from the next request on");
  auto* enable = update->add_flag("--enable", up->enable, "accept the user's tokens again");
  disable->excludes(enable);
  add_output(update, up->output);
  update->callback([up, role, disable, enable, workspace_dir] {
    if (!role->count() && !disable->count() && !enable->count())
      throw Error("user update: nothing to change (give --role, --disable or --enable)");
    platform::check_user_name(up->name);
    auto ws = open_workspace(*workspace_dir);
    auto u = ws.store().find_user(up->name);
    if (!u) throw Error(ErrorKind::NotFound, "unknown user " + quote_bytes(up->name));
    if (role->count()) u->role = platform::parse_role(up->role);
    if (disable->count()) u->disabled = true;
    if (enable->count()) u->disabled = false;
    ws.store().update_user(*u);
    if (up->output == "json") return print_json(user_json(ws.store(), *u, platform::now_seconds()));
    std::printf("updated user '%s' (%s, %s)\n", u->name.c_str(),
                platform::role_name(u->role).c_str(), u->disabled ? "disabled" : "enabled");
  });
}

void register_tokens(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  auto* cmd = app.add_subcommand("token", "Manage API tokens (for `glia server`)");
  cmd->require_subcommand(1);

  struct Args {
    std::string user, description, id, expires_in, output = "text";
  };
  auto c = std::make_shared<Args>();
  auto* create = cmd->add_subcommand(
      "create", "Create an API token for a user; it is printed once and cannot be shown again");
  create->add_option("--user", c->user, "the token's user")->required();
  create->add_option("--description", c->description, "what it is for (e.g. 'CI', 'laptop')");
  auto* expires = create->add_option(
      "--expires-in", c->expires_in,
      "days until it expires, above 0 and at most 36500 (fractions allowed; default: never)");
  add_output(create, c->output);
  create->callback([c, expires, workspace_dir] {
    std::optional<double> expires_at;
    if (expires->count()) expires_at = platform::now_seconds() + parse_days(c->expires_in) * 86400;
    platform::check_user_name(c->user);
    auto ws = open_workspace(*workspace_dir);
    const auto issued = platform::issue_token(ws.store(), c->user, c->description, expires_at);
    const auto& r = issued.record;
    if (c->output == "json") {
      auto j = token_json(r, platform::now_seconds());
      j["token"] = issued.text;
      j["note"] = "keep the token now: it cannot be shown again";
      return print_json(j);
    }
    // The token alone on stdout (T=$(glia token create ...)); what it is on stderr.
    std::fprintf(stderr, "created token %s for user '%s' (%s)\n", r.id.c_str(), r.user.c_str(),
                 r.expires_at ? ("expires " + iso_time(r.expires_at)).c_str() : "never expires");
    std::printf("%s\n", issued.text.c_str());
    std::fflush(stdout);
    std::fprintf(stderr,
                 "keep it now: it cannot be shown again (only a hash of its secret is stored)\n");
  });

  auto l = std::make_shared<Args>();
  auto* list = cmd->add_subcommand("list", "List API tokens (never their secrets)");
  auto* user = list->add_option("--user", l->user, "only this user's tokens");
  add_output(list, l->output);
  list->callback([l, user, workspace_dir] {
    std::optional<std::string> who;
    if (user->count()) {
      platform::check_user_name(l->user);
      who = l->user;
    }
    auto ws = open_workspace(*workspace_dir);
    if (who && !ws.store().find_user(*who))
      throw Error(ErrorKind::NotFound, "unknown user " + quote_bytes(*who));
    const double now = platform::now_seconds();
    nlohmann::json all = nlohmann::json::array();
    for (const auto& t : ws.store().list_tokens(who)) all.push_back(token_json(t, now));
    if (l->output == "json") return print_json(all);
    std::printf("%-16s  %-20s %-8s %-21s %-21s %s\n", "ID", "USER", "STATUS", "CREATED", "EXPIRES",
                "DESCRIPTION");
    for (const auto& t : all)
      std::printf("%-16s  %-20s %-8s %-21s %-21s %s\n", t["id"].get<std::string>().c_str(),
                  t["user"].get<std::string>().c_str(), t["status"].get<std::string>().c_str(),
                  t["created_at"].get<std::string>().c_str(),
                  t["expires_at"].is_null() ? "never" : t["expires_at"].get<std::string>().c_str(),
                  escape_bytes(t["description"].get<std::string>()).c_str());
  });

  auto r = std::make_shared<Args>();
  auto* revoke = cmd->add_subcommand(
      "revoke", "Revoke an API token: refused from the next request on, also by a running server");
  revoke->add_option("id", r->id, "the token's id (as `glia token list` shows), or the token")
      ->required();
  revoke->callback([r, workspace_dir] {
    std::string id = r->id;
    if (auto from_text = platform::token_id_of(id)) id = *from_text;
    if (!platform::is_token_id(id))
      throw Error("token id " + quote_bytes(id, 20) +
                  " is not valid: expected 16 lowercase hex digits (see `glia token list`)");
    auto ws = open_workspace(*workspace_dir);
    const auto token = ws.store().find_token(id);
    if (!token) throw Error(ErrorKind::NotFound, "unknown token '" + id + "'");
    if (ws.store().revoke_token(id, platform::now_seconds()))
      std::printf("revoked token %s (user '%s')\n", id.c_str(), token->user.c_str());
    else
      std::printf("token %s (user '%s') was already revoked at %s\n", id.c_str(),
                  token->user.c_str(), iso_time(token->revoked_at).c_str());
  });
}

}  // namespace

void register_access(CLI::App& app, const std::shared_ptr<std::string>& workspace_dir) {
  register_users(app, workspace_dir);
  register_tokens(app, workspace_dir);
}

}  // namespace glia::cli
