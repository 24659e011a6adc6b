// The arguments of one remote store call (store_routes.cpp): read by name and strictly (whole
// numbers only, records through store_json.hpp), each read checked against the method's declared
// list, and every argument the client sent checked against it before the call runs.
#pragma once

#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "glia/error.hpp"
#include "glia/platform/store_json.hpp"
#include "glia/platform/workspace.hpp"
#include "server/api/api.hpp"

namespace glia::server::api {

/// The arguments of one call, read by name, and the workspace it is made on.
class Args {
 public:
  Args(const nlohmann::json& j, std::string method, const std::vector<const char*>& params,
       platform::Workspace& ws)
      : j_(j), method_(std::move(method)), params_(params), ws_(ws) {
    if (!j_.is_object())
      throw Error("store call '" + method_ + "': the body must be a JSON object of arguments");
  }
  platform::ArtifactStore artifacts() const { return ws_.artifacts(); }
  platform::Workspace& workspace() const { return ws_; }
  template <typename T>
  T get(const char* key) {
    declared(key);
    const auto it = j_.find(key);
    if (it == j_.end()) throw Error("store call '" + method_ + "': missing argument '" + key + "'");
    return read<T>(*it, key);
  }
  template <typename T>
  T get_or(const char* key, T fallback) {
    declared(key);
    const auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return fallback;
    return read<T>(*it, key);
  }
  /// Refuses an argument the method does not take, before anything runs.
  void check() const {
    for (const auto& [key, value] : j_.items()) {
      bool known = false;
      for (const char* p : params_) known = known || key == p;
      if (!known) throw Error("store call '" + method_ + "': unknown argument '" + key + "'");
    }
  }

 private:
  // A method reading an argument its table entry does not list is a bug here, not the client's.
  void declared(const char* key) const {
    for (const char* p : params_)
      if (std::string_view(p) == key) return;
    throw Error(ErrorKind::Internal,
                "store call '" + method_ + "' reads the undeclared argument '" + key + "'");
  }
  template <typename T>
  T read(const nlohmann::json& v, const char* key) const {
    try {
      if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, int>) {
        // Whole numbers only: 1.7 is not version 1.
        const auto i =
            json_integer(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
        if (!i) throw Error("expected an integer");
        return static_cast<T>(*i);
      } else if constexpr (std::is_same_v<T, std::optional<int64_t>> ||
                           std::is_same_v<T, std::optional<int>>) {
        if (v.is_null()) return std::nullopt;
        return read<typename T::value_type>(v, key);
      } else {
        return v.get<T>();
      }
    } catch (const Error& e) {
      throw Error("store call '" + method_ + "': argument '" + key + "': " + e.what());
    } catch (const nlohmann::json::exception&) {
      throw Error("store call '" + method_ + "': argument '" + key + "' has the wrong type");
    }
  }
  const nlohmann::json& j_;
  std::string method_;
  const std::vector<const char*>& params_;
  platform::Workspace& ws_;
};

}  // namespace glia::server::api
