#include "server/api/openapi_parts.hpp"

namespace glia::server::api::openapi {

json ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}
json array_of(const json& items) {
  return {{"type", "array"}, {"items", items}};
}
json string_map() {
  return {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}};
}
// OpenAPI 3.1 (JSON Schema 2020-12): null is a type of its own.
json nullable(json schema) {
  if (schema.contains("type") && schema["type"].is_string()) {
    schema["type"] = json::array({schema["type"], "null"});
    return schema;
  }
  return {{"anyOf", json::array({std::move(schema), {{"type", "null"}}})}};
}
// An object with exactly these properties (`required` of them always there).
json object(json properties, std::vector<std::string> required, bool closed) {
  json o = {{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) o["required"] = std::move(required);
  o["additionalProperties"] = !closed;
  return o;
}

json path_param(const std::string& name, json schema) {
  return {{"name", name}, {"in", "path"}, {"required", true}, {"schema", std::move(schema)}};
}
json query_param(const std::string& name, json schema, const std::string& description) {
  return {{"name", name},
          {"in", "query"},
          {"required", false},
          {"schema", std::move(schema)},
          {"description", description}};
}

json json_content(const json& schema) {
  return {{"application/json", {{"schema", schema}}}};
}

// One operation: its summary, the role it needs, its parameters and its answers (with the
// error body as the default answer).
json operation(const std::string& id, const std::string& summary, const std::string& role,
               json parameters, json responses) {
  json op = {{"operationId", id},
             {"summary", summary},
             {"description", "Needs the role " + role + " (docs/access.md)."},
             {"parameters", std::move(parameters)},
             {"responses", std::move(responses)}};
  op["responses"]["default"] = {{"description", "an error (docs/errors.md)"},
                                {"content", json_content(ref("Error"))}};
  return op;
}
json answer(const std::string& description, const json& schema) {
  return {{"description", description}, {"content", json_content(schema)}};
}
json download_answers() {
  // A raster image is answered as itself (file_content_type), anything else as bytes.
  json binary = json::object();
  for (const char* type :
       {"application/octet-stream", "image/png", "image/jpeg", "image/gif", "image/webp"})
    binary[type] = {{"schema", {{"type", "string"}, {"format", "binary"}}}};
  return {{"200", {{"description", "the whole file"}, {"content", binary}}},
          {"206", {{"description", "the byte range asked for (Range)"}, {"content", binary}}}};
}

}  // namespace glia::server::api::openapi
