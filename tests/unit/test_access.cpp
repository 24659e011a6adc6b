// Access control: issuing tokens, authenticating them (revoked, expired, disabled refused at once
// even when the verification is cached), users' names and roles.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <thread>

#include "glia/platform/clock.hpp"
#include "test_access_fixture.hpp"

namespace glia::platform::testing_access {
namespace {

// The same token with one character of its secret changed (still well-formed).
std::string other_secret(const std::string& text) {
  std::string out = text;
  out.back() = out.back() == 'A' ? 'B' : 'A';
  return out;
}

TEST_F(AccessTest, AnIssuedTokenAuthenticatesAsItsUserWithTheirRole) {
  add_user(*store_, "bo", Role::Contributor, "root");
  const IssuedToken t = issue_token(*store_, "bo", "laptop", std::nullopt);
  ASSERT_EQ(t.text.rfind("glia_", 0), 0u) << t.text;
  EXPECT_EQ(t.text.size(), 5u + 16 + 1 + 43);
  EXPECT_EQ(token_id_of(t.text), t.record.id);
  EXPECT_TRUE(is_token_id(t.record.id));
  EXPECT_EQ(t.record.user, "bo");
  EXPECT_EQ(t.record.description, "laptop");
  EXPECT_GT(t.record.created_at, 0);
  EXPECT_EQ(t.record.secret_hash.rfind("$argon2id$", 0), 0u) << t.record.secret_hash;
  // The server's parameters (secret_hash.cpp): 19 MiB, 2 passes, 1 lane.
  EXPECT_NE(t.record.secret_hash.find("$m=19456,t=2,p=1$"), std::string::npos);
  const std::string secret = t.text.substr(5 + 16 + 1);
  EXPECT_EQ(t.record.secret_hash.find(secret), std::string::npos);

  Authenticator auth(*store_);
  const Principal p = auth.authenticate(t.text);
  EXPECT_EQ(p.user, "bo");
  EXPECT_EQ(p.role, Role::Contributor);
  EXPECT_EQ(p.token_id, t.record.id);
  EXPECT_EQ(auth.cached(), 1u);
  EXPECT_EQ(auth.authenticate(t.text).user, "bo");  // from the cache now
  EXPECT_EQ(auth.cached(), 1u);

  // Two tokens of one user differ in id and secret.
  const IssuedToken u = issue_token(*store_, "bo", "", std::nullopt);
  EXPECT_NE(u.record.id, t.record.id);
  EXPECT_NE(u.text.substr(22), t.text.substr(22));
  EXPECT_EQ(store_->list_tokens(std::string("bo")).size(), 2u);
}

TEST_F(AccessTest, AWrongSecretWithARightIdIsRefusedAlsoWhenTheTokenIsCached) {
  add_user(*store_, "bo", Role::Owner, "");
  const IssuedToken t = issue_token(*store_, "bo", "", std::nullopt);
  Authenticator auth(*store_);
  const std::string wrong = other_secret(t.text);
  EXPECT_EQ(token_id_of(wrong), t.record.id);
  EXPECT_EQ(kind_of([&] { auth.authenticate(wrong); }), ErrorKind::Unauthenticated);
  auth.authenticate(t.text);
  EXPECT_EQ(kind_of([&] { auth.authenticate(wrong); }), ErrorKind::Unauthenticated);
  EXPECT_EQ(auth.authenticate(t.text).user, "bo");
}

TEST_F(AccessTest, ARevokeFromAnotherStoreHandleIsRefusedOnTheNextCall) {
  add_user(*store_, "bo", Role::Reader, "");
  const IssuedToken t = issue_token(*store_, "bo", "", std::nullopt);
  const IssuedToken kept = issue_token(*store_, "bo", "", std::nullopt);
  Authenticator auth(*store_);
  auth.authenticate(t.text);
  auth.authenticate(kept.text);
  EXPECT_EQ(auth.cached(), 2u);
  // As `glia token revoke` does from another process: its own connection to the same file.
  auto cli = open_sqlite_store(db_path());
  EXPECT_TRUE(cli->revoke_token(t.record.id, now_seconds()));
  EXPECT_EQ(kind_of([&] { auth.authenticate(t.text); }), ErrorKind::Unauthenticated);
  EXPECT_EQ(kind_of([&] { auth.authenticate(t.text); }), ErrorKind::Unauthenticated);
  EXPECT_EQ(auth.authenticate(kept.text).token_id, kept.record.id);  // the other one still works
}

TEST_F(AccessTest, AnExpiredTokenIsRefusedAlsoWhenCached) {
  add_user(*store_, "bo", Role::Reader, "");
  const double expires = now_seconds() + 1.0;
  const IssuedToken t = issue_token(*store_, "bo", "", expires);
  ASSERT_TRUE(t.record.expires_at.has_value());
  EXPECT_EQ(*t.record.expires_at, expires);
  Authenticator auth(*store_);
  EXPECT_EQ(auth.authenticate(t.text).user, "bo");
  while (now_seconds() <= expires) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(kind_of([&] { auth.authenticate(t.text); }), ErrorKind::Unauthenticated);
  EXPECT_EQ(token_status(*store_->find_token(t.record.id), now_seconds()), "expired");
  // An expiry in the past (or not a number) is refused when issuing, with nothing stored.
  EXPECT_EQ(kind_of([&] { issue_token(*store_, "bo", "", now_seconds() - 1); }),
            ErrorKind::InvalidArgument);
  EXPECT_EQ(kind_of([&] { issue_token(*store_, "bo", "", std::nan("")); }),
            ErrorKind::InvalidArgument);
  EXPECT_EQ(store_->list_tokens(std::nullopt).size(), 1u);
}

TEST_F(AccessTest, ADisabledUserOrAChangedRoleCountsOnTheNextCall) {
  add_user(*store_, "bo", Role::Reader, "");
  const IssuedToken t = issue_token(*store_, "bo", "", std::nullopt);
  Authenticator auth(*store_);
  EXPECT_EQ(auth.authenticate(t.text).role, Role::Reader);
  auto cli = open_sqlite_store(db_path());
  cli->update_user({"bo", Role::Owner, 0, "", false});
  EXPECT_EQ(auth.authenticate(t.text).role, Role::Owner);
  cli->update_user({"bo", Role::Owner, 0, "", true});
  EXPECT_EQ(kind_of([&] { auth.authenticate(t.text); }), ErrorKind::Unauthenticated);
  // A disabled user gets no new token either.
  EXPECT_EQ(kind_of([&] { issue_token(*store_, "bo", "", std::nullopt); }), ErrorKind::Conflict);
  cli->update_user({"bo", Role::Contributor, 0, "", false});
  EXPECT_EQ(auth.authenticate(t.text).role, Role::Contributor);
}

TEST_F(AccessTest, TokensOfOneWorkspaceAreUnknownToAnother) {
  add_user(*store_, "bo", Role::Owner, "");
  const IssuedToken t = issue_token(*store_, "bo", "", std::nullopt);
  fs::create_directories(dir_ / "other");
  auto other = open_sqlite_store((dir_ / "other" / "glia.db").string());
  add_user(*other, "bo", Role::Owner, "");  // the same user name there
  Authenticator there(*other);
  EXPECT_EQ(kind_of([&] { there.authenticate(t.text); }), ErrorKind::Unauthenticated);
  Authenticator here(*store_);
  EXPECT_EQ(here.authenticate(t.text).user, "bo");
}

TEST_F(AccessTest, NoSecretIsInTheDatabaseFilesOnlyItsHash) {
  add_user(*store_, "bo", Role::Owner, "");
  std::vector<IssuedToken> tokens;
  for (int i = 0; i < 3; ++i) tokens.push_back(issue_token(*store_, "bo", "t", std::nullopt));
  Authenticator auth(*store_);
  for (const auto& t : tokens) auth.authenticate(t.text);
  std::string bytes;  // the database and its WAL, as they are on disk now
  for (const auto& entry : fs::directory_iterator(dir_)) {
    std::ifstream in(entry.path(), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  for (const auto& t : tokens) {
    const std::string secret = t.text.substr(5 + 16 + 1);
    EXPECT_NE(t.record.secret_hash, secret);
    EXPECT_EQ(bytes.find(secret), std::string::npos) << "a secret is stored in clear";
    EXPECT_EQ(bytes.find(secret.substr(0, 16)), std::string::npos) << "part of a secret is stored";
    // The files read are where the tokens are: their ids and hashes are there.
    EXPECT_NE(bytes.find(t.record.id), std::string::npos);
    EXPECT_NE(bytes.find(t.record.secret_hash), std::string::npos);
  }
}

TEST_F(AccessTest, MalformedTokensAreRefusedAsUnauthenticated) {
  add_user(*store_, "bo", Role::Owner, "");
  const IssuedToken t = issue_token(*store_, "bo", "", std::nullopt);
  const std::string id = t.record.id, secret = t.text.substr(22);
  Authenticator auth(*store_);
  std::string upper_id = id;
  for (char& c : upper_id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::vector<std::string> bad = {
      "",
      "glia_",
      "glia__",
      "Bearer " + t.text,
      t.text + " ",
      " " + t.text,
      t.text + "A",                                            // one character too many
      t.text.substr(0, t.text.size() - 1),                     // one too few
      "gliA_" + id + "_" + secret,                             // wrong prefix
      "mlfw_" + id + "_" + secret,                             // wrong prefix
      "glia_" + id + "-" + secret,                             // wrong separator
      "glia_" + upper_id + "_" + secret,                       // ids are lowercase
      "glia_" + id + "_" + secret.substr(0, 42) + "=",         // padding is not base64url
      "glia_" + id + "_" + secret.substr(0, 41) + "\xc3\xa9",  // non-ASCII, right length
      "glia_" + id + "_" + secret.substr(0, 42) + std::string(1, '\0'),
      std::string(1 << 20, 'a'),  // overlong
      "glia_" + id + "_" + secret + std::string(10000, 'A'),
  };
  for (const auto& text : bad)
    EXPECT_EQ(kind_of([&] { auth.authenticate(text); }), ErrorKind::Unauthenticated)
        << "accepted: " << text.substr(0, 80);
  EXPECT_FALSE(token_id_of("glia_" + upper_id + "_" + secret).has_value());
  EXPECT_EQ(auth.cached(), 0u);
  // A well-formed token with an id nobody issued.
  EXPECT_EQ(kind_of([&] { auth.authenticate("glia_0123456789abcdef_" + secret); }),
            ErrorKind::Unauthenticated);
}

TEST_F(AccessTest, ARowWhoseHashIsNotArgon2idNeverVerifies) {
  // Whatever is in a store row, it is compared only as an argon2id hash, never as text.
  add_user(*store_, "bo", Role::Owner, "");
  const std::string secret(43, 'x');
  store_->create_token({"00000000000000aa", "bo", secret, "", 0, std::nullopt, std::nullopt});
  Authenticator auth(*store_);
  EXPECT_EQ(kind_of([&] { auth.authenticate("glia_00000000000000aa_" + secret); }),
            ErrorKind::Unauthenticated);
}

TEST_F(AccessTest, IssuingIsRefusedForUnknownUsersBadNamesAndLongDescriptions) {
  add_user(*store_, "bo", Role::Owner, "");
  EXPECT_EQ(kind_of([&] { issue_token(*store_, "al", "", std::nullopt); }), ErrorKind::NotFound);
  EXPECT_EQ(kind_of([&] { issue_token(*store_, "../bo", "", std::nullopt); }),
            ErrorKind::InvalidArgument);
  EXPECT_EQ(kind_of([&] { issue_token(*store_, "bo", std::string(1001, 'd'), std::nullopt); }),
            ErrorKind::InvalidArgument);
  EXPECT_TRUE(store_->list_tokens(std::nullopt).empty());
  issue_token(*store_, "bo", std::string(1000, 'd'), std::nullopt);
}

TEST_F(AccessTest, UserNamesFollowTheAssetNameRule) {
  for (const std::string name : {"bo", "Al.Smith_2", "x-y", "7"})
    EXPECT_NO_THROW(check_user_name(name));
  for (const std::string& name : std::vector<std::string>{
           "", "../bo", "a b", "-bo", ".bo", "bo/x", "b\xc3\xa9", std::string(256, 'a'), "bo\n"}) {
    EXPECT_EQ(kind_of([&] { add_user(*store_, name, Role::Reader, ""); }),
              ErrorKind::InvalidArgument)
        << name;
  }
  EXPECT_TRUE(store_->list_users().empty());
  const User bo = add_user(*store_, "bo", Role::Contributor, "root");
  EXPECT_EQ(bo.created_by, "root");
  EXPECT_FALSE(bo.disabled);
  EXPECT_EQ(kind_of([&] { add_user(*store_, "bo", Role::Owner, ""); }), ErrorKind::Conflict);
  EXPECT_EQ(store_->find_user("bo")->role, Role::Contributor);
}

TEST(Roles, EachRoleMayDoWhatTheRolesBelowItMay) {
  const Role roles[] = {Role::Reader, Role::Contributor, Role::Owner};
  // allowed[have][need]
  const bool allowed[3][3] = {{true, false, false}, {true, true, false}, {true, true, true}};
  for (int have = 0; have < 3; ++have)
    for (int need = 0; need < 3; ++need)
      EXPECT_EQ(role_allows(roles[have], roles[need]), allowed[have][need])
          << role_name(roles[have]) << " for " << role_name(roles[need]);
}

TEST(Roles, RequireRoleRefusesWithPermissionNamingTheUserAndTheRoleNeeded) {
  const Principal bo{"bo", Role::Reader, "0123456789abcdef"};
  EXPECT_NO_THROW(require_role(bo, Role::Reader, "list runs"));
  try {
    require_role(bo, Role::Contributor, "submit jobs");
    FAIL() << "a reader submitted a job";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Permission);
    EXPECT_EQ(std::string(e.what()),
              "user 'bo' (reader) may not submit jobs; it needs the contributor role");
  }
  const Principal al{"al", Role::Contributor, ""};
  EXPECT_NO_THROW(require_role(al, Role::Contributor, "submit jobs"));
  EXPECT_EQ(kind_of([&] { require_role(al, Role::Owner, "add users"); }), ErrorKind::Permission);
  EXPECT_NO_THROW(require_role({"cy", Role::Owner, ""}, Role::Owner, "add users"));
}

}  // namespace
}  // namespace glia::platform::testing_access
