// The store's records as JSON (store_json.hpp): datasets, models, environments, compute targets,
// access control and MLflow's experiments and registered models. The values' readers and writers
// and the run records: store_json.cpp.
#include "glia/platform/store_json.hpp"
#include "store_json_codec.hpp"

namespace glia::platform {
namespace store_json {

json write(Role v) {
  return role_name(v);
}
void read(const json& j, Role& v, const Path& path) {
  read_enum(j, v, path, [](const std::string& s) { return parse_role(s); });
}

// ---- Datasets, models, environments ----

template <>
struct Fields<DatasetVersion> {
  static constexpr const char* name = "DatasetVersion";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(name);
    GLIA_FIELD(version);
    GLIA_FIELD(description);
    GLIA_FIELD(manifest);
    GLIA_FIELD(file_count);
    GLIA_FIELD(total_bytes);
    GLIA_FIELD(sources);
    GLIA_FIELD(created_at);
    GLIA_FIELD(created_by);
    GLIA_FIELD(archived);
  }
};

template <>
struct Fields<ModelVersion> {
  static constexpr const char* name = "ModelVersion";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(name);
    GLIA_FIELD(version);
    GLIA_FIELD(description);
    GLIA_FIELD(manifest);
    GLIA_FIELD(file_count);
    GLIA_FIELD(total_bytes);
    GLIA_FIELD(run_id);
    GLIA_FIELD(source_path);
    GLIA_FIELD(tags);
    GLIA_FIELD(properties);
    GLIA_FIELD(created_at);
    GLIA_FIELD(created_by);
  }
};

template <>
struct Fields<ModelFilter> {
  static constexpr const char* name = "ModelFilter";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(name);
    GLIA_FIELD(run_id);
    GLIA_FIELD(tags);
    GLIA_FIELD(properties);
  }
};

template <>
struct Fields<EnvironmentVersion> {
  static constexpr const char* name = "EnvironmentVersion";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(name);
    GLIA_FIELD(version);
    GLIA_FIELD(description);
    GLIA_FIELD(spec);
    GLIA_FIELD(spec_hash);
    GLIA_FIELD(build_hash);
    GLIA_FIELD(source);
    GLIA_FIELD(source_kind);
    GLIA_FIELD(created_at);
    GLIA_FIELD(created_by);
    GLIA_FIELD(archived);
    GLIA_FIELD(anonymous);
  }
};

template <>
struct Fields<ComputeTarget> {
  static constexpr const char* name = "ComputeTarget";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(name);
    GLIA_FIELD(type);
    GLIA_FIELD(max_concurrent);
    GLIA_FIELD(description);
    GLIA_FIELD(created_at);
    GLIA_FIELD(threads_per_job);
    GLIA_FIELD(partition);
    GLIA_FIELD(max_nodes);
    GLIA_FIELD(account);
    GLIA_FIELD(qos);
    GLIA_FIELD(time_limit);
  }
};

// ---- Access control ----

template <>
struct Fields<User> {
  static constexpr const char* name = "User";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(name);
    GLIA_FIELD(role);
    GLIA_FIELD(created_at);
    GLIA_FIELD(created_by);
    GLIA_FIELD(disabled);
  }
};

template <>
struct Fields<ApiToken> {
  static constexpr const char* name = "ApiToken";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(id);
    GLIA_FIELD(user);
    GLIA_FIELD(secret_hash);
    GLIA_FIELD(description);
    GLIA_FIELD(created_at);
    GLIA_FIELD(expires_at);
    GLIA_FIELD(revoked_at);
  }
};

// ---- MLflow's experiments and registered models ----

template <>
struct Fields<ExperimentRecord> {
  static constexpr const char* name = "ExperimentRecord";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(id);
    GLIA_FIELD(name);
    GLIA_FIELD(created_at);
    GLIA_FIELD(updated_at);
    GLIA_FIELD(deleted);
    GLIA_FIELD(tags);
  }
};

template <>
struct Fields<RegisteredModel> {
  static constexpr const char* name = "RegisteredModel";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(name);
    GLIA_FIELD(description);
    GLIA_FIELD(created_at);
    GLIA_FIELD(updated_at);
  }
};

}  // namespace store_json

GLIA_STORE_JSON_DEFINE(Role)
GLIA_STORE_JSON_DEFINE(DatasetVersion)
GLIA_STORE_JSON_DEFINE(ModelVersion)
GLIA_STORE_JSON_DEFINE(ModelFilter)
GLIA_STORE_JSON_DEFINE(EnvironmentVersion)
GLIA_STORE_JSON_DEFINE(ComputeTarget)
GLIA_STORE_JSON_DEFINE(User)
GLIA_STORE_JSON_DEFINE(ApiToken)
GLIA_STORE_JSON_DEFINE(ExperimentRecord)
GLIA_STORE_JSON_DEFINE(RegisteredModel)

}  // namespace glia::platform
