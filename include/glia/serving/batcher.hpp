// Dynamic batching over N model instances (as TF Serving and Triton do it): requests' rows wait
// in one queue; each instance's thread takes the rows there up to max_batch_size, waiting at
// most max_queue_delay_us after the first for more, runs them as one batch and hands each
// request its output rows. A request that would put more than max_queue rows in the queue is
// refused at once (QueueFull: 429); one still queued after its timeout is taken out (503). A
// batch that fails is run again request by request, so a bad request fails alone.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "glia/error.hpp"

namespace glia::serving {

/// Runs `rows` input rows (row_in floats each) into `out` (row_out floats each). One per
/// instance; called from that instance's thread only.
using BatchFn = std::function<void(const float* in, int64_t rows, float* out)>;

struct BatchLimits {
  int64_t max_batch_size = 32;
  int64_t max_queue_delay_us = 500;
  int64_t max_queue = 1024;
  int64_t request_timeout_ms = 60000;
};

struct BatcherOptions {
  int64_t row_in = 0, row_out = 0;
  BatchLimits limits;
  /// Called by each instance's thread before its first batch (its threads, FTZ).
  std::function<void(int instance)> thread_init;
  /// When set, and max_queue_delay_us is 0, a request that finds an instance idle runs the
  /// batch on its own thread after calling this (to give the thread the instances' setting):
  /// no hand-over to the instance's thread and back. Unset: only the instances' threads run.
  std::function<void()> caller_init;
  /// Called after each batch with the rows it held and the seconds the model took (metrics).
  std::function<void(int64_t rows, double seconds)> on_batch;
};

/// The queue is full: answered 429 with Retry-After.
class QueueFull : public Error {
 public:
  using Error::Error;
};

class Batcher {
 public:
  Batcher(std::vector<BatchFn> instances, BatcherOptions options);
  /// Scores what is queued, then stops the instances' threads.
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  struct Scored {
    double queue_seconds = 0;  // from queued to taken into a batch
    int64_t batch_rows = 0;    // the rows of the batch it ran in
  };
  /// Scores `rows` rows of `in` into `out` (rows * row_out floats), blocking until done.
  /// Throws QueueFull, Error(Unavailable) when it timed out in the queue, or what the batch
  /// function threw for this request.
  Scored score(const float* in, int64_t rows, float* out);

  /// New limits, for the batches formed from now on.
  void set_limits(const BatchLimits& limits);
  BatchLimits limits() const;
  /// Rows waiting now.
  int64_t queued_rows() const;

 private:
  struct Work;
  void worker(int instance);
  /// Takes the queued requests that fit one batch (the first always); under mu_.
  int64_t take_batch(std::vector<Work*>& batch);
  void run_batch(int instance, std::vector<Work*>& batch, int64_t rows);

  std::vector<BatchFn> instances_;
  BatcherOptions options_;
  mutable std::mutex mu_;
  std::condition_variable idle_cv_;  // instances waiting for work
  std::condition_variable form_cv_;  // the instance forming a batch waits for more rows
  std::deque<Work*> queue_;
  int64_t queued_rows_ = 0;
  bool forming_ = false;
  std::vector<char> busy_;  // per instance: forming or running a batch (its thread or a caller)
  bool stopping_ = false;
  std::vector<std::vector<float>> in_buf_, out_buf_;  // per instance, for merged batches
  std::vector<std::thread> threads_;
};

}  // namespace glia::serving
