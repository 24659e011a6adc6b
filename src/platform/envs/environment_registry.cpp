// Environment names, references and versions: the shared asset rules (assets.hpp), resolving a
// reference to a stored version, and registering a spec (the same spec keeps its version).
#include <cstdlib>

#include "glia/error.hpp"
#include "glia/platform/environments.hpp"

namespace glia::platform {

void check_environment_name(const std::string& name) {
  check_asset_name(name, "environment");
}

EnvironmentRef parse_environment_ref(const std::string& text) {
  return parse_asset_ref(text, "environment");
}

EnvironmentVersion resolve_environment(Store& store, const EnvironmentRef& ref) {
  if (auto e = store.find_environment(ref.name, ref.version)) return *e;
  std::string versions;
  bool any = false;
  for (const auto& e : store.list_environments())
    if (e.name == ref.name) {
      versions += (any ? ", " : "") + std::to_string(e.version) + (e.archived ? " (archived)" : "");
      any = true;
    }
  if (!any)
    throw Error(ErrorKind::NotFound, "unknown environment '" + ref.name +
                                         "' (register it with: glia environment create --name " +
                                         ref.name + " --conda-file FILE)");
  if (ref.version)
    throw Error(ErrorKind::NotFound, "environment '" + ref.name + "' has no version " +
                                         std::to_string(*ref.version) + " (versions: " + versions +
                                         ")");
  throw Error(ErrorKind::NotFound, "every version of environment '" + ref.name +
                                       "' is archived (versions: " + versions +
                                       "); name one explicitly, e.g. " + ref.name + ":1");
}

namespace {

EnvironmentVersion to_version(const EnvironmentRegistration& r, bool check_python) {
  if (r.source_kind != "conda" && r.source_kind != "pip" && r.source_kind != "image")
    throw Error(ErrorKind::Internal, "environment source kind '" + r.source_kind + "'");
  if (check_python) check_python_available(r.spec);  // refused now, not when a job builds it
  EnvironmentVersion v;
  v.name = r.name;
  v.description = r.description;
  v.spec = r.spec.to_json().dump();
  v.spec_hash = r.spec.spec_hash();
  v.build_hash = r.spec.build_hash();
  v.source = r.source;
  v.source_kind = r.source_kind;
  v.created_by = r.created_by;
  v.anonymous = r.anonymous;
  return v;
}

}  // namespace

EnvironmentVersion register_environment(Workspace& ws, const EnvironmentRegistration& r,
                                        bool* created) {
  check_environment_name(r.name);
  // Its interpreter is looked for where it is built: on a remote workspace's server, not here.
  return ws.store().create_environment_version(to_version(r, !ws.is_remote()), created);
}

EnvironmentVersion register_anonymous_environment(Workspace& ws, const EnvironmentSpec& spec,
                                                  const std::string& source,
                                                  const std::string& source_kind,
                                                  const std::string& created_by) {
  EnvironmentRegistration r;
  r.spec = spec;
  r.name = "anonymous-env-" + spec.spec_hash().substr(0, 16);
  r.source = source;
  r.source_kind = source_kind;
  r.created_by = created_by;
  r.anonymous = true;
  return ws.store().create_environment_version(to_version(r, false));  // submit checked it
}

}  // namespace glia::platform
