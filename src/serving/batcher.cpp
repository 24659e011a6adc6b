// Dynamic batching (batcher.hpp).
#include "glia/serving/batcher.hpp"

#include <algorithm>
#include <cstring>

namespace glia::serving {

using Clock = std::chrono::steady_clock;

struct Batcher::Work {
  const float* in;
  int64_t rows;
  float* out;
  Clock::time_point queued;
  // Set under the batcher's mutex when taken into a batch.
  bool taken = false;
  Clock::time_point taken_at;
  int64_t batch_rows = 0;
  // Set under `mu` when scored.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::exception_ptr error;
};

Batcher::Batcher(std::vector<BatchFn> instances, BatcherOptions options)
    : instances_(std::move(instances)), options_(std::move(options)) {
  if (instances_.empty()) throw Error(ErrorKind::Internal, "a batcher needs an instance");
  busy_.assign(instances_.size(), 0);
  in_buf_.resize(instances_.size());
  out_buf_.resize(instances_.size());
  for (size_t i = 0; i < instances_.size(); ++i)
    threads_.emplace_back([this, i] { worker(static_cast<int>(i)); });
}

Batcher::~Batcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  idle_cv_.notify_all();
  form_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Batcher::set_limits(const BatchLimits& limits) {
  {
    std::lock_guard lock(mu_);
    options_.limits = limits;
  }
  form_cv_.notify_all();
}

BatchLimits Batcher::limits() const {
  std::lock_guard lock(mu_);
  return options_.limits;
}

int64_t Batcher::queued_rows() const {
  std::lock_guard lock(mu_);
  return queued_rows_;
}

Batcher::Scored Batcher::score(const float* in, int64_t rows, float* out) {
  Work w;
  w.in = in;
  w.rows = rows;
  w.out = out;
  w.queued = Clock::now();
  Clock::time_point deadline;
  int caller_instance = -1;
  std::vector<Work*> caller_batch;
  int64_t caller_rows = 0;
  {
    std::lock_guard lock(mu_);
    const BatchLimits& l = options_.limits;
    if (stopping_) throw Error(ErrorKind::Unavailable, "the endpoint is stopping; try again");
    // A request larger than the whole queue is still taken when the queue is empty.
    if (queued_rows_ > 0 && queued_rows_ + rows > l.max_queue)
      throw QueueFull(ErrorKind::Unavailable, "the queue is full (" + std::to_string(queued_rows_) +
                                                  " rows waiting, " + std::to_string(l.max_queue) +
                                                  " at most); try again shortly");
    deadline = w.queued + std::chrono::milliseconds(l.request_timeout_ms);
    queue_.push_back(&w);
    queued_rows_ += rows;
    if (forming_) {
      if (queued_rows_ >= l.max_batch_size) form_cv_.notify_one();
    } else if (options_.caller_init && l.max_queue_delay_us == 0) {
      for (size_t i = 0; i < busy_.size() && caller_instance < 0; ++i)
        if (!busy_[i]) caller_instance = static_cast<int>(i);
      if (caller_instance >= 0) {
        busy_[static_cast<size_t>(caller_instance)] = 1;
        caller_rows = take_batch(caller_batch);
      }
    }
  }
  if (caller_instance >= 0) {
    // An idle instance: this thread runs the batch (its own request among them, unless others
    // queued before it fill the batch), then hands the instance back.
    options_.caller_init();
    run_batch(caller_instance, caller_batch, caller_rows);
    std::lock_guard lock(mu_);
    busy_[static_cast<size_t>(caller_instance)] = 0;
  }
  idle_cv_.notify_all();
  std::unique_lock wl(w.mu);
  if (!w.cv.wait_until(wl, deadline, [&] { return w.done; })) {
    wl.unlock();
    {
      std::lock_guard lock(mu_);
      if (!w.taken) {
        queue_.erase(std::find(queue_.begin(), queue_.end(), &w));
        queued_rows_ -= rows;
        throw Error(ErrorKind::Unavailable, "the request waited more than " +
                                                std::to_string(options_.limits.request_timeout_ms) +
                                                " ms in the queue (request_timeout_ms); try again");
      }
    }
    wl.lock();
    w.cv.wait(wl, [&] { return w.done; });  // running now: its answer comes
  }
  if (w.error) std::rethrow_exception(w.error);
  return {std::chrono::duration<double>(w.taken_at - w.queued).count(), w.batch_rows};
}

void Batcher::worker(int instance) {
  if (options_.thread_init) options_.thread_init(instance);
  std::vector<Work*> batch;
  for (;;) {
    int64_t rows = 0;
    {
      std::unique_lock lock(mu_);
      idle_cv_.wait(lock, [&] {
        return (!queue_.empty() && !forming_ && !busy_[static_cast<size_t>(instance)]) ||
               (stopping_ && !forming_ && queue_.empty());
      });
      if (queue_.empty()) return;  // stopping, nothing left
      forming_ = true;
      busy_[static_cast<size_t>(instance)] = 1;
      // Wait for a full batch, at most max_queue_delay_us after the first request came.
      for (;;) {
        const BatchLimits& l = options_.limits;
        if (queue_.empty() || queued_rows_ >= l.max_batch_size || stopping_) break;
        const auto until = queue_.front()->queued + std::chrono::microseconds(l.max_queue_delay_us);
        if (Clock::now() >= until) break;
        form_cv_.wait_until(lock, until);
      }
      rows = take_batch(batch);
      forming_ = false;
      if (!queue_.empty() || stopping_) idle_cv_.notify_all();  // the next batch forms meanwhile
    }
    if (!batch.empty()) run_batch(instance, batch, rows);  // empty: all timed out meanwhile
    std::lock_guard lock(mu_);
    busy_[static_cast<size_t>(instance)] = 0;
  }
}

int64_t Batcher::take_batch(std::vector<Work*>& batch) {
  const int64_t max_batch = options_.limits.max_batch_size;
  const auto now = Clock::now();
  int64_t rows = 0;
  batch.clear();
  while (!queue_.empty() && (batch.empty() || rows + queue_.front()->rows <= max_batch)) {
    Work* w = queue_.front();
    queue_.pop_front();
    queued_rows_ -= w->rows;
    w->taken = true;
    w->taken_at = now;
    rows += w->rows;
    batch.push_back(w);
  }
  return rows;
}

void Batcher::run_batch(int instance, std::vector<Work*>& batch, int64_t rows) {
  const BatchFn& fn = instances_[static_cast<size_t>(instance)];
  const int64_t ri = options_.row_in, ro = options_.row_out;
  std::vector<std::exception_ptr> errors(batch.size());
  const auto start = Clock::now();
  if (batch.size() == 1) {
    try {
      fn(batch[0]->in, batch[0]->rows, batch[0]->out);
    } catch (...) {
      errors[0] = std::current_exception();
    }
  } else {
    auto& in = in_buf_[static_cast<size_t>(instance)];
    auto& out = out_buf_[static_cast<size_t>(instance)];
    in.resize(static_cast<size_t>(rows * ri));
    out.resize(static_cast<size_t>(rows * ro));
    int64_t at = 0;
    for (Work* w : batch) {
      std::memcpy(in.data() + at * ri, w->in, static_cast<size_t>(w->rows * ri) * sizeof(float));
      at += w->rows;
    }
    bool failed = false;
    try {
      fn(in.data(), rows, out.data());
    } catch (...) {
      failed = true;
    }
    at = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      Work* w = batch[i];
      if (!failed) {
        std::memcpy(w->out, out.data() + at * ro,
                    static_cast<size_t>(w->rows * ro) * sizeof(float));
      } else {
        // Alone again: only the request that fails gets the error.
        try {
          fn(w->in, w->rows, w->out);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      }
      at += w->rows;
    }
  }
  if (options_.on_batch)
    options_.on_batch(rows, std::chrono::duration<double>(Clock::now() - start).count());
  for (size_t i = 0; i < batch.size(); ++i) {
    Work* w = batch[i];
    std::lock_guard lock(w->mu);
    w->batch_rows = rows;
    w->error = errors[i];
    w->done = true;
    w->cv.notify_one();
  }
}

}  // namespace glia::serving
