// The OpenAPI paths of what a remote workspace's client uses (docs/server.md "Remote
// workspaces"): the remote store protocol, the blobs, and job submission.
#include "server/api/api.hpp"
#include "server/api/openapi_parts.hpp"

namespace glia::server::api::openapi {

void add_remote_paths(json& paths, const std::string& w) {
  const json ws = path_param("ws");
  paths[w + "/jobs"]["post"] = operation(
      "submitJob", "Submits a command or sweep job (its code folder's snapshot uploaded first)",
      "contributor", {ws}, {{"201", answer("the queued run", ref("Run"))}});
  paths[w + "/jobs"]["post"]["requestBody"] = {
      {"required", true},
      {"content",
       json_content(object(
           {{"job", kString}, {"code_snapshot", nullable(kString)}, {"set", array_of(kString)}},
           {"job"}))}};
  // The remote store protocol (docs/server.md "Remote workspaces"): roles per call.
  const json sha_text = {{"type", "string"}, {"pattern", "^[0-9a-f]{64}$"}};
  const json sha = path_param("sha256", sha_text);
  paths[w + "/store/{method}"]["post"] = operation(
      "storeCall", "Runs one store call for a remote workspace (the role depends on the call)",
      "reader, contributor or owner",
      {ws, path_param("method", {{"type", "string"}, {"enum", store_method_names()}})},
      {{"200", answer("the call's result", object({{"result", kAny}}, {"result"}))}});
  paths[w + "/store/{method}"]["post"]["requestBody"] = {
      {"required", false},
      {"content", json_content({{"type", "object"}, {"description", "the call's arguments"}})}};
  paths[w + "/missing-blobs"]["post"] = operation(
      "missingBlobs", "Which of these blobs the workspace lacks", "contributor", {ws},
      {{"200",
        answer("the hashes not stored", object({{"missing", array_of(kString)}}, {"missing"}))}});
  paths[w + "/missing-blobs"]["post"]["requestBody"] = {
      {"required", true},
      {"content", json_content(object({{"sha256", array_of(sha_text)}}, {"sha256"}))}};
  paths[w + "/blobs/{sha256}"]["get"] =
      operation("downloadBlob", "Downloads a blob (Range for a part)", "reader", {ws, sha},
                download_answers());
  paths[w + "/blobs/{sha256}"]["put"] = operation(
      "uploadBlob", "Stores a blob (refused unless its bytes hash to the name)", "contributor",
      {ws, sha},
      {{"201", answer("the stored blob",
                      object({{"sha256", kString}, {"size", kInteger}}, {"sha256", "size"}))}});
  paths[w + "/blobs/{sha256}"]["put"]["requestBody"] = {
      {"required", false},
      {"content",
       {{"application/octet-stream", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}}}};
  paths[w + "/blobs/{sha256}/urls"]["post"] = operation(
      "addBlobUrl", "Records where a blob registered by reference is fetched from", "contributor",
      {ws, sha},
      {{"200", answer("the blob's URLs", object({{"sha256", kString}, {"urls", array_of(kString)}},
                                                {"sha256", "urls"}))}});
  paths[w + "/blobs/{sha256}/urls"]["post"]["requestBody"] = {
      {"required", true},
      {"content",
       json_content(object(
           {{"url",
             {{"type", "string"}, {"pattern", "^[Hh][Tt][Tt][Pp][Ss]?://[^\\x00-\\x1f]*$"}}}},
           {"url"}))}};
}

}  // namespace glia::server::api::openapi
