// The registries: datasets, models (with file downloads) and environments.
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/artifact_store.hpp"
#include "glia/platform/datasets.hpp"
#include "glia/platform/environments.hpp"
#include "glia/platform/json_views.hpp"
#include "glia/platform/models.hpp"
#include "server/api/api.hpp"

namespace glia::server::api {

using platform::Role;

namespace {

// NAME from the path (checked by `check`) and VERSION ("latest" or a number).
platform::AssetRef asset_ref(const http::Request& r, void (*check)(const std::string&),
                             const std::string& what) {
  platform::AssetRef ref;
  ref.name = r.param("name");
  check(ref.name);
  ref.version = version_param(r, what);
  return ref;
}

}  // namespace

void register_asset_routes(http::Router& router, ServerContext& context) {
  const std::string p = kWorkspacePrefix;

  router.add("GET", p + "/datasets", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "list datasets");
    allow_only(r, {});
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : s.ws().store().list_datasets()) out.push_back(platform::dataset_json(d));
    return http::Response::json(out);
  });
  router.add("GET", p + "/datasets/{name}/versions/{version}", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "read datasets");
    allow_only(r, {});
    const auto ref = asset_ref(r, platform::check_dataset_name, "dataset");
    const auto d = platform::resolve_dataset(s.ws().store(), ref);
    return http::Response::json(platform::dataset_show_json(s.ws(), d));
  });

  router.add("GET", p + "/models", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "list models");
    allow_only(r, {"name", "run"});
    platform::ModelFilter filter;
    filter.name = query_text(r, "name");
    filter.run_id = query_text(r, "run");
    nlohmann::json out = nlohmann::json::array();
    for (const auto& m : s.ws().store().list_models(filter)) out.push_back(platform::model_json(m));
    return http::Response::json(out);
  });
  router.add("GET", p + "/models/{name}/versions/{version}", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "read models");
    allow_only(r, {});
    const auto m =
        platform::resolve_model(s.ws().store(), asset_ref(r, platform::check_model_name, "model"));
    return http::Response::json(platform::model_show_json(s.ws(), m));
  });
  router.add(
      "GET", p + "/models/{name}/versions/{version}/files/{path...}", [&context](http::Request& r) {
        Scope s = authorize(context, r, Role::Reader, "download models");
        allow_only(r, {});
        const auto m = platform::resolve_model(s.ws().store(),
                                               asset_ref(r, platform::check_model_name, "model"));
        const std::string path = platform::safe_relative_path(r.param("path"), "model file path");
        auto artifacts = s.ws().artifacts();
        for (const auto& e : artifacts.manifest(m.manifest))
          if (e.path == path) return blob_download(r, artifacts.blob_path(e.sha256));
        throw Error(ErrorKind::NotFound, "model '" + m.name + ":" + std::to_string(m.version) +
                                             "' has no file " + quote_bytes(path));
      });

  router.add("GET", p + "/environments", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "list environments");
    allow_only(r, {});
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : s.ws().store().list_environments())
      out.push_back(platform::environment_json(s.ws(), v));
    return http::Response::json(out);
  });
  router.add("GET", p + "/environments/{name}/versions/{version}", [&context](http::Request& r) {
    Scope s = authorize(context, r, Role::Reader, "read environments");
    allow_only(r, {});
    const auto v = platform::resolve_environment(
        s.ws().store(), asset_ref(r, platform::check_environment_name, "environment"));
    return http::Response::json(platform::environment_show_json(s.ws(), v));
  });
}

}  // namespace glia::server::api
