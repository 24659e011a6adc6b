// Keras' History: the epoch logs of one fit() call, key by key.
#include "glia/callbacks.hpp"

namespace glia {

void History::on_train_begin(const Logs&) {
  history.clear();
  epochs.clear();
}

void History::on_epoch_end(int epoch, const Logs& logs) {
  epochs.push_back(epoch);
  for (const auto& [key, value] : logs) history[key].push_back(value);
}

}  // namespace glia
