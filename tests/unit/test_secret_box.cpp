// The workspace's secret key for endpoint keys (src/platform/endpoints/secret_box.hpp): made once
// with mode 0600, refused when others may read it, and crypto_secretbox that opens only what it
// sealed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <thread>

#include "endpoints/secret_box.hpp"
#include "glia/error.hpp"
#include "temp_dir.hpp"

namespace glia::platform::endpoints {
namespace {

namespace fs = std::filesystem;

class SecretBoxTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = testing_util::fresh_test_dir("secret-box");
    fs::create_directories(root_ / ".glia");
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "expected a glia::Error";
  return ErrorKind::Internal;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST_F(SecretBoxTest, TheKeyFileIsMadeOnceWithMode0600) {
  const mode_t old = ::umask(0);  // even a permissive umask gives 0600 exactly
  const std::string sealed = SecretBox::open(root_, true).seal("primary\nsecondary");
  ::umask(old);
  const fs::path key = secret_key_path(root_);
  EXPECT_EQ(key, root_ / ".glia" / "secrets" / "endpoint.key");
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  ASSERT_EQ(::stat(key.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u);
  const std::string bytes = file_bytes(key);
  // Opened again (with or without create): the same key, which opens what it sealed.
  EXPECT_EQ(SecretBox::open(root_, true).unseal(sealed), "primary\nsecondary");
  EXPECT_EQ(SecretBox::open(root_, false).unseal(sealed), "primary\nsecondary");
  EXPECT_EQ(file_bytes(key), bytes);
  // The text holds neither secret.
  EXPECT_EQ(sealed.find("primary"), std::string::npos);
  EXPECT_EQ(sealed.rfind("v1.", 0), 0u);
}

TEST_F(SecretBoxTest, ConcurrentCreatorsMakeOneKey) {
  std::vector<std::string> sealed(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < sealed.size(); ++i)
    threads.emplace_back([&, i] { sealed[i] = SecretBox::open(root_, true).seal("k"); });
  for (auto& t : threads) t.join();
  const SecretBox box = SecretBox::open(root_, false);
  for (const auto& s : sealed) EXPECT_EQ(box.unseal(s), "k");
}

TEST_F(SecretBoxTest, EachSealHasItsOwnNonce) {
  const SecretBox box = SecretBox::open(root_, true);
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) seen.insert(box.seal("same"));
  EXPECT_EQ(seen.size(), 20u);
}

TEST_F(SecretBoxTest, AMissingKeyIsNotMadeWithoutCreate) {
  EXPECT_EQ(kind_of([&] { SecretBox::open(root_, false); }), ErrorKind::NotFound);
  EXPECT_FALSE(fs::exists(secret_key_path(root_)));
}

TEST_F(SecretBoxTest, AKeyFileOthersMayReadIsRefused) {
  SecretBox::open(root_, true);
  const fs::path key = secret_key_path(root_);
  for (mode_t mode : {0640, 0604, 0620, 0660}) {
    ASSERT_EQ(::chmod(key.c_str(), mode), 0);
    EXPECT_EQ(kind_of([&] { SecretBox::open(root_, false); }), ErrorKind::Permission) << mode;
    EXPECT_EQ(kind_of([&] { SecretBox::open(root_, true); }), ErrorKind::Permission) << mode;
  }
  ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  SecretBox::open(root_, false);
}

TEST_F(SecretBoxTest, AKeyFileOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the file to another user";
  SecretBox::open(root_, true);
  ASSERT_EQ(::chown(secret_key_path(root_).c_str(), 65534, 65534), 0);
  EXPECT_EQ(kind_of([&] { SecretBox::open(root_, false); }), ErrorKind::Permission);
}

TEST_F(SecretBoxTest, ALinkOrAWrongSizedFileIsRefused) {
  fs::create_directories(secret_key_path(root_).parent_path());
  {
    std::ofstream(root_ / "elsewhere") << std::string(32, 'k');
    ::chmod((root_ / "elsewhere").c_str(), 0600);
    fs::create_symlink(root_ / "elsewhere", secret_key_path(root_));
  }
  EXPECT_EQ(kind_of([&] { SecretBox::open(root_, true); }), ErrorKind::Permission);
  fs::remove(secret_key_path(root_));
  std::ofstream(secret_key_path(root_)) << "short";
  ::chmod(secret_key_path(root_).c_str(), 0600);
  EXPECT_EQ(kind_of([&] { SecretBox::open(root_, true); }), ErrorKind::Corrupt);
}

TEST_F(SecretBoxTest, OnlyWhatThisKeySealedOpens) {
  const std::string sealed = SecretBox::open(root_, true).seal("secret");
  // Another workspace's key.
  const fs::path other = root_ / "other";
  fs::create_directories(other / ".glia");
  EXPECT_EQ(kind_of([&] { SecretBox::open(other, true).unseal(sealed); }), ErrorKind::Corrupt);
  const SecretBox box = SecretBox::open(root_, false);
  std::string tampered = sealed;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(kind_of([&] { box.unseal(tampered); }), ErrorKind::Corrupt);
  EXPECT_EQ(kind_of([&] { box.unseal("v1.short"); }), ErrorKind::Corrupt);
  EXPECT_EQ(kind_of([&] { box.unseal("secret"); }), ErrorKind::Corrupt);
  EXPECT_EQ(kind_of([&] { box.unseal(""); }), ErrorKind::Corrupt);
}

}  // namespace
}  // namespace glia::platform::endpoints
