// MLflow's limits on what a run and a model version take (mlflow/utils/validation.py), refused with
// INVALID_PARAMETER_VALUE as MLflow's server refuses them.
#pragma once

#include <cstddef>
#include <string>

#include "glia/error.hpp"

namespace glia::server::mlflow {

constexpr size_t kMaxMetricsPerBatch = 1000;
constexpr size_t kMaxParamsTagsPerBatch = 100;
constexpr size_t kMaxEntitiesPerBatch = 1000;
constexpr size_t kMaxKey = 250;  // metric, param and tag names
constexpr size_t kMaxParamValue = 6000;
constexpr size_t kMaxTagValue = 8000;
constexpr size_t kMaxModelVersionTagValue = 100000;  // MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH

/// A metric, param or tag name: 1 to 250 characters of letters, digits, '_', '-', '.', ' ', '/',
/// ':' that read as a path name themselves: no leading or trailing '/', no "//", no "." or ".."
/// part (MLflow's rule, _validate_tag_name: names become paths in its file store).
void check_key(const std::string& what, const std::string& key);
void check_param(const std::string& key, const std::string& value);
void check_tag(const std::string& key, const std::string& value);
/// A model version's tag (MLflow's _validate_model_version_tag): a name as above, a value of at
/// most kMaxModelVersionTagValue characters.
void check_model_version_tag(const std::string& key, const std::string& value);

}  // namespace glia::server::mlflow
