// The store's records as JSON (store_json.hpp): the shared readers and writers of values, the
// enums, and the records of runs, metrics and runs search. Datasets, models, environments, access
// and experiments: store_json_assets.cpp.
#include "glia/platform/store_json.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "store_json_codec.hpp"

namespace glia::platform {
namespace store_json {

std::string Path::str() const {
  std::string out = parent ? parent->str() : std::string();
  if (index) {
    out += "[" + std::to_string(*index) + "]";
  } else if (key) {
    out += "['" + *key + "']";
  } else if (field) {
    if (parent) out += ".";
    out += field;
  }
  return out;
}

void fail(const Path& path, const std::string& what) {
  throw Error(path.str() + ": " + what);
}

void check_object(const json& j, const Path& path) {
  if (!j.is_object()) fail(path, std::string("expected a JSON object, got ") + j.type_name());
}

void check_keys(const json& j, const char* const* first, const char* const* last,
                const Path& path) {
  check_object(j, path);
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* const* k = first; k != last && !known; ++k) known = it.key() == *k;
    if (!known) fail(path, "unknown field '" + it.key() + "'");
  }
}

json write(const std::string& v) {
  return v;
}
json write(bool v) {
  return v;
}
json write(int v) {
  return v;
}
json write(int64_t v) {
  return v;
}

json write(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

void read(const json& j, std::string& v, const Path& path) {
  if (!j.is_string()) fail(path, std::string("expected a string, got ") + j.type_name());
  v = j.get_ref<const std::string&>();
}

void read(const json& j, bool& v, const Path& path) {
  if (!j.is_boolean()) fail(path, std::string("expected true or false, got ") + j.type_name());
  v = j.get<bool>();
}

namespace {

/// An integer in [lo, hi]: a JSON integer, never a fraction, a string or a boolean.
int64_t read_integer(const json& j, int64_t lo, int64_t hi, const Path& path) {
  if (j.is_number_float()) fail(path, "expected an integer, got " + j.dump());
  if (!j.is_number_integer()) fail(path, std::string("expected an integer, got ") + j.type_name());
  const bool in_range = j.is_number_unsigned() ? j.get<uint64_t>() <= static_cast<uint64_t>(hi)
                                               : j.get<int64_t>() >= lo && j.get<int64_t>() <= hi;
  if (!in_range) {
    fail(path, "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
                   ", got " + j.dump());
  }
  return j.is_number_unsigned() ? static_cast<int64_t>(j.get<uint64_t>()) : j.get<int64_t>();
}

}  // namespace

void read(const json& j, int& v, const Path& path) {
  v = static_cast<int>(
      read_integer(j, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(), path));
}

void read(const json& j, int64_t& v, const Path& path) {
  v = read_integer(j, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                   path);
}

void read(const json& j, double& v, const Path& path) {
  if (j.is_number()) {
    v = j.get<double>();
    return;
  }
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN") {
      v = std::numeric_limits<double>::quiet_NaN();
      return;
    }
    if (s == "Infinity" || s == "-Infinity") {
      v = s[0] == '-' ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
      return;
    }
    fail(path, "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\", got \"" + s + "\"");
  }
  fail(path, std::string("expected a number, got ") + j.type_name());
}

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

void json_check_keys(const nlohmann::json& j, std::initializer_list<const char*> known,
                     const std::string& what) {
  const store_json::Path root{nullptr, what.c_str(), nullptr, std::nullopt};
  store_json::check_keys(j, known.begin(), known.end(), root);
}

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
