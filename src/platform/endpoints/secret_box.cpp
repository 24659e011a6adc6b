// The workspace's secret key file and crypto_secretbox over it (secret_box.hpp).
#include "endpoints/secret_box.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "access/sodium_init.hpp"
#include "glia/error.hpp"
#include "glia/io/atomic_file.hpp"

namespace glia::platform::endpoints {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "v1.";
constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// The key file's bytes into `key`; false when there is no file.
bool read_key(const fs::path& path, std::array<unsigned char, crypto_secretbox_KEYBYTES>& key) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return false;
    const int err = errno;
    if (err == EACCES || err == ELOOP)
      throw Error(ErrorKind::Permission,
                  "endpoint key file '" + path.string() + "' cannot be read: " +
                      (err == ELOOP ? "it is a symbolic link" : std::strerror(err)));
    throw os_error("cannot open endpoint key file '" + path.string() + "'", err);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    throw os_error("cannot stat endpoint key file '" + path.string() + "'", errno);
  if (!S_ISREG(st.st_mode))
    throw Error(ErrorKind::Permission,
                "endpoint key file '" + path.string() + "' is not a regular file");
  if (st.st_uid != ::geteuid())
    throw Error(ErrorKind::Permission, "endpoint key file '" + path.string() + "' belongs to uid " +
                                           std::to_string(st.st_uid) + ", not to this user (uid " +
                                           std::to_string(::geteuid()) + ")");
  if ((st.st_mode & 077) != 0)
    throw Error(ErrorKind::Permission,
                "endpoint key file '" + path.string() + "' has mode " + octal(st.st_mode) +
                    ": group or others may use it; it must be 0600 (chmod 600 it, and regenerate "
                    "the endpoints' keys if others may have read it)");
  if (st.st_size != static_cast<off_t>(key.size()))
    throw Error(ErrorKind::Corrupt, "endpoint key file '" + path.string() + "' holds " +
                                        std::to_string(st.st_size) + " bytes, not a " +
                                        std::to_string(key.size()) + "-byte key");
  size_t got = 0;
  while (got < key.size()) {
    const ssize_t n = ::read(fd.get(), key.data() + got, key.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw os_error("cannot read endpoint key file '" + path.string() + "'", errno);
    if (n == 0)
      throw Error(ErrorKind::Corrupt, "endpoint key file '" + path.string() + "' is truncated");
    got += static_cast<size_t>(n);
  }
  return true;
}

// The secrets folder (0700 when made here), locked until the returned descriptor is closed.
Fd lock_secrets_folder(const fs::path& folder) {
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST)
    throw os_error("cannot create '" + folder.string() + "'", errno);
  Fd fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) throw os_error("cannot open '" + folder.string() + "'", errno);
  while (::flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw os_error("cannot lock '" + folder.string() + "'", errno);
  return fd;
}

}  // namespace

fs::path secret_key_path(const fs::path& workspace_root) {
  return workspace_root / ".glia" / "secrets" / "endpoint.key";
}

SecretBox SecretBox::open(const fs::path& workspace_root, bool create) {
  access::ensure_sodium();
  const fs::path path = secret_key_path(workspace_root);
  SecretBox box;
  if (read_key(path, box.key_)) return box;
  if (!create)
    throw Error(ErrorKind::NotFound, "endpoint key file '" + path.string() +
                                         "' is missing: the endpoints' keys cannot be opened");
  const Fd lock = lock_secrets_folder(path.parent_path());
  if (read_key(path, box.key_)) return box;  // another process made it meanwhile
  crypto_secretbox_keygen(box.key_.data());
  io::write_file_atomically(
      path, std::string_view(reinterpret_cast<const char*>(box.key_.data()), box.key_.size()),
      0600 | io::kExactMode);
  return box;
}

SecretBox::~SecretBox() {
  sodium_memzero(key_.data(), key_.size());
}

SecretBox::SecretBox(SecretBox&& other) noexcept : key_(other.key_) {
  sodium_memzero(other.key_.data(), other.key_.size());
}

std::string SecretBox::seal(std::string_view plaintext) const {
  std::vector<unsigned char> box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                 plaintext.size());
  unsigned char* nonce = box.data();
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        nonce, key_.data());
  std::string text(sodium_base64_ENCODED_LEN(box.size(), kVariant), '\0');
  sodium_bin2base64(text.data(), text.size(), box.data(), box.size(), kVariant);
  text.resize(std::strlen(text.c_str()));
  return std::string(kPrefix) + text;
}

std::string SecretBox::unseal(std::string_view sealed) const {
  const auto corrupt = [] {
    return Error(ErrorKind::Corrupt,
                 "sealed endpoint keys cannot be opened with this workspace's key file (not "
                 "sealed with it, or damaged)");
  };
  if (sealed.substr(0, kPrefix.size()) != kPrefix) throw corrupt();
  const std::string_view text = sealed.substr(kPrefix.size());
  std::vector<unsigned char> box(text.size());
  size_t len = 0;
  if (sodium_base642bin(box.data(), box.size(), text.data(), text.size(), nullptr, &len, nullptr,
                        kVariant) != 0 ||
      len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    throw corrupt();
  const unsigned char* nonce = box.data();
  const unsigned char* cipher = nonce + crypto_secretbox_NONCEBYTES;
  const size_t cipher_len = len - crypto_secretbox_NONCEBYTES;
  std::string plain(cipher_len - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), cipher, cipher_len,
                                 nonce, key_.data()) != 0)
    throw corrupt();
  return plain;
}

}  // namespace glia::platform::endpoints
