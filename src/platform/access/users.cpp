// Users of a workspace: the name rule and adding one.
#include "glia/error.hpp"
#include "glia/platform/access.hpp"
#include "glia/platform/assets.hpp"

namespace glia::platform {

void check_user_name(const std::string& name) {
  check_asset_name(name, "user");
}

User add_user(Store& store, const std::string& name, Role role, const std::string& created_by) {
  check_user_name(name);
  return store.create_user({name, role, 0, created_by, false});
}

}  // namespace glia::platform
