// The endpoint's dynamic batcher over real model instances: answers equal the model's own
// predictions whatever the batching, batches hold several requests under load and never more
// than max_batch_size rows, a full queue is refused at once (429) and drains, a request that
// waits past its timeout is taken out, and a request that fails fails alone.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "glia/glia.hpp"
#include "glia/serving/batcher.hpp"

namespace glia::serving {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<Model> small_mlp(uint64_t seed) {
  auto net = std::make_shared<Sequential>("mlp");
  net->add(std::make_shared<InputLayer>(Shape{4}, "in"));
  net->add(std::make_shared<Dense>(5, DenseOptions{.activation = "relu", .name = "h"}));
  net->add(std::make_shared<Dense>(3, DenseOptions{.activation = "softmax", .name = "out"}));
  net->initialize_weights(seed);
  return net;
}

BatchFn model_fn(std::shared_ptr<Model> m) {
  return [m](const float* in, int64_t rows, float* out) {
    Tensor x({rows, 4});
    std::memcpy(x.data(), in, static_cast<size_t>(rows * 4) * sizeof(float));
    const Tensor y = m->predict(x, 1024);
    std::memcpy(out, y.data(), static_cast<size_t>(rows * 3) * sizeof(float));
  };
}

// Holds every batch until opened (to fill the queue deterministically).
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> entered{0};
  void wait() {
    ++entered;
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};

std::vector<float> row_of(int i) {
  return {0.01f * static_cast<float>(i), 1.0f - 0.02f * static_cast<float>(i % 7),
          static_cast<float>(i % 3), -0.5f};
}

void concurrent_load(bool callers_run, int64_t delay_us) {
  auto reference = small_mlp(3);
  std::mutex batches_mu;
  std::vector<int64_t> batches;
  BatcherOptions o;
  o.row_in = 4;
  o.row_out = 3;
  o.limits.max_batch_size = 8;
  o.limits.max_queue_delay_us = delay_us;
  if (callers_run) o.caller_init = [] {};
  o.on_batch = [&](int64_t rows, double) {
    std::lock_guard lock(batches_mu);
    batches.push_back(rows);
  };
  Batcher b({model_fn(small_mlp(3)), model_fn(small_mlp(3))}, o);
  constexpr int kThreads = 16, kEach = 40;
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t)
    clients.emplace_back([&, t] {
      for (int k = 0; k < kEach; ++k) {
        const int i = t * kEach + k;
        const int64_t rows = 1 + i % 3;  // 1..3 rows a request
        std::vector<float> in;
        for (int64_t r = 0; r < rows; ++r) {
          const auto v = row_of(i + static_cast<int>(r));
          in.insert(in.end(), v.begin(), v.end());
        }
        std::vector<float> out(static_cast<size_t>(rows * 3));
        b.score(in.data(), rows, out.data());
        Tensor x({rows, 4});
        std::memcpy(x.data(), in.data(), in.size() * sizeof(float));
        static std::mutex ref_mu;  // the reference model is one instance
        std::lock_guard lock(ref_mu);
        const Tensor y = reference->predict(x, 1024);
        for (int64_t j = 0; j < rows * 3; ++j)
          if (std::fabs(y[j] - out[static_cast<size_t>(j)]) > 1e-5f) ++wrong;
      }
    });
  for (auto& c : clients) c.join();
  EXPECT_EQ(wrong.load(), 0);
  std::lock_guard lock(batches_mu);
  int64_t total = 0, largest = 0;
  for (int64_t r : batches) {
    total += r;
    largest = std::max(largest, r);
  }
  int64_t expected_rows = 0;
  for (int i = 0; i < kThreads * kEach; ++i) expected_rows += 1 + i % 3;
  EXPECT_EQ(total, expected_rows);
  EXPECT_LE(largest, 8);
  if (!callers_run) {  // (callers that find an instance idle run what is queued at once)
    EXPECT_GT(largest, 3) << "no batch merged several requests";
    EXPECT_LT(batches.size(), static_cast<size_t>(kThreads * kEach));
  }
}

TEST(ServingBatcher, AnswersMatchTheModelUnderConcurrentLoad) {
  concurrent_load(false, 2000);
}

TEST(ServingBatcher, AnswersMatchTheModelWhenCallersRunBatches) {
  concurrent_load(true, 0);
}

TEST(ServingBatcher, AnIdleInstanceRunsOnTheCallersThread) {
  auto m = small_mlp(5);
  std::thread::id ran_on;
  int inits = 0;
  BatcherOptions o;
  o.row_in = 4;
  o.row_out = 3;
  o.limits.max_queue_delay_us = 0;
  o.caller_init = [&] { ++inits; };
  Batcher b({[&, fn = model_fn(m)](const float* in, int64_t rows, float* out) {
              ran_on = std::this_thread::get_id();
              fn(in, rows, out);
            }},
            o);
  const auto in = row_of(4);
  std::vector<float> out(3);
  b.score(in.data(), 1, out.data());
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_EQ(inits, 1);
  // With a delay, the batch forms on the instance's thread.
  b.set_limits({.max_batch_size = 32,
                .max_queue_delay_us = 100,
                .max_queue = 1024,
                .request_timeout_ms = 1000});
  b.score(in.data(), 1, out.data());
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(ServingBatcher, FullQueueIsRefusedAtOnceAndDrains) {
  Gate gate;
  auto m = small_mlp(1);
  BatcherOptions o;
  o.row_in = 4;
  o.row_out = 3;
  o.limits.max_batch_size = 1;
  o.limits.max_queue_delay_us = 0;
  o.limits.max_queue = 4;
  Batcher b({[&, fn = model_fn(m)](const float* in, int64_t rows, float* out) {
              gate.wait();
              fn(in, rows, out);
            }},
            o);
  const auto in = row_of(1);
  std::atomic<int> done{0};
  std::vector<std::thread> waiting;
  // One running (held at the gate), then 4 rows queued: the queue is full.
  waiting.emplace_back([&] {
    std::vector<float> out(3);
    b.score(in.data(), 1, out.data());
    ++done;
  });
  while (gate.entered.load() == 0) std::this_thread::sleep_for(1ms);
  for (int i = 0; i < 4; ++i)
    waiting.emplace_back([&] {
      std::vector<float> out(3);
      b.score(in.data(), 1, out.data());
      ++done;
    });
  while (b.queued_rows() < 4) std::this_thread::sleep_for(1ms);
  std::vector<float> out(3);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(b.score(in.data(), 1, out.data()), QueueFull);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms) << "a full queue must answer at once";
  gate.release();
  for (auto& t : waiting) t.join();
  EXPECT_EQ(done.load(), 5);
  EXPECT_EQ(b.queued_rows(), 0);
  EXPECT_NO_THROW(b.score(in.data(), 1, out.data()));
}

TEST(ServingBatcher, QueuedPastItsTimeoutIsTakenOut) {
  Gate gate;
  auto m = small_mlp(1);
  BatcherOptions o;
  o.row_in = 4;
  o.row_out = 3;
  o.limits.max_batch_size = 1;
  o.limits.max_queue_delay_us = 0;
  o.limits.request_timeout_ms = 50;
  Batcher b({[&, fn = model_fn(m)](const float* in, int64_t rows, float* out) {
              gate.wait();
              fn(in, rows, out);
            }},
            o);
  const auto in = row_of(2);
  std::thread first([&] {
    std::vector<float> out(3);
    b.score(in.data(), 1, out.data());  // taken: waits for its answer past the timeout
  });
  while (gate.entered.load() == 0) std::this_thread::sleep_for(1ms);
  std::vector<float> out(3);
  try {
    b.score(in.data(), 1, out.data());
    ADD_FAILURE() << "expected a timeout";
  } catch (const QueueFull&) {
    ADD_FAILURE() << "not a full queue";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unavailable);
  }
  EXPECT_EQ(b.queued_rows(), 0);
  gate.release();
  first.join();
}

TEST(ServingBatcher, AFailingRequestFailsAlone) {
  auto m = small_mlp(2);
  BatcherOptions o;
  o.row_in = 4;
  o.row_out = 3;
  o.limits.max_batch_size = 64;
  o.limits.max_queue_delay_us = 20000;  // the requests below share one batch
  std::atomic<int> batches{0};
  o.on_batch = [&](int64_t, double) { ++batches; };
  // A model function that refuses a row starting with 999 (as a model refusing an input would).
  Batcher b({[fn = model_fn(m)](const float* in, int64_t rows, float* out) {
              for (int64_t r = 0; r < rows; ++r)
                if (in[r * 4] == 999.0f) throw Error("row refused");
              fn(in, rows, out);
            }},
            o);
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i)
    clients.emplace_back([&, i] {
      auto in = row_of(i);
      if (i == 3) in[0] = 999.0f;
      std::vector<float> out(3);
      try {
        b.score(in.data(), 1, out.data());
        ++ok;
      } catch (const Error&) {
        ++failed;
      }
    });
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), 5);
  EXPECT_EQ(failed.load(), 1);
}

TEST(ServingBatcher, ARequestLargerThanABatchRunsWholeAndNewLimitsApply) {
  auto m = small_mlp(4);
  BatcherOptions o;
  o.row_in = 4;
  o.row_out = 3;
  o.limits.max_batch_size = 2;
  o.limits.max_queue = 2;
  std::vector<int64_t> seen;
  o.on_batch = [&](int64_t rows, double) { seen.push_back(rows); };
  Batcher b({model_fn(m)}, o);
  std::vector<float> in(40, 0.5f), out(30);
  b.score(in.data(), 10, out.data());  // larger than the queue, alone in it: taken
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], 10);
  b.set_limits(
      {.max_batch_size = 4, .max_queue_delay_us = 0, .max_queue = 8, .request_timeout_ms = 1000});
  EXPECT_EQ(b.limits().max_queue, 8);
}

}  // namespace
}  // namespace glia::serving
