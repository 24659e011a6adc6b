// The server's task queue: a worker thread per connection being served, started on demand up to
// a cap and kept once started (idle ones take the next connection), so a few slow clients never
// hold the threads others need.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace glia::http {

class WorkerPool : public httplib::TaskQueue {
 public:
  explicit WorkerPool(size_t max_threads);
  ~WorkerPool() override;
  void enqueue(std::function<void()> fn) override;
  /// Runs what is queued, then joins every worker.
  void shutdown() override;

 private:
  void work();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  size_t max_threads_, idle_ = 0;
  bool stopping_ = false;
};

}  // namespace glia::http
