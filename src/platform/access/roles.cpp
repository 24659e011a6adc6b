// What each role may do: reader < contributor < owner (docs/access.md has the table).
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/access.hpp"

namespace glia::platform {

bool role_allows(Role have, Role need) {
  return static_cast<int>(have) >= static_cast<int>(need);
}

void require_role(const Principal& principal, Role need, const std::string& action) {
  if (role_allows(principal.role, need)) return;
  throw Error(ErrorKind::Permission, "user " + quote_bytes(principal.user) + " (" +
                                         role_name(principal.role) + ") may not " + action +
                                         "; it needs the " + role_name(need) + " role");
}

}  // namespace glia::platform
