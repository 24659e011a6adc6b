#include "http/worker_pool.hpp"

#include <chrono>

namespace glia::http {

WorkerPool::WorkerPool(size_t max_threads) : max_threads_(std::max<size_t>(1, max_threads)) {}

WorkerPool::~WorkerPool() {
  shutdown();
}

void WorkerPool::enqueue(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  tasks_.push_back(std::move(fn));
  if (idle_ >= tasks_.size()) {
    cv_.notify_one();
    return;
  }
  // Every worker busy: start one more, up to the cap (beyond it the task waits its turn).
  if (threads_.size() < max_threads_) {
    threads_.emplace_back([this] { work(); });
  } else {
    cv_.notify_one();
  }
}

void WorkerPool::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_;
    cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    --idle_;
    if (tasks_.empty()) return;  // stopping and nothing left
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

void WorkerPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

}  // namespace glia::http
