// What Model::fit passes to a data-parallel training step, and the helpers it uses (internal).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "distributed/grad_reducer.hpp"
#include "glia/callbacks.hpp"
#include "glia/distributed.hpp"
#include "glia/metrics.hpp"

namespace glia {

struct DataParallelStep {
  GradientReducer* reducer = nullptr;
  int64_t local_rows = 0;   // this rank's rows of the global batch (may be 0)
  int64_t global_rows = 0;  // the global batch's rows
  int64_t row_offset = 0;   // where this rank's rows start in the global batch
  float penalty_scale = 1.0f;
};

/// Makes every rank's variables equal to rank 0's.
void broadcast_variables(Communicator& comm, const std::vector<Variable*>& vars);

/// Replaces each variable by its mean across the group (the same on every rank). Blocking.
void average_variables(Communicator& comm, const std::vector<Variable*>& vars);

/// The logs of the running means `loss` and `metrics` over every rank's rows (the sums behind
/// them added up across the group): the same on every rank. Blocking.
Logs global_logs(Communicator& comm, const Metric& loss,
                 const std::vector<std::unique_ptr<Metric>>& metrics);

/// Checks that every rank starts fit()'s epochs from the same `epoch` and optimizer step
/// (`iterations`), e.g. after BackupAndRestore restored a checkpoint on each rank; throws the same
/// glia::Error (Conflict) on every rank otherwise, naming them. Blocking (also a barrier).
void check_same_start(Communicator& comm, int epoch, int64_t iterations);

/// True on every rank when any rank's `stop` is true (so all leave fit() after the same step).
bool any_rank(Communicator& comm, bool stop);

}  // namespace glia
