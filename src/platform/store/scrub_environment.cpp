// Migration 6's data step: recorded environments keep only the allow-listed variables. Before
// it, a run recorded the submitter's whole environment (tokens included) in runs.spec.
#include "store/scrub_environment.hpp"

#include <nlohmann/json.hpp>

#include "glia/error.hpp"
#include "glia/platform/environment.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_db.hpp"

namespace glia::platform {

std::optional<std::string> scrubbed_spec(const std::string& id, const std::string& text) {
  auto spec = nlohmann::json::parse(text, nullptr, false);
  if (spec.is_discarded() || !spec.is_object())
    throw Error(ErrorKind::Corrupt, "run '" + id +
                                        "': its recorded spec is not a JSON object, so its "
                                        "environment cannot be scrubbed (migration 6)");
  auto it = spec.find("environment");
  if (it == spec.end() || !it->is_object()) return std::nullopt;
  nlohmann::json kept = nlohmann::json::object();
  for (const auto& [k, v] : it->items())
    if (is_recorded_variable(k)) kept[k] = v;
  if (kept.size() == it->size()) return std::nullopt;
  *it = std::move(kept);
  return spec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace sqlite {

void scrub_recorded_environments(Db& db) {
  std::vector<std::pair<std::string, std::string>> rewritten;  // run id → new spec
  {
    Stmt s(db, "SELECT id, spec FROM runs WHERE spec != ''");
    while (s.step()) {
      const std::string id = s.text(0);
      if (auto spec = scrubbed_spec(id, s.text(1))) rewritten.emplace_back(id, *spec);
    }
  }
  Stmt upd(db, "UPDATE runs SET spec = ? WHERE id = ?");
  for (const auto& [id, spec] : rewritten) {
    upd.bind(1, spec).bind(2, id);
    upd.run();
  }
}

}  // namespace sqlite
}  // namespace glia::platform
