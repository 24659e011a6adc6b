// Store contract: online endpoints (migration 13) for every store in kStores — the records, the
// compare-and-set of their settings, the agent's observations with their events, delete and
// removal, and the model versions an endpoint uses, which cannot be deleted.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "glia/error.hpp"
#include "glia/platform/clock.hpp"
#include "store_contract.hpp"

namespace glia::platform::testing_store {
namespace {

using StoreEndpoints = StoreContract;

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "expected a glia::Error";
  return ErrorKind::Internal;
}

ModelVersion model(const std::string& name) {
  ModelVersion m;
  m.name = name;
  m.manifest = std::string(64, 'a');
  return m;
}

EndpointRecord endpoint(const std::string& name, const std::string& model_name, int64_t version) {
  EndpointRecord e;
  e.name = name;
  e.settings.model_name = model_name;
  e.settings.model_version = version;
  e.settings.instances = 2;
  e.settings.tags = {{"team", "vision"}};
  e.settings.description = "digits";
  e.sealed_keys = "nonce+ciphertext";
  e.owner_uid = 1000;
  e.created_by = "alice";
  return e;
}

TEST_P(StoreEndpoints, AreCreatedOnceAndReadBackWhole) {
  store_->create_model_version(model("mnist"));
  const double before = now_seconds();
  const EndpointRecord made = store_->create_endpoint(endpoint("svc", "mnist", 1));
  EXPECT_GE(made.created_at, before - 1);
  EXPECT_EQ(made.updated_at, made.created_at);
  const auto found = store_->find_endpoint("svc");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->settings.model_name, "mnist");
  EXPECT_EQ(found->settings.model_version, 1);
  EXPECT_EQ(found->settings.instances, 2);
  EXPECT_EQ(found->settings.tags, (std::map<std::string, std::string>{{"team", "vision"}}));
  EXPECT_EQ(found->settings.description, "digits");
  EXPECT_EQ(found->settings.max_batch_size, EndpointSettings{}.max_batch_size);
  EXPECT_EQ(found->generation, 1);
  EXPECT_EQ(found->sealed_keys, "nonce+ciphertext");
  EXPECT_EQ(found->status.state, EndpointState::Creating);
  EXPECT_EQ(found->owner_uid, 1000);
  EXPECT_EQ(found->created_by, "alice");
  EXPECT_EQ(found->created_at, made.created_at);
  EXPECT_FALSE(store_->find_endpoint("other").has_value());

  EXPECT_EQ(kind_of([&] { store_->create_endpoint(endpoint("svc", "mnist", 1)); }),
            ErrorKind::Conflict);
  // A model version that is not registered: nothing stored.
  EXPECT_EQ(kind_of([&] { store_->create_endpoint(endpoint("b", "mnist", 2)); }),
            ErrorKind::NotFound);
  EXPECT_EQ(kind_of([&] { store_->create_endpoint(endpoint("b", "nope", 1)); }),
            ErrorKind::NotFound);
  EXPECT_FALSE(store_->find_endpoint("b").has_value());
  EXPECT_TRUE(store_->endpoint_events("b").empty());

  store_->create_endpoint(endpoint("a-first", "mnist", 1));
  const auto all = store_->list_endpoints();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "a-first");
  EXPECT_EQ(all[1].name, "svc");
  const auto events = store_->endpoint_events("svc");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, EndpointState::Creating);
  EXPECT_EQ(events[0].time, made.created_at);
}

TEST_P(StoreEndpoints, SettingsChangeByCompareAndSet) {
  store_->create_model_version(model("mnist"));
  store_->create_model_version(model("mnist"));
  store_->create_endpoint(endpoint("svc", "mnist", 1));
  EndpointSettings changed = store_->find_endpoint("svc")->settings;
  changed.model_version = 2;
  changed.max_batch_size = 64;
  EXPECT_TRUE(store_->update_endpoint_settings("svc", 1, changed, "sealed-2"));
  auto e = store_->find_endpoint("svc");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->generation, 2);
  EXPECT_EQ(e->settings.model_version, 2);
  EXPECT_EQ(e->settings.max_batch_size, 64);
  EXPECT_EQ(e->sealed_keys, "sealed-2");
  EXPECT_GE(e->updated_at, e->created_at);
  // A writer that read generation 1 lost the race: nothing written.
  changed.max_batch_size = 8;
  EXPECT_FALSE(store_->update_endpoint_settings("svc", 1, changed, "sealed-3"));
  e = store_->find_endpoint("svc");
  EXPECT_EQ(e->generation, 2);
  EXPECT_EQ(e->settings.max_batch_size, 64);
  EXPECT_EQ(e->sealed_keys, "sealed-2");
  // An unknown version or endpoint.
  changed.model_version = 9;
  EXPECT_EQ(kind_of([&] { store_->update_endpoint_settings("svc", 2, changed, "k"); }),
            ErrorKind::NotFound);
  EXPECT_EQ(store_->find_endpoint("svc")->generation, 2);
  EXPECT_EQ(kind_of([&] { store_->update_endpoint_settings("nope", 1, changed, "k"); }),
            ErrorKind::NotFound);
  // While Deleting: refused.
  store_->request_endpoint_delete("svc");
  changed.model_version = 1;
  EXPECT_EQ(kind_of([&] { store_->update_endpoint_settings("svc", 2, changed, "k"); }),
            ErrorKind::Conflict);
}

TEST_P(StoreEndpoints, ConcurrentUpdatesEachGetOneGeneration) {
  store_->create_model_version(model("mnist"));
  store_->create_endpoint(endpoint("svc", "mnist", 1));
  constexpr int kThreads = 4, kEach = 5;
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      auto s = GetParam().open(dir_);
      for (int done = 0; done < kEach;) {
        const EndpointRecord cur = *s->find_endpoint("svc");
        EndpointSettings next = cur.settings;
        next.max_queue = cur.settings.max_queue + 1;
        if (s->update_endpoint_settings("svc", cur.generation, next, cur.sealed_keys)) {
          ++done;
          ++won;
        }
      }
    });
  for (auto& th : threads) th.join();
  const EndpointRecord e = *store_->find_endpoint("svc");
  EXPECT_EQ(won.load(), kThreads * kEach);
  EXPECT_EQ(e.generation, 1 + kThreads * kEach);
  EXPECT_EQ(e.settings.max_queue, EndpointSettings{}.max_queue + kThreads * kEach);
}

TEST_P(StoreEndpoints, StatusIsRecordedWithAnEventPerChange) {
  store_->create_model_version(model("mnist"));
  store_->create_endpoint(endpoint("svc", "mnist", 1));
  EndpointStatus st;
  st.state = EndpointState::Healthy;
  st.port = 8123;
  st.served_generation = 1;
  st.served_model_version = 1;
  st.pid = 4242;
  st.pid_start = "123456";
  store_->set_endpoint_status("svc", st);
  st.restarts = 0;
  store_->set_endpoint_status("svc", st);  // the same again: no event
  auto e = *store_->find_endpoint("svc");
  EXPECT_EQ(e.status.state, EndpointState::Healthy);
  EXPECT_EQ(e.status.port, 8123);
  EXPECT_EQ(e.status.pid, 4242);
  EXPECT_EQ(e.status.pid_start, "123456");
  EXPECT_EQ(e.status.served_generation, 1);
  EXPECT_EQ(e.generation, 1);  // the agent's observations are no new generation
  st.state = EndpointState::Unhealthy;
  st.reason = "exited with signal 9";
  st.pid = 0;
  st.restarts = 1;
  store_->set_endpoint_status("svc", st);
  st.reason = "exited with code 1";  // the reason alone changed: an event too
  store_->set_endpoint_status("svc", st);
  e = *store_->find_endpoint("svc");
  EXPECT_EQ(e.status.reason, "exited with code 1");
  EXPECT_EQ(e.status.restarts, 1);
  const auto events = store_->endpoint_events("svc");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].state, EndpointState::Creating);
  EXPECT_EQ(events[1].state, EndpointState::Healthy);
  EXPECT_EQ(events[2].state, EndpointState::Unhealthy);
  EXPECT_EQ(events[2].reason, "exited with signal 9");
  EXPECT_EQ(events[3].reason, "exited with code 1");
  for (size_t i = 1; i < events.size(); ++i) EXPECT_GE(events[i].time, events[i - 1].time);

  EXPECT_EQ(kind_of([&] { store_->set_endpoint_status("nope", st); }), ErrorKind::NotFound);
  st.state = EndpointState::Deleting;
  EXPECT_EQ(kind_of([&] { store_->set_endpoint_status("svc", st); }), ErrorKind::InvalidArgument);
  EXPECT_EQ(store_->endpoint_events("svc").size(), 4u);
}

// A new generation ends what the recorded state said of the previous one: a Failed endpoint is
// started again and a failed update's reason no longer applies (a waiting `glia endpoint update`
// would otherwise report the old failure at once); other states stay the agent's to change.
TEST_P(StoreEndpoints, ANewGenerationClearsThePreviousOnesFailure) {
  store_->create_model_version(model("mnist"));
  store_->create_endpoint(endpoint("svc", "mnist", 1));
  EndpointStatus st;
  st.state = EndpointState::Failed;
  st.reason = "failed to start 5 times in a row";
  store_->set_endpoint_status("svc", st);
  EndpointSettings s = store_->find_endpoint("svc")->settings;
  ASSERT_TRUE(store_->update_endpoint_settings("svc", 1, s, "k"));
  auto e = *store_->find_endpoint("svc");
  EXPECT_EQ(e.status.state, EndpointState::Creating);  // it never served
  EXPECT_EQ(e.status.reason, "generation 2 recorded: starting again");
  EXPECT_EQ(store_->endpoint_events("svc").back().state, EndpointState::Creating);

  st.state = EndpointState::Failed;
  st.served_generation = 2;
  store_->set_endpoint_status("svc", st);
  ASSERT_TRUE(store_->update_endpoint_settings("svc", 2, s, "k"));
  EXPECT_EQ(store_->find_endpoint("svc")->status.state, EndpointState::Unhealthy);

  st.state = EndpointState::Healthy;
  st.reason = "update to generation 4 failed: no; serving generation 2";
  store_->set_endpoint_status("svc", st);
  const size_t events = store_->endpoint_events("svc").size();
  ASSERT_TRUE(store_->update_endpoint_settings("svc", 3, s, "k"));
  e = *store_->find_endpoint("svc");
  EXPECT_EQ(e.status.state, EndpointState::Healthy);
  EXPECT_EQ(e.status.reason, "");
  EXPECT_EQ(e.status.served_generation, 2);
  EXPECT_EQ(store_->endpoint_events("svc").size(), events + 1);

  st.state = EndpointState::Unhealthy;  // the agent's: it restarts the process as it is
  st.reason = "the process was killed by SIGKILL";
  store_->set_endpoint_status("svc", st);
  ASSERT_TRUE(store_->update_endpoint_settings("svc", 4, s, "k"));
  e = *store_->find_endpoint("svc");
  EXPECT_EQ(e.status.state, EndpointState::Unhealthy);
  EXPECT_EQ(e.status.reason, "the process was killed by SIGKILL");
  // A compare-and-set that lost changes nothing.
  st.state = EndpointState::Failed;
  store_->set_endpoint_status("svc", st);
  EXPECT_FALSE(store_->update_endpoint_settings("svc", 4, s, "k"));
  EXPECT_EQ(store_->find_endpoint("svc")->status.state, EndpointState::Failed);
}

TEST_P(StoreEndpoints, DeleteIsRequestedThenTheRecordRemoved) {
  store_->create_model_version(model("mnist"));
  store_->create_endpoint(endpoint("svc", "mnist", 1));
  // Only a Deleting endpoint is removed.
  EXPECT_EQ(kind_of([&] { store_->remove_endpoint("svc"); }), ErrorKind::Conflict);
  store_->request_endpoint_delete("svc");
  store_->request_endpoint_delete("svc");  // again: nothing more
  EXPECT_EQ(store_->find_endpoint("svc")->status.state, EndpointState::Deleting);
  auto events = store_->endpoint_events("svc");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].state, EndpointState::Deleting);
  // The agent's observations while it stops the process keep it Deleting.
  EndpointStatus st;
  st.state = EndpointState::Healthy;
  st.pid = 77;
  store_->set_endpoint_status("svc", st);
  EXPECT_EQ(store_->find_endpoint("svc")->status.state, EndpointState::Deleting);
  EXPECT_EQ(store_->find_endpoint("svc")->status.pid, 77);
  EXPECT_EQ(store_->endpoint_events("svc").size(), 2u);

  EXPECT_TRUE(store_->remove_endpoint("svc"));
  EXPECT_FALSE(store_->find_endpoint("svc").has_value());
  EXPECT_TRUE(store_->endpoint_events("svc").empty());
  EXPECT_FALSE(store_->remove_endpoint("svc"));
  EXPECT_EQ(kind_of([&] { store_->request_endpoint_delete("svc"); }), ErrorKind::NotFound);
  // The name is free again, and its history starts anew.
  store_->create_endpoint(endpoint("svc", "mnist", 1));
  EXPECT_EQ(store_->endpoint_events("svc").size(), 1u);
  EXPECT_EQ(store_->find_endpoint("svc")->generation, 1);
}

// Regression: deleting the model version an endpoint uses must be refused (issue 14).
TEST_P(StoreEndpoints, AModelVersionInUseCannotBeDeleted) {
  for (int i = 0; i < 3; ++i) store_->create_model_version(model("mnist"));
  store_->create_model_version(model("other"));
  store_->create_endpoint(endpoint("svc", "mnist", 1));
  try {
    store_->delete_model_version("mnist", 1);
    FAIL() << "the version an endpoint names was deleted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Conflict);
    EXPECT_NE(std::string(e.what()).find("svc"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(store_->find_model("mnist", 1).has_value());
  // The process serves version 1 (generation 1) while the settings move on to 2: both are in use.
  EndpointStatus st;
  st.state = EndpointState::Healthy;
  st.served_generation = 1;
  st.served_model_version = 1;
  store_->set_endpoint_status("svc", st);
  EndpointSettings next = store_->find_endpoint("svc")->settings;
  next.model_version = 2;
  ASSERT_TRUE(store_->update_endpoint_settings("svc", 1, next, "k"));
  EXPECT_EQ(kind_of([&] { store_->delete_model_version("mnist", 1); }), ErrorKind::Conflict);
  EXPECT_EQ(kind_of([&] { store_->delete_model_version("mnist", 2); }), ErrorKind::Conflict);
  store_->delete_model_version("mnist", 3);  // used by none
  // Moved to another model: the served generation still names mnist:1.
  next.model_name = "other";
  next.model_version = 1;
  ASSERT_TRUE(store_->update_endpoint_settings("svc", 2, next, "k"));
  EXPECT_EQ(kind_of([&] { store_->delete_model_version("mnist", 1); }), ErrorKind::Conflict);
  store_->delete_model_version("mnist", 2);  // generation 2 was never served
  EXPECT_EQ(kind_of([&] { store_->delete_model_version("other", 1); }), ErrorKind::Conflict);
  // Once the new generation is served, the old version is free.
  st.served_generation = 3;
  st.served_model_version = 1;
  store_->set_endpoint_status("svc", st);
  store_->delete_model_version("mnist", 1);
  EXPECT_FALSE(store_->find_model("mnist", 1).has_value());
  // Deleting: still in use until the record is removed.
  store_->request_endpoint_delete("svc");
  EXPECT_EQ(kind_of([&] { store_->delete_model_version("other", 1); }), ErrorKind::Conflict);
  store_->remove_endpoint("svc");
  store_->delete_model_version("other", 1);
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreEndpoints, testing::ValuesIn(kStores),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace glia::platform::testing_store
