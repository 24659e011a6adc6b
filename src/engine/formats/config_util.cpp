// Small JSON helpers shared by the config readers: bounded parsing and typed access with errors
// that say where.
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include "formats/config.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"

namespace glia::formats {

void Where::fail(const std::string& what) const {
  throw Error(escape_bytes(text + ": " + what));  // names and values come from the file
}

json parse_json(std::string_view text, const Where& where, int64_t max_bytes) {
  if (static_cast<int64_t>(text.size()) > max_bytes)
    where.fail("the config is " + std::to_string(text.size()) + " bytes, over the limit of " +
               std::to_string(max_bytes));
  // Parsing is iterative, but copying, comparing and dumping a value recurse: a config nested
  // thousands deep would overflow the stack. Keras configs nest about 10 deep.
  constexpr int kMaxDepth = 100;
  int depth = 0;
  bool in_string = false, escaped = false;
  for (const char ch : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (ch == '\\')
        escaped = true;
      else if (ch == '"')
        in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > kMaxDepth)
        where.fail("the config nests deeper than " + std::to_string(kMaxDepth) + " levels");
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {  // parse_error, or out_of_range for numbers like 1e999
    std::string msg = e.what();
    if (auto p = msg.find("parse error"); p != std::string::npos) msg = msg.substr(p);
    where.fail("invalid JSON: " + msg);
  }
}

const json* find(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string type_name(const json& v) {
  return v.type_name();
}

std::string string_of(const json& v, const Where& where, const char* key) {
  const json* p = v.is_object() ? find(v, key) : &v;
  if (!p) where.fail(std::string("missing '") + key + "'");
  if (!p->is_string())
    where.fail(std::string("'") + key + "' must be a string, got " + type_name(*p));
  return p->get<std::string>();
}

double number_of(const json& v, const Where& where, const char* key) {
  if (!v.is_number()) where.at(key).fail("expected a number, got " + v.dump().substr(0, 60));
  const double d = v.get<double>();
  if (!std::isfinite(d)) where.at(key).fail("expected a finite number");
  return d;
}

float float_number_of(const json& v, const Where& where, const char* key) {
  const float f = static_cast<float>(number_of(v, where, key));
  // Glia keeps these in float32: a value beyond its range would become infinity, which a
  // written config cannot hold (JSON has no infinity).
  if (!std::isfinite(f)) where.at(key).fail("expected a number within float32's range (±3.4e38)");
  return f;
}

bool is_default(const json& v) {
  return v.is_null() || (v.is_boolean() && !v.get<bool>());
}

void check_keys(const json& config, const Where& where, std::initializer_list<const char*> known,
                std::initializer_list<const char*> more) {
  std::set<std::string> k(known.begin(), known.end());
  k.insert(more.begin(), more.end());
  for (auto& [key, value] : config.items())
    if (!k.count(key) && !is_default(value))
      where.fail("option '" + key + "' = " + value.dump() +
                 " is not supported by Glia (only the default null/false is accepted)");
}

std::string snake_case(const std::string& class_name) {
  // keras.src.utils.naming.to_snake_case: drop non-word characters, then "_" before an
  // upper-case letter followed by lower-case ones (not at the start), then "_" between a
  // lower-case and an upper-case letter; lower-case all. "PReLU" -> "p_re_lu".
  std::string name;
  for (const char c : class_name)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') name += c;
  auto upper = [](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; };
  auto lower = [](char c) { return std::islower(static_cast<unsigned char>(c)) != 0; };
  std::string step;  // re.sub("(.)([A-Z][a-z]+)", r"\1_\2"): matches do not overlap
  for (size_t i = 0; i < name.size();) {
    if (i + 2 < name.size() && upper(name[i + 1]) && lower(name[i + 2])) {
      size_t j = i + 2;
      while (j < name.size() && lower(name[j])) ++j;
      step += name[i];
      step += '_';
      step += name.substr(i + 1, j - i - 1);
      i = j;
    } else {
      step += name[i++];
    }
  }
  std::string out;  // re.sub("([a-z])([A-Z])", r"\1_\2"), then lower()
  for (size_t i = 0; i < step.size(); ++i) {
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(step[i])));
    if (lower(step[i]) && i + 1 < step.size() && upper(step[i + 1])) out += '_';
  }
  return out;
}

json keras3_object(const char* module, const std::string& class_name, json config) {
  json o;
  o["module"] = module;
  o["class_name"] = class_name;
  o["config"] = std::move(config);
  o["registered_name"] = nullptr;
  return o;
}

json serialized(const char* module, const std::string& class_name, json config, ConfigStyle style) {
  if (style == ConfigStyle::keras3) return keras3_object(module, class_name, std::move(config));
  json o;
  o["class_name"] = class_name;
  o["config"] = std::move(config);
  return o;
}

/// A value the engine keeps as float32, written as the shortest decimal that reads back as that
/// float: the 0.1 the user gave, not 0.10000000149011612 (Keras keeps these as Python floats).
double as_given(float v) {
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf - 1, v).ptr;
  *end = '\0';
  return std::strtod(buf, nullptr);
}

std::string class_of(const json& entry, const Where& where) {
  if (!entry.is_object()) where.fail("expected an object, got " + type_name(entry));
  return string_of(entry, where, "class_name");
}

const json& config_of(const json& entry, const Where& where) {
  const json* c = find(entry, "config");
  if (!c || !c->is_object()) where.fail("expected a 'config' object");
  return *c;
}

void check_channels_last(const json& config, const Where& where) {
  if (const json* f = find(config, "data_format");
      f && !f->is_null() && !(f->is_string() && f->get<std::string>() == "channels_last"))
    where.at("data_format").fail("only channels_last is supported, got " + f->dump());
}

}  // namespace glia::formats
