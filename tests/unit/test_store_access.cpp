// Store contract: users and API tokens (migration 9), for every store in kStores.
#include <gtest/gtest.h>

#include "glia/error.hpp"
#include "store_contract.hpp"

namespace glia::platform::testing_store {
namespace {

TEST_P(StoreContract, UsersAreCreatedOnceListedByNameAndUpdated) {
  const User bo = store_->create_user({"bo", Role::Contributor, 0, "root", false});
  EXPECT_GT(bo.created_at, 0);
  store_->create_user({"al", Role::Owner, 5, "root", false});
  try {
    store_->create_user({"bo", Role::Reader, 0, "", false});
    FAIL() << "a second 'bo' was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Conflict);
  }
  const auto users = store_->list_users();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].name, "al");
  EXPECT_EQ(users[0].created_at, 5);
  EXPECT_EQ(users[1].role, Role::Contributor);
  store_->update_user({"bo", Role::Reader, 0, "", true});
  const auto again = store_->find_user("bo");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->role, Role::Reader);
  EXPECT_TRUE(again->disabled);
  EXPECT_EQ(again->created_by, "root");  // not changed by update_user
  EXPECT_FALSE(store_->find_user("cy").has_value());
  try {
    store_->update_user({"cy", Role::Reader, 0, "", false});
    FAIL() << "an unknown user was updated";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
}

TEST_P(StoreContract, TokensAreStoredHashedAndRevokedOnce) {
  store_->create_user({"bo", Role::Contributor, 0, "", false});
  store_->create_user({"al", Role::Owner, 0, "", false});
  const ApiToken t =
      store_->create_token({"id1", "bo", "$argon2id$hash", "laptop", 10, 99.5, std::nullopt});
  EXPECT_EQ(t.created_at, 10);
  store_->create_token({"id2", "al", "$argon2id$other", "", 20, std::nullopt, std::nullopt});
  try {
    store_->create_token({"id1", "al", "x", "", 0, std::nullopt, std::nullopt});
    FAIL() << "a second token id1 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Conflict);
  }
  try {
    store_->create_token({"id3", "nobody", "x", "", 0, std::nullopt, std::nullopt});
    FAIL() << "a token of an unknown user was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  const auto found = store_->find_token("id1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user, "bo");
  EXPECT_EQ(found->secret_hash, "$argon2id$hash");
  EXPECT_EQ(found->description, "laptop");
  EXPECT_EQ(found->expires_at, 99.5);
  EXPECT_FALSE(found->revoked_at.has_value());
  EXPECT_EQ(store_->list_tokens(std::nullopt).size(), 2u);
  ASSERT_EQ(store_->list_tokens(std::string("al")).size(), 1u);
  EXPECT_EQ(store_->list_tokens(std::string("al"))[0].id, "id2");
  EXPECT_TRUE(store_->revoke_token("id1", 50));
  EXPECT_FALSE(store_->revoke_token("id1", 60));
  EXPECT_EQ(store_->find_token("id1")->revoked_at, 50);
  try {
    store_->revoke_token("nope", 1);
    FAIL() << "an unknown token was revoked";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
}

TEST_P(StoreContract, UsersAndTokensSurviveReopening) {
  store_->create_user({"bo", Role::Owner, 0, "", false});
  store_->create_token({"id1", "bo", "h", "", 0, std::nullopt, std::nullopt});
  store_.reset();
  store_ = GetParam().open(dir_);
  EXPECT_EQ(store_->find_user("bo")->role, Role::Owner);
  EXPECT_EQ(store_->find_token("id1")->user, "bo");
}

}  // namespace
}  // namespace glia::platform::testing_store
