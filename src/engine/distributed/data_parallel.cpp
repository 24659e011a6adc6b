// Model::fit's data-parallel helpers: the initial weight broadcast and the reduced logs.
#include "distributed/data_parallel.hpp"

namespace glia {

void broadcast_variables(Communicator& comm, const std::vector<Variable*>& vars) {
  for (Variable* v : vars)
    comm.broadcast({v->value.data(), static_cast<size_t>(v->value.size())}, 0);
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

bool any_rank(Communicator& comm, bool stop) {
  double flag = stop ? 1.0 : 0.0;
  comm.allreduce_sum({&flag, 1});
  return flag > 0.0;
}

}  // namespace glia
