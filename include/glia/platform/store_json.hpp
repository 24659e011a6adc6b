// The store's records as JSON, exactly (every field, both ways): the wire format of the remote
// store protocol (a workspace served by `glia server` and opened with `glia workspace connect`;
// docs/server.md "Remote workspaces"). Not a view for users: those are json_views.hpp.
//
// Each record type has nlohmann's ADL pair, so `nlohmann::json(record)` and `j.get<T>()` work.
// Reading is strict: a missing field takes its default, but a key the type does not have, a value
// of the wrong JSON type or an unknown enum name throws glia::Error (InvalidArgument) naming the
// field ("RunRecord.status: ..."), so a bad request is a 400, never a half-read record.
// Numbers that JSON cannot hold (NaN, ±infinity: a metric's value) are written as the strings
// "NaN", "Infinity" and "-Infinity" and read back from them. An optional field is null or absent
// when unset.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "glia/platform/store.hpp"

namespace glia::platform {

#define GLIA_STORE_JSON(T)                         \
  void to_json(nlohmann::json& j, const T& value); \
  void from_json(const nlohmann::json& j, T& value);

GLIA_STORE_JSON(RunStatus)
GLIA_STORE_JSON(Role)
GLIA_STORE_JSON(SearchField)
GLIA_STORE_JSON(SearchOp)
GLIA_STORE_JSON(RunLifecycle)
GLIA_STORE_JSON(RunInput)
GLIA_STORE_JSON(NewRun)
GLIA_STORE_JSON(SweepTrial)
GLIA_STORE_JSON(RunRecord)
GLIA_STORE_JSON(ComputeTarget)
GLIA_STORE_JSON(RunFile)
GLIA_STORE_JSON(MetricRow)
GLIA_STORE_JSON(MetricImage)
GLIA_STORE_JSON(StatusChange)
GLIA_STORE_JSON(MetricPoint)
GLIA_STORE_JSON(TrackingBatch)
GLIA_STORE_JSON(DatasetVersion)
GLIA_STORE_JSON(ModelVersion)
GLIA_STORE_JSON(ModelFilter)
GLIA_STORE_JSON(EnvironmentVersion)
GLIA_STORE_JSON(User)
GLIA_STORE_JSON(ApiToken)
GLIA_STORE_JSON(ExperimentRecord)
GLIA_STORE_JSON(RegisteredModel)
GLIA_STORE_JSON(RunFilter)
GLIA_STORE_JSON(RunCondition)
GLIA_STORE_JSON(RunOrder)
GLIA_STORE_JSON(RunSearch)
GLIA_STORE_JSON(SearchedRun)
GLIA_STORE_JSON(RunSearchPage)
GLIA_STORE_JSON(EndpointState)
GLIA_STORE_JSON(EndpointSettings)
GLIA_STORE_JSON(EndpointStatus)
GLIA_STORE_JSON(EndpointRecord)
GLIA_STORE_JSON(EndpointEvent)

#undef GLIA_STORE_JSON

/// Throws glia::Error (InvalidArgument) unless `j` is an object whose keys are all in `known`,
/// naming `what` and the first unknown key.
void json_check_keys(const nlohmann::json& j, std::initializer_list<const char*> known,
                     const std::string& what);

}  // namespace glia::platform

namespace nlohmann {
/// std::optional<T>: null when unset.
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& v) {
    if (v)
      j = *v;
    else
      j = nullptr;
  }
  static void from_json(const json& j, std::optional<T>& v) {
    if (j.is_null())
      v.reset();
    else
      v = j.get<T>();
  }
};
}  // namespace nlohmann
