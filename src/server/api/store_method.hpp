// One method of the remote store protocol (store_routes.cpp): the role it needs, the arguments it
// takes and what it runs; the table is split by resource (store_endpoint_methods.cpp).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "glia/platform/access.hpp"
#include "server/api/store_args.hpp"

namespace glia::server::api {

struct Method {
  platform::Role role;
  const char* action;
  std::vector<const char*> params;  // every argument it takes (others are refused)
  /// Runs the call; `wake` is set when the workspace's agent has new work (a job queued, a
  /// cancel requested).
  std::function<nlohmann::json(Args&, platform::Store&, const platform::Principal&, bool& wake)>
      run;
};

/// The online endpoints' methods, by name.
const std::map<std::string, Method>& endpoint_methods();

}  // namespace glia::server::api
