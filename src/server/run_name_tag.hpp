// MLflow's run name tag: `mlflow.runName` repeats a run's display name, which is set once
// (docs/mlflow.md). The MLflow API (set-tag, log-batch) and the REST API (PATCH .../tags) refuse a
// tag that would say otherwise through this one check, so both show the same name.
#pragma once

#include <map>
#include <string>

#include "glia/error.hpp"
#include "glia/platform/store.hpp"

namespace glia::server {

inline constexpr const char* kRunNameTag = "mlflow.runName";

/// glia::Error (InvalidArgument) when `tags` sets mlflow.runName to anything but the run's name.
inline void check_run_name_tag(const platform::RunRecord& run,
                               const std::map<std::string, std::string>& tags) {
  const auto it = tags.find(kRunNameTag);
  if (it != tags.end() && it->second != run.display_name)
    throw Error("renaming run '" + run.id + "' through the tag " + kRunNameTag +
                " is not supported (its name is '" + run.display_name + "')");
}

}  // namespace glia::server
