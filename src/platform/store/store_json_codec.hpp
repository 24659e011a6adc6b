// The machinery behind store_json.hpp: each record type lists its members once (Fields<T>), and
// that one list both writes the record and reads it back (strictly), so a member cannot be
// written without being read. Values of the members' types have one writer and one checked
// reader each; a reader names where it failed by a Path built only when it fails.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/store.hpp"

namespace glia::platform::store_json {

using nlohmann::json;

/// Where a value sits in the document being read ("TrackingBatch.metrics[3].value"): a chain of
/// frames on the stack, made into text only for a message.
struct Path {
  const Path* parent = nullptr;
  const char* field = nullptr;       // the root's type name, or a member's name
  const std::string* key = nullptr;  // a map's key
  std::optional<size_t> index;       // an array's element
  std::string str() const;
};

/// Throws glia::Error (InvalidArgument) "<path>: <what>".
[[noreturn]] void fail(const Path& path, const std::string& what);
/// Throws unless `j` is an object; "expected a JSON object, got <type>".
void check_object(const json& j, const Path& path);
/// Throws unless `j` is an object whose keys are all in [first, last), naming the first other.
void check_keys(const json& j, const char* const* first, const char* const* last, const Path& path);

/// Each record type's member list: `name` and `each(s, f)`, which calls f("member", s.member)
/// for every member, in declaration order (GLIA_FIELD writes the key as the member's name).
template <typename T>
struct Fields;
#define GLIA_FIELD(member) f(#member, s.member)

template <typename T>
concept Record = requires {
  Fields<T>::name;
};

// ---- Writing ----
json write(const std::string& v);
json write(bool v);
json write(int v);
json write(int64_t v);
json write(double v);  // NaN and ±infinity as "NaN", "Infinity", "-Infinity"
json write(RunStatus v);
json write(Role v);
json write(SearchField v);
json write(SearchOp v);
json write(RunLifecycle v);
json write(EndpointState v);
template <typename T>
json write(const std::optional<T>& v);
template <typename T>
json write(const std::vector<T>& v);
template <typename T>
json write(const std::map<std::string, T>& v);
template <Record T>
json write(const T& v);

template <typename T>
json write(const std::optional<T>& v) {
  return v ? write(*v) : json(nullptr);
}
template <typename T>
json write(const std::vector<T>& v) {
  json out = json::array();
  for (const T& e : v) out.push_back(write(e));
  return out;
}
template <typename T>
json write(const std::map<std::string, T>& v) {
  json out = json::object();
  for (const auto& [k, e] : v) out[k] = write(e);
  return out;
}
template <Record T>
json write(const T& v) {
  json out = json::object();
  Fields<T>::each(v, [&](const char* key, const auto& member) { out[key] = write(member); });
  return out;
}

// ---- Reading (each throws glia::Error naming `path` for a value of the wrong kind) ----
void read(const json& j, std::string& v, const Path& path);
void read(const json& j, bool& v, const Path& path);
void read(const json& j, int& v, const Path& path);
void read(const json& j, int64_t& v, const Path& path);
void read(const json& j, double& v, const Path& path);
void read(const json& j, RunStatus& v, const Path& path);
void read(const json& j, Role& v, const Path& path);
void read(const json& j, SearchField& v, const Path& path);
void read(const json& j, SearchOp& v, const Path& path);
void read(const json& j, RunLifecycle& v, const Path& path);
void read(const json& j, EndpointState& v, const Path& path);
template <typename T>
void read(const json& j, std::optional<T>& v, const Path& path);
template <typename T>
void read(const json& j, std::vector<T>& v, const Path& path);
template <typename T>
void read(const json& j, std::map<std::string, T>& v, const Path& path);
template <Record T>
void read(const json& j, T& v, const Path& path);

/// An enum's name as a string ("RunRecord.status: unknown run status 'X' (...)").
template <typename E, typename Parse>
void read_enum(const json& j, E& v, const Path& path, Parse parse) {
  if (!j.is_string()) fail(path, std::string("expected a string, got ") + j.type_name());
  try {
    v = parse(j.get_ref<const std::string&>());
  } catch (const Error& e) {
    fail(path, e.what());
  }
}

template <typename T>
void read(const json& j, std::optional<T>& v, const Path& path) {
  if (j.is_null()) {
    v.reset();
    return;
  }
  T value{};
  read(j, value, path);
  v = std::move(value);
}
template <typename T>
void read(const json& j, std::vector<T>& v, const Path& path) {
  if (!j.is_array()) fail(path, std::string("expected an array, got ") + j.type_name());
  std::vector<T> out;
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    T e{};
    read(j[i], e, Path{&path, nullptr, nullptr, i});
    out.push_back(std::move(e));
  }
  v = std::move(out);
}
template <typename T>
void read(const json& j, std::map<std::string, T>& v, const Path& path) {
  if (!j.is_object()) fail(path, std::string("expected an object, got ") + j.type_name());
  std::map<std::string, T> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    T e{};
    read(it.value(), e, Path{&path, nullptr, &it.key(), std::nullopt});
    out.emplace(it.key(), std::move(e));
  }
  v = std::move(out);
}

/// The member names of T, in Fields<T> order.
template <Record T>
const std::vector<const char*>& field_names() {
  static const std::vector<const char*> names = [] {
    std::vector<const char*> out;
    T probe{};
    Fields<T>::each(probe, [&](const char* key, auto&) { out.push_back(key); });
    return out;
  }();
  return names;
}

/// A record from an object: every key one of its members (an absent or null one keeps the
/// member's default); `v` is only assigned once the whole record has been read.
template <Record T>
void read(const json& j, T& v, const Path& path) {
  const auto& names = field_names<T>();
  check_keys(j, names.data(), names.data() + names.size(), path);
  T out{};
  Fields<T>::each(out, [&](const char* key, auto& member) {
    const auto it = j.find(key);
    if (it != j.end() && !it->is_null()) read(*it, member, Path{&path, key, nullptr, std::nullopt});
  });
  v = std::move(out);
}

/// from_json for a type: `j` read as the root of a document, nlohmann's own exceptions (none are
/// expected: every access is checked first) turned into glia::Error too.
template <typename T>
void read_root(const json& j, T& v, const char* type) {
  const Path root{nullptr, type, nullptr, std::nullopt};
  try {
    read(j, v, root);
  } catch (const json::exception& e) {
    fail(root, e.what());
  }
}

}  // namespace glia::platform::store_json

/// The ADL pair of a type (a record or an enum) declared in store_json.hpp, defined in namespace
/// glia::platform.
#define GLIA_STORE_JSON_DEFINE(T)                     \
  void to_json(nlohmann::json& j, const T& value) {   \
    j = store_json::write(value);                     \
  }                                                   \
  void from_json(const nlohmann::json& j, T& value) { \
    store_json::read_root(j, value, #T);              \
  }
