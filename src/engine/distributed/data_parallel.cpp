// Model::fit's data-parallel helpers: the initial weight broadcast and the reduced logs.
#include "distributed/data_parallel.hpp"

#include <span>
#include <string>

#include "glia/error.hpp"

namespace glia {

void broadcast_variables(Communicator& comm, const std::vector<Variable*>& vars) {
  for (Variable* v : vars)
    comm.broadcast({v->value.data(), static_cast<size_t>(v->value.size())}, 0);
}

void average_variables(Communicator& comm, const std::vector<Variable*>& vars) {
  const float inv = 1.0f / static_cast<float>(comm.size());
  for (Variable* v : vars) {
    const std::span<float> data(v->value.data(), static_cast<size_t>(v->value.size()));
    comm.allreduce_sum(data);
    for (float& f : data) f *= inv;
  }
}

Logs global_logs(Communicator& comm, const Metric& loss,
                 const std::vector<std::unique_ptr<Metric>>& metrics) {
  std::vector<double> sums{loss.total(), loss.count()};
  for (const auto& m : metrics) {
    sums.push_back(m->total());
    sums.push_back(m->count());
  }
  comm.allreduce_sum(sums);
  auto mean = [&](size_t i) { return sums[i + 1] > 0 ? sums[i] / sums[i + 1] : 0.0; };
  Logs logs;
  logs["loss"] = mean(0);
  for (size_t k = 0; k < metrics.size(); ++k) logs[metrics[k]->name()] = mean(2 + 2 * k);
  return logs;
}

void check_same_start(Communicator& comm, int epoch, int64_t iterations) {
  // Each rank fills its own slots: the sum gives every rank every rank's values (exact integers).
  const auto ranks = static_cast<size_t>(comm.size()), me = static_cast<size_t>(comm.rank());
  std::vector<double> all(2 * ranks, 0.0);
  all[me] = epoch;
  all[ranks + me] = static_cast<double>(iterations);
  comm.allreduce_sum(all);
  std::string differ;
  for (size_t r = 1; r < ranks; ++r)
    if (all[r] != all[0] || all[ranks + r] != all[ranks])
      differ += ", rank " + std::to_string(r) + " from epoch " +
                std::to_string(static_cast<int64_t>(all[r])) + " (optimizer step " +
                std::to_string(static_cast<int64_t>(all[ranks + r])) + ")";
  if (differ.empty()) return;
  throw Error(ErrorKind::Conflict,
              "fit: the ranks do not start from the same point: rank 0 from epoch " +
                  std::to_string(static_cast<int64_t>(all[0])) + " (optimizer step " +
                  std::to_string(static_cast<int64_t>(all[ranks])) + ")" + differ +
                  "; a checkpoint restored at train begin (BackupAndRestore) must be in a folder "
                  "every rank shares");
}

bool any_rank(Communicator& comm, bool stop) {
  double flag = stop ? 1.0 : 0.0;
  comm.allreduce_sum({&flag, 1});
  return flag > 0.0;
}

}  // namespace glia
