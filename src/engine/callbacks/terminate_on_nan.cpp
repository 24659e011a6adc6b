// Keras' TerminateOnNaN: stops fit() after the first batch whose loss is NaN or infinite.
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "glia/callbacks.hpp"
#include "glia/model.hpp"

namespace glia {

void TerminateOnNaN::on_train_batch_end(int64_t batch, const Logs& logs) {
  auto it = logs.find("loss");
  if (it == logs.end() || std::isfinite(it->second)) return;
  if (params_.rank == 0) {  // the logs are global: every rank stops, rank 0 says so
    std::fprintf(stderr, "Batch %" PRId64 ": Invalid loss, terminating training\n", batch);
    std::fflush(stderr);
  }
  if (model_ != nullptr) model_->stop_training = true;
}

}  // namespace glia
