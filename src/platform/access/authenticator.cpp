// Authenticating API tokens per request: the store's rows read every time, the argon2id
// verification cached (bounded LRU keyed by a keyed BLAKE2b hash of the token text).
#include <sodium.h>

#include <algorithm>
#include <array>
#include <list>
#include <mutex>
#include <unordered_map>

#include "access/secret_hash.hpp"
#include "access/sodium_init.hpp"
#include "access/token_text.hpp"
#include "glia/error.hpp"
#include "glia/escape.hpp"
#include "glia/platform/access.hpp"
#include "glia/platform/clock.hpp"

namespace glia::platform {

namespace {

Error unauthenticated(const std::string& message) {
  return Error(ErrorKind::Unauthenticated, message);
}

}  // namespace

struct Authenticator::Impl {
  struct Entry {
    std::string key;   // keyed BLAKE2b of the token text
    std::string id;    // the token it verified
    std::string hash;  // the stored hash it was verified against
  };

  Impl(Store& s, size_t capacity) : store(s), capacity(std::max<size_t>(capacity, 1)) {
    access::ensure_sodium();
    // A key of this process's own: the cache's keys say nothing about tokens outside it.
    crypto_generichash_keygen(hash_key.data());
  }

  std::string cache_key(std::string_view text) const {
    std::array<unsigned char, crypto_generichash_BYTES> out{};
    crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()),
                       text.size(), hash_key.data(), hash_key.size());
    return std::string(reinterpret_cast<const char*>(out.data()), out.size());
  }

  // Whether `key` was verified against this token's current hash (and marks it used).
  bool verified(const std::string& key, const ApiToken& token) {
    std::lock_guard lock(mu);
    const auto it = index.find(key);
    if (it == index.end()) return false;
    if (it->second->id != token.id || it->second->hash != token.secret_hash) {
      lru.erase(it->second);  // the token's hash changed: verify again
      index.erase(it);
      return false;
    }
    lru.splice(lru.begin(), lru, it->second);
    return true;
  }

  void remember(const std::string& key, const ApiToken& token) {
    std::lock_guard lock(mu);
    if (const auto it = index.find(key); it != index.end()) {  // another thread verified it too
      lru.erase(it->second);
      index.erase(it);
    }
    lru.push_front({key, token.id, token.secret_hash});
    index.emplace(key, lru.begin());
    while (lru.size() > capacity) {
      index.erase(lru.back().key);
      lru.pop_back();
    }
  }

  Store& store;
  const size_t capacity;
  std::array<unsigned char, crypto_generichash_KEYBYTES> hash_key{};
  mutable std::mutex mu;
  std::list<Entry> lru;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index;
};

Authenticator::Authenticator(Store& store, size_t cache_capacity)
    : impl_(std::make_unique<Impl>(store, cache_capacity)) {}

Authenticator::~Authenticator() = default;

size_t Authenticator::cached() const {
  std::lock_guard lock(impl_->mu);
  return impl_->lru.size();
}

Principal Authenticator::authenticate(std::string_view token_text) {
  const auto parsed = access::parse_token_text(token_text);
  if (!parsed)
    throw unauthenticated(
        "malformed API token: expected glia_<16 hex digits>_<43 base64url characters>");
  const std::string& id = parsed->id;
  // Read on every call (never cached), so revokes and changes elsewhere count at once.
  const auto token = impl_->store.find_token(id);
  if (!token) throw unauthenticated("unknown API token '" + id + "'");
  const std::string key = impl_->cache_key(token_text);
  // The secret is checked before anything about the token's state is told.
  if (!impl_->verified(key, *token)) {
    if (!access::verify_secret(token->secret_hash, parsed->secret))
      throw unauthenticated("API token '" + id + "' is not valid (its secret does not match)");
    impl_->remember(key, *token);
  }
  // The verification stays cached for a revoked or expired token: a client that goes on sending
  // one costs two reads per request, not an argon2id verification each.
  return principal_of(*token);
}

Principal Authenticator::authenticate_verified(const std::string& token_id) {
  const auto token = impl_->store.find_token(token_id);
  if (!token) throw unauthenticated("unknown API token '" + token_id + "'");
  return principal_of(*token);
}

Principal Authenticator::principal_of(const ApiToken& token) {
  const std::string& id = token.id;
  if (token.revoked_at) throw unauthenticated("API token '" + id + "' was revoked");
  if (token.expires_at && *token.expires_at <= now_seconds())
    throw unauthenticated("API token '" + id + "' has expired");
  const auto user = impl_->store.find_user(token.user);
  if (!user)
    throw unauthenticated("the user " + quote_bytes(token.user) + " of API token '" + id +
                          "' no longer exists");
  if (user->disabled) throw unauthenticated("user " + quote_bytes(user->name) + " is disabled");
  return {user->name, user->role, id};
}

}  // namespace glia::platform
