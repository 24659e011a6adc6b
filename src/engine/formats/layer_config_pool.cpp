// The pooling layers' Keras configs, both ways (layer_config.cpp calls in): MaxPooling2D,
// AveragePooling2D, MaxPooling1D, AveragePooling1D (pool_size, strides, padding, data_format)
// and the global pools (data_format, keepdims). Keras 3 and tf.keras 2 write the same keys.
#include "formats/config.hpp"
#include "glia/error.hpp"
#include "glia/layers_pool.hpp"

namespace glia::formats {

namespace {

constexpr int64_t kMaxWindow = int64_t{1} << 30;

/// An int or a list of `rank` ints, each in [1, 2^30].
std::vector<int64_t> sizes_of(const json& v, const Where& where, const char* key, int rank) {
  std::vector<int64_t> out;
  auto one = [&](const json& d) {
    if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > kMaxWindow)
      where.at(key).fail("expected positive integers, got " + v.dump());
    out.push_back(d.get<int64_t>());
  };
  if (v.is_array()) {
    if (static_cast<int>(v.size()) != rank)
      where.at(key).fail("expected " + std::to_string(rank) + " value" + (rank == 1 ? "" : "s") +
                         ", got " + v.dump());
    for (const json& d : v) one(d);
  } else {
    one(v);
  }
  return out;
}

int rank_of(const std::string& cls) {
  return cls.back() == 'D' && cls[cls.size() - 2] == '1' ? 1 : 2;
}

}  // namespace

bool pool_layer_config(const Layer& layer, json& c) {
  if (auto* p = dynamic_cast<const Pooling*>(&layer)) {
    c["pool_size"] = p->pool_size();
    c["padding"] = p->padding();
    c["strides"] = p->strides();
    c["data_format"] = "channels_last";
    return true;
  }
  if (auto* g = dynamic_cast<const GlobalPooling*>(&layer)) {
    c["data_format"] = "channels_last";
    c["keepdims"] = g->keepdims();
    return true;
  }
  return false;
}

LayerPtr pool_layer_from_config(const std::string& cls, const json& c, const Where& w) {
  const bool windowed = cls == "MaxPooling2D" || cls == "AveragePooling2D" ||
                        cls == "MaxPooling1D" || cls == "AveragePooling1D";
  const bool global = cls == "GlobalMaxPooling2D" || cls == "GlobalAveragePooling2D" ||
                      cls == "GlobalMaxPooling1D" || cls == "GlobalAveragePooling1D";
  if (!windowed && !global) return nullptr;
  auto keys = [&](std::initializer_list<const char*> extra) {
    check_keys(c, w,
               {"name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape"},
               extra);
  };
  std::string name;
  if (const json* n = find(c, "name")) name = string_of(*n, w, "name");
  check_channels_last(c, w);
  if (global) {
    keys({"data_format", "keepdims"});
    GlobalPoolingOptions o;
    o.name = name;
    if (const json* k = find(c, "keepdims"); k && !k->is_null()) {
      if (!k->is_boolean()) w.at("keepdims").fail("expected true or false, got " + k->dump());
      o.keepdims = k->get<bool>();
    }
    if (cls == "GlobalMaxPooling2D") return std::make_shared<GlobalMaxPooling2D>(o);
    if (cls == "GlobalAveragePooling2D") return std::make_shared<GlobalAveragePooling2D>(o);
    if (cls == "GlobalMaxPooling1D") return std::make_shared<GlobalMaxPooling1D>(o);
    return std::make_shared<GlobalAveragePooling1D>(o);
  }
  keys({"pool_size", "strides", "padding", "data_format"});
  const int rank = rank_of(cls);
  PoolingOptions o;
  o.name = name;
  if (const json* p = find(c, "pool_size"); p && !p->is_null())
    o.pool_size = sizes_of(*p, w, "pool_size", rank);
  if (const json* s = find(c, "strides"); s && !s->is_null())
    o.strides = sizes_of(*s, w, "strides", rank);
  if (const json* p = find(c, "padding")) o.padding = string_of(*p, w, "padding");
  try {
    if (cls == "MaxPooling2D") return std::make_shared<MaxPooling2D>(o);
    if (cls == "AveragePooling2D") return std::make_shared<AveragePooling2D>(o);
    if (cls == "MaxPooling1D") return std::make_shared<MaxPooling1D>(o);
    return std::make_shared<AveragePooling1D>(o);
  } catch (const Error& e) {  // the padding
    w.fail(e.what());
  }
}

}  // namespace glia::formats
