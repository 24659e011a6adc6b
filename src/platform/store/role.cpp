// Role names as stored and shown ("reader", "contributor", "owner").
#include "glia/error.hpp"
#include "glia/platform/store.hpp"

namespace glia::platform {

std::string role_name(Role role) {
  switch (role) {
    case Role::Reader:
      return "reader";
    case Role::Contributor:
      return "contributor";
    case Role::Owner:
      return "owner";
  }
  return "reader";
}

Role parse_role(const std::string& name) {
  for (Role r : {Role::Reader, Role::Contributor, Role::Owner})
    if (role_name(r) == name) return r;
  throw Error("unknown role '" + name + "' (expected reader, contributor or owner)");
}

}  // namespace glia::platform
