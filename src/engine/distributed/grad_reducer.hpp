// Bucketed, overlapped gradient allreduce for data-parallel training (internal).
//
// The trainable variables are ordered by when their gradients become final during the backward
// pass (reverse graph order) and grouped into buckets of about bucket_bytes (whole nodes: the
// variables of one node become final together). After each node's
// backward, node_done() starts an MPI_Iallreduce for every bucket whose gradients are all final
// (one call per bucket, in bucket order on every rank) and tests the ones in flight so they
// progress while the next layers compute. finish() waits for all of them before the optimizer,
// and reduces the last bucket itself with a blocking allreduce (nothing is left to overlap it).
// A bucket of several variables is one slice of a buffer that holds their gradients (each at a
// 64-byte boundary): the layers write them there and the allreduce runs in place, no packing.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "glia/distributed.hpp"
#include "glia/layer.hpp"

namespace glia {

/// What the last fit() measured of its gradient exchange (all zero for one process).
struct ReducerStats {
  int64_t steps = 0;
  int64_t buckets = 0;          // per step
  int64_t bytes_per_step = 0;   // gradient bytes each rank contributes per step
  double wait_seconds = 0.0;    // blocked in finish(): communication not hidden by backward
  double exchange_seconds = 0;  // first bucket started -> last bucket done, summed over steps
};

class GradientReducer {
 public:
  /// node_vars[i]: the trainable variables node i's backward writes (node 0, the input, none).
  GradientReducer(Communicator& comm, const std::vector<std::vector<Variable*>>& node_vars,
                  int64_t bucket_bytes);
  ~GradientReducer();
  void begin_step();
  /// Node `node`'s backward has written its gradients.
  void node_done(size_t node);
  /// This rank has no rows in the step: its gradients are zero; starts every bucket.
  void contribute_zero();
  /// Waits for every bucket and leaves the summed gradients in the variables.
  void finish();
  const ReducerStats& stats() const { return stats_; }
  const std::vector<Bucket>& buckets() const { return buckets_; }

 private:
  /// Bucket b's gradients as one span (in place, or copied into its slice where a gradient was
  /// made elsewhere).
  std::span<float> data_of(size_t bucket);
  void start(size_t bucket);
  Communicator& comm_;
  std::vector<Variable*> vars_;              // in the order their gradients become final
  std::vector<std::vector<size_t>> finals_;  // per node: indices into vars_ final there
  std::vector<size_t> bucket_of_;            // per var
  std::vector<Bucket> buckets_;
  std::vector<int64_t> offset_, length_;  // per bucket: its slice of buffer_ (multi-var buckets)
  std::vector<int64_t> var_offset_;       // per var in a multi-var bucket: its place in buffer_
  Tensor buffer_;
  std::vector<int> pending_;  // per bucket: gradients not final yet
  std::vector<std::unique_ptr<AllreduceRequest>> requests_;
  size_t next_ = 0;  // next bucket to start (bucket order)
  double started_at_ = 0.0;
  ReducerStats stats_;
};

}  // namespace glia
