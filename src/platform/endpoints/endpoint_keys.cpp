// An endpoint's bearer keys: made from randombytes_buf, sealed into EndpointRecord::sealed_keys
// with the workspace's key (secret_box.hpp), opened for `glia endpoint keys` and the agent, and
// regenerated one at a time as a new generation (the other key keeps working throughout).
#include "endpoints/endpoint_keys.hpp"

#include <sodium.h>

#include <array>
#include <cstring>

#include "access/sodium_init.hpp"
#include "artifacts/sha256.hpp"
#include "endpoints/secret_box.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"

namespace glia::platform {

namespace endpoints {

std::string new_endpoint_key() {
  access::ensure_sodium();
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::array<char, sodium_base64_ENCODED_LEN(32, kVariant)> text{};
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(), kVariant);
  sodium_memzero(bytes.data(), bytes.size());
  std::string out(text.data(), std::strlen(text.data()));
  sodium_memzero(text.data(), text.size());
  return out;
}

std::string seal_endpoint_keys(Workspace& ws, const EndpointKeys& keys) {
  require_keys_here(ws, "endpoint keys");
  // Keys are base64url text: a line break cannot be part of one.
  return SecretBox::open(ws.root(), /*create=*/true).seal(keys.primary + "\n" + keys.secondary);
}

void require_keys_here(const Workspace& ws, const std::string& what) {
  if (ws.is_remote())
    throw Error(what +
                " are not yet available over a server: use them in the server's own "
                "workspace");
}

}  // namespace endpoints

EndpointKeys open_endpoint_keys(Workspace& ws, const EndpointRecord& endpoint) {
  endpoints::require_keys_here(ws, "endpoint keys");
  const std::string plain =
      endpoints::SecretBox::open(ws.root(), /*create=*/false).unseal(endpoint.sealed_keys);
  const auto cut = plain.find('\n');
  if (cut == std::string::npos || cut == 0 || cut + 1 == plain.size())
    throw Error(ErrorKind::Corrupt,
                "the sealed keys of endpoint " + quote_bytes(endpoint.name) + " are not two keys");
  return {plain.substr(0, cut), plain.substr(cut + 1)};
}

std::vector<std::string> endpoint_key_digests(const EndpointKeys& keys) {
  std::vector<std::string> out;
  for (const std::string* key : {&keys.primary, &keys.secondary}) {
    artifacts::Sha256 h;
    h.update(key->data(), key->size());
    out.push_back(h.hex_digest());
  }
  return out;
}

std::string new_sealed_endpoint_keys(Workspace& ws) {
  return endpoints::seal_endpoint_keys(
      ws, {endpoints::new_endpoint_key(), endpoints::new_endpoint_key()});
}

EndpointKeys endpoint_keys(Workspace& ws, const std::string& name) {
  if (ws.is_remote()) return ws.link().endpoint_keys(name, "");  // opened by the server
  return open_endpoint_keys(ws, get_endpoint(ws, name));
}

EndpointKeys regenerate_endpoint_key(Workspace& ws, const std::string& name,
                                     const std::string& which) {
  if (which != "primary" && which != "secondary")
    throw Error("key to regenerate " + quote_bytes(which) + ": expected primary or secondary");
  if (ws.is_remote()) return ws.link().endpoint_keys(name, which);
  Store& store = ws.store();
  // Compare-and-set: a concurrent change of the endpoint makes this read it again.
  for (;;) {
    const EndpointRecord e = get_endpoint(ws, name);
    EndpointKeys keys;
    try {
      keys = open_endpoint_keys(ws, e);
      (which == "primary" ? keys.primary : keys.secondary) = endpoints::new_endpoint_key();
    } catch (const Error& err) {
      // The workspace's key file lost (or replaced): the old keys are gone for good, so the
      // one to keep cannot be kept either; both are made anew (docs/endpoints.md "Keys").
      if (err.kind() != ErrorKind::NotFound && err.kind() != ErrorKind::Corrupt) throw;
      keys = {endpoints::new_endpoint_key(), endpoints::new_endpoint_key()};
    }
    if (store.update_endpoint_settings(name, e.generation, e.settings,
                                       endpoints::seal_endpoint_keys(ws, keys)))
      return keys;
  }
}

}  // namespace glia::platform
