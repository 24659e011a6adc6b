// The shape layers' configs (Reshape, Rescaling, ZeroPadding2D), both ways: Keras 3 and tf.keras 2
// write them alike (target_shape; scale and offset; padding as ((top, bottom), (left, right)) and
// data_format).
#include "formats/config.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"

namespace glia::formats {

namespace {

int64_t integer_at(const json& v, const Where& where, const char* key) {
  if (!v.is_number_integer()) where.at(key).fail("expected an integer, got " + v.dump());
  return v.get<int64_t>();
}

// A scalar scale or offset, kept as written; Keras' per-channel lists and arrays are refused.
double scalar_at(const json& c, const Where& where, const char* key, double fallback) {
  const json* v = find(c, key);
  if (!v) return fallback;
  if (!v->is_number())
    where.at(key).fail("only a number is supported (per-channel lists and arrays are not), got " +
                       v->dump().substr(0, 80));
  return number_of(*v, where, key);
}

// int, (h, w) or ((top, bottom), (left, right)), as ZeroPadding2D takes it.
Padding2D padding_from(const json& v, const Where& where) {
  if (v.is_number_integer()) return Padding2D::symmetric(v.get<int64_t>(), v.get<int64_t>());
  const char* expected = "expected an int, [height, width] or [[top, bottom], [left, right]], got ";
  if (!v.is_array() || v.size() != 2) where.at("padding").fail(expected + v.dump());
  int64_t sides[2][2];
  for (size_t axis = 0; axis < 2; ++axis) {
    const json& a = v[axis];
    if (a.is_number_integer()) {
      sides[axis][0] = sides[axis][1] = a.get<int64_t>();
    } else if (a.is_array() && a.size() == 2) {
      sides[axis][0] = integer_at(a[0], where, "padding");
      sides[axis][1] = integer_at(a[1], where, "padding");
    } else {
      where.at("padding").fail(expected + v.dump());
    }
  }
  return {sides[0][0], sides[0][1], sides[1][0], sides[1][1]};
}

template <class L, class... Args>
LayerPtr made(const Where& where, Args&&... args) {
  try {
    return std::make_shared<L>(std::forward<Args>(args)...);
  } catch (const Error& e) {
    where.fail(e.what());
  }
}

}  // namespace

bool shape_layer_config(const Layer& layer, json& c) {
  if (auto* r = dynamic_cast<const Reshape*>(&layer)) {
    c["target_shape"] = r->target_shape();
  } else if (auto* s = dynamic_cast<const Rescaling*>(&layer)) {
    c["scale"] = s->scale();
    c["offset"] = s->offset();
  } else if (auto* z = dynamic_cast<const ZeroPadding2D*>(&layer)) {
    const Padding2D& p = z->padding();
    c["padding"] = json::array({json::array({p.top, p.bottom}), json::array({p.left, p.right})});
    c["data_format"] = "channels_last";
  } else {
    return false;
  }
  return true;
}

LayerPtr shape_layer_from_config(const std::string& cls, const json& c, const std::string& name,
                                 const Where& w) {
  auto keys = [&](std::initializer_list<const char*> extra) {
    check_keys(c, w,
               {"name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_shape"},
               extra);
  };
  if (cls == "Reshape") {
    keys({"target_shape"});
    const json* t = find(c, "target_shape");
    if (!t || !t->is_array()) w.at("target_shape").fail("Reshape needs a list of dimensions");
    Shape target;
    for (const json& d : *t) target.push_back(integer_at(d, w, "target_shape"));
    return made<Reshape>(w, target, name);
  }
  if (cls == "Rescaling") {
    keys({"scale", "offset"});
    if (!find(c, "scale")) w.fail("Rescaling needs 'scale'");
    return made<Rescaling>(w, scalar_at(c, w, "scale", 1.0), scalar_at(c, w, "offset", 0.0), name);
  }
  if (cls == "ZeroPadding2D") {
    keys({"padding", "data_format"});
    check_channels_last(c, w);
    const json* p = find(c, "padding");
    return made<ZeroPadding2D>(w, p ? padding_from(*p, w) : Padding2D{}, name);
  }
  return nullptr;
}

}  // namespace glia::formats
