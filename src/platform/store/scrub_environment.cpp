// Migration 6's data step: recorded environments keep only the allow-listed variables. Before
// it, a run recorded the submitter's whole environment (tokens included) in runs.spec.
#include <nlohmann/json.hpp>

#include "glia/error.hpp"
#include "glia/platform/environment.hpp"
#include "store/migrations.hpp"
#include "store/sqlite_db.hpp"

namespace glia::platform::sqlite {

void scrub_recorded_environments(Db& db) {
  std::vector<std::pair<std::string, std::string>> rewritten;  // run id → new spec
  {
    Stmt s(db, "SELECT id, spec FROM runs WHERE spec != ''");
    while (s.step()) {
      const std::string id = s.text(0);
      auto spec = nlohmann::json::parse(s.text(1), nullptr, false);
      if (spec.is_discarded() || !spec.is_object())
        throw Error(ErrorKind::Corrupt, "run '" + id +
                                            "': its recorded spec is not a JSON object, so its "
                                            "environment cannot be scrubbed (migration 6)");
      auto it = spec.find("environment");
      if (it == spec.end() || !it->is_object()) continue;
      nlohmann::json kept = nlohmann::json::object();
      for (const auto& [k, v] : it->items())
        if (is_recorded_variable(k)) kept[k] = v;
      if (kept.size() == it->size()) continue;
      *it = std::move(kept);
      rewritten.emplace_back(id,
                             spec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
  Stmt upd(db, "UPDATE runs SET spec = ? WHERE id = ?");
  for (const auto& [id, spec] : rewritten) {
    upd.bind(1, spec).bind(2, id);
    upd.run();
  }
}

}  // namespace glia::platform::sqlite
