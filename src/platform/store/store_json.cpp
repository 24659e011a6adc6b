// The store's records as JSON (store_json.hpp): the enums and the records of runs, metrics and
// runs search. Datasets, models, environments, compute, access and experiments:
// store_json_assets.cpp; the values the members hold: store_json_values.cpp.
#include "glia/platform/store_json.hpp"

#include <array>

#include "store_json_codec.hpp"

namespace glia::platform {
namespace store_json {

// ---- Enums ----

namespace {

constexpr std::array<const char*, 4> kSearchFields = {"attribute", "metric", "param", "tag"};
constexpr std::array<const char*, 12> kSearchOps = {
    "=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN", "IS NULL", "IS NOT NULL"};
constexpr std::array<const char*, 3> kLifecycles = {"active", "deleted", "all"};

/// The enum value whose name is `name` in `names` (in declaration order), else a glia::Error
/// "unknown <what> '<name>' (expected one of ...)".
template <typename E, size_t N>
E parse_named(const std::array<const char*, N>& names, const std::string& name, const char* what) {
  for (size_t i = 0; i < N; ++i)
    if (name == names[i]) return static_cast<E>(i);
  std::string all;
  for (const char* n : names) all += (all.empty() ? "'" : ", '") + std::string(n) + "'";
  throw Error(std::string("unknown ") + what + " '" + name + "' (expected one of " + all + ")");
}

}  // namespace

json write(RunStatus v) {
  return to_string(v);
}
json write(SearchField v) {
  return kSearchFields.at(static_cast<size_t>(v));
}
json write(SearchOp v) {
  return kSearchOps.at(static_cast<size_t>(v));
}
json write(RunLifecycle v) {
  return kLifecycles.at(static_cast<size_t>(v));
}

void read(const json& j, RunStatus& v, const Path& path) {
  read_enum(j, v, path, [](const std::string& s) { return parse_run_status(s); });
}
void read(const json& j, SearchField& v, const Path& path) {
  read_enum(j, v, path, [](const std::string& s) {
    return parse_named<SearchField>(kSearchFields, s, "search field");
  });
}
void read(const json& j, SearchOp& v, const Path& path) {
  read_enum(j, v, path, [](const std::string& s) {
    return parse_named<SearchOp>(kSearchOps, s, "search operator");
  });
}
void read(const json& j, RunLifecycle& v, const Path& path) {
  read_enum(j, v, path, [](const std::string& s) {
    return parse_named<RunLifecycle>(kLifecycles, s, "run lifecycle");
  });
}

// ---- Runs ----

template <>
struct Fields<RunInput> {
  static constexpr const char* name = "RunInput";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(run_id);
    GLIA_FIELD(input);
    GLIA_FIELD(dataset);
    GLIA_FIELD(version);
    GLIA_FIELD(manifest);
    GLIA_FIELD(mode);
  }
};

template <>
struct Fields<NewRun> {
  static constexpr const char* name = "NewRun";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(experiment);
    GLIA_FIELD(display_name);
    GLIA_FIELD(command);
    GLIA_FIELD(compute);
    GLIA_FIELD(tags);
    GLIA_FIELD(spec);
    GLIA_FIELD(code_snapshot);
    GLIA_FIELD(timeout);
    GLIA_FIELD(queue);
    GLIA_FIELD(id);
    GLIA_FIELD(inputs);
    GLIA_FIELD(submitter_uid);
    GLIA_FIELD(submitter_name);
    GLIA_FIELD(properties);
    GLIA_FIELD(job_type);
    GLIA_FIELD(parent_id);
    GLIA_FIELD(trial_index);
    GLIA_FIELD(trial_parameters);
    GLIA_FIELD(start);
  }
};

template <>
struct Fields<SweepTrial> {
  static constexpr const char* name = "SweepTrial";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(sweep_id);
    GLIA_FIELD(index);
    GLIA_FIELD(run_id);
    GLIA_FIELD(parameters);
  }
};

template <>
struct Fields<RunRecord> {
  static constexpr const char* name = "RunRecord";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(id);
    GLIA_FIELD(experiment);
    GLIA_FIELD(display_name);
    GLIA_FIELD(status);
    GLIA_FIELD(created_at);
    GLIA_FIELD(started_at);
    GLIA_FIELD(ended_at);
    GLIA_FIELD(command);
    GLIA_FIELD(compute);
    GLIA_FIELD(exit_code);
    GLIA_FIELD(error);
    GLIA_FIELD(tags);
    GLIA_FIELD(spec);
    GLIA_FIELD(code_snapshot);
    GLIA_FIELD(timeout);
    GLIA_FIELD(pid);
    GLIA_FIELD(pid_start);
    GLIA_FIELD(agent_pid);
    GLIA_FIELD(submitter_uid);
    GLIA_FIELD(submitter_name);
    GLIA_FIELD(properties);
    GLIA_FIELD(job_type);
    GLIA_FIELD(parent_id);
  }
};

template <>
struct Fields<StatusChange> {
  static constexpr const char* name = "StatusChange";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(status);
    GLIA_FIELD(at);
  }
};

template <>
struct Fields<RunFilter> {
  static constexpr const char* name = "RunFilter";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(experiment);
    GLIA_FIELD(status);
    GLIA_FIELD(any_status);
    GLIA_FIELD(compute);
    GLIA_FIELD(submitter_uid);
    GLIA_FIELD(parent_id);
    GLIA_FIELD(oldest_first);
    GLIA_FIELD(limit);
  }
};

// ---- Metrics and run files ----

template <>
struct Fields<RunFile> {
  static constexpr const char* name = "RunFile";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(path);
    GLIA_FIELD(sha256);
    GLIA_FIELD(size);
    GLIA_FIELD(created_at);
  }
};

template <>
struct Fields<MetricRow> {
  static constexpr const char* name = "MetricRow";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(name);
    GLIA_FIELD(row_json);
    GLIA_FIELD(wall_time);
  }
};

template <>
struct Fields<MetricImage> {
  static constexpr const char* name = "MetricImage";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(name);
    GLIA_FIELD(step);
    GLIA_FIELD(path);
    GLIA_FIELD(wall_time);
  }
};

template <>
struct Fields<MetricPoint> {
  static constexpr const char* name = "MetricPoint";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(name);
    GLIA_FIELD(step);
    GLIA_FIELD(value);
    GLIA_FIELD(wall_time);
  }
};

template <>
struct Fields<TrackingBatch> {
  static constexpr const char* name = "TrackingBatch";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(metrics);
    GLIA_FIELD(rows);
    GLIA_FIELD(images);
    GLIA_FIELD(files);
    GLIA_FIELD(tags);
  }
};

// ---- Runs search ----

template <>
struct Fields<RunCondition> {
  static constexpr const char* name = "RunCondition";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(field);
    GLIA_FIELD(key);
    GLIA_FIELD(op);
    GLIA_FIELD(number);
    GLIA_FIELD(text);
    GLIA_FIELD(list);
  }
};

template <>
struct Fields<RunOrder> {
  static constexpr const char* name = "RunOrder";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(field);
    GLIA_FIELD(key);
    GLIA_FIELD(ascending);
  }
};

template <>
struct Fields<RunSearch> {
  static constexpr const char* name = "RunSearch";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(experiment_ids);
    GLIA_FIELD(conditions);
    GLIA_FIELD(order);
    GLIA_FIELD(lifecycle);
    GLIA_FIELD(limit);
    GLIA_FIELD(page_token);
  }
};

template <>
struct Fields<SearchedRun> {
  static constexpr const char* name = "SearchedRun";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(run);
    GLIA_FIELD(experiment_id);
    GLIA_FIELD(deleted);
  }
};

template <>
struct Fields<RunSearchPage> {
  static constexpr const char* name = "RunSearchPage";
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    GLIA_FIELD(runs);
    GLIA_FIELD(next_page_token);
  }
};

}  // namespace store_json

GLIA_STORE_JSON_DEFINE(RunStatus)
GLIA_STORE_JSON_DEFINE(SearchField)
GLIA_STORE_JSON_DEFINE(SearchOp)
GLIA_STORE_JSON_DEFINE(RunLifecycle)
GLIA_STORE_JSON_DEFINE(RunInput)
GLIA_STORE_JSON_DEFINE(NewRun)
GLIA_STORE_JSON_DEFINE(SweepTrial)
GLIA_STORE_JSON_DEFINE(RunRecord)
GLIA_STORE_JSON_DEFINE(StatusChange)
GLIA_STORE_JSON_DEFINE(RunFilter)
GLIA_STORE_JSON_DEFINE(RunFile)
GLIA_STORE_JSON_DEFINE(MetricRow)
GLIA_STORE_JSON_DEFINE(MetricImage)
GLIA_STORE_JSON_DEFINE(MetricPoint)
GLIA_STORE_JSON_DEFINE(TrackingBatch)
GLIA_STORE_JSON_DEFINE(RunCondition)
GLIA_STORE_JSON_DEFINE(RunOrder)
GLIA_STORE_JSON_DEFINE(RunSearch)
GLIA_STORE_JSON_DEFINE(SearchedRun)
GLIA_STORE_JSON_DEFINE(RunSearchPage)

}  // namespace glia::platform
