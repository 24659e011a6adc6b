// Keras' LearningRateScheduler: lr = schedule(epoch, lr) at the start of every epoch.
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "engine/callbacks/progbar_format.hpp"
#include "glia/callbacks.hpp"
#include "glia/error.hpp"
#include "glia/model.hpp"

namespace glia {

LearningRateScheduler::LearningRateScheduler(Fn schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {
  if (!schedule_) throw Error("LearningRateScheduler: the schedule function is empty");
}

void LearningRateScheduler::on_epoch_begin(int epoch, const Logs&) {
  if (model_ == nullptr) throw Error("LearningRateScheduler: no model set (call set_model)");
  Optimizer& optimizer = model_->optimizer();
  double lr = schedule_(epoch, optimizer.learning_rate());
  if (!std::isfinite(lr)) {
    throw Error("LearningRateScheduler: the schedule returned learning rate " +
                progbar::python_repr(lr) + " at epoch " + std::to_string(epoch) +
                ", expected a finite number");
  }
  optimizer.set_learning_rate(lr);
  if (verbose_ > 0 && params_.rank == 0) {
    std::printf("\nEpoch %d: LearningRateScheduler setting learning rate to %s.\n", epoch + 1,
                progbar::python_repr(lr).c_str());
    std::fflush(stdout);
  }
}

// Keras also records logs["learning_rate"] here; glia's logs are const for callbacks, so the
// rate is not added to the epoch logs (History/CSVLogger do not see it).
void LearningRateScheduler::on_epoch_end(int, const Logs&) {}

}  // namespace glia
