// compile / fit / evaluate / predict: the training loop over the layer graph.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>

#include "distributed/data_parallel.hpp"
#include "distributed/mpi_communicator.hpp"
#include "glia/distributed.hpp"
#include "glia/error.hpp"
#include "glia/model.hpp"
#include "glia/runtime.hpp"

namespace glia {

namespace {

bool is_crossentropy(LossKind k) {
  return k == LossKind::categorical_crossentropy || k == LossKind::sparse_categorical_crossentropy;
}

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The mean of the per-batch losses weighted by batch size, as Keras' loss tracker.
class LossMean : public Metric {
 public:
  std::string name() const override { return "loss"; }
  void update(const Tensor&, const Tensor&) override {}
};

}  // namespace

Optimizer& Model::optimizer() {
  if (!compile_.optimizer)
    throw Error("model '" + name_ + "' is not compiled: call compile() first");
  return *compile_.optimizer;
}

void Model::compile(CompileOptions options) {
  if (!options.optimizer) throw Error("compile: an optimizer is required");
  compile_ = std::move(options);
  const Shape out = output_shape();
  fused_softmax_ = is_crossentropy(compile_.loss.kind) && !compile_.loss.params.from_logits &&
                   nodes_.back()->layer->ends_with_softmax();
  if (!backend_) backend_ = default_backend();
  metrics_.clear();
  compiled_ = true;
}

Model::Metrics Model::make_metrics(const Dataset& data) const {
  const Shape y = data.y_shape(), out = output_shape();
  const int64_t out_cols = out.empty() ? 1 : out.back();
  const bool sparse = (y.empty() || (y.size() == 1 && y[0] == 1)) && out_cols > 1;
  if (compile_.loss.kind == LossKind::sparse_categorical_crossentropy ? !sparse : y != out)
    throw Error("targets have per-sample shape " + shape_str(y) + " but the model outputs " +
                shape_str(out) + " and the loss is " + compile_.loss.name() +
                (sparse ? " (class indices need sparse_categorical_crossentropy)" : ""));
  // Two metrics of one name log under name, name_1, name_2, ... as Keras' CompileMetrics names
  // them (the logs are a map: one would silently replace the other).
  Metrics metrics;
  std::map<std::string, int> seen;
  for (MetricSpec m : compile_.metrics) {
    auto metric = make_metric(m, y, out);
    auto [at, first] = seen.try_emplace(metric->name(), 1);
    if (!first) {
      m.name = metric->name() + "_" + std::to_string(at->second++);
      metric = make_metric(m, y, out);
    }
    metrics.push_back(std::move(metric));
  }
  return metrics;
}

void Model::forward(const Tensor& x, bool training, uint64_t seed, int64_t row_offset) {
  ForwardContext ctx{*backend_, training, seed, row_offset};
  outputs_[0] = x;
  std::vector<const Tensor*> ins;
  for (size_t i = 1; i < nodes_.size(); ++i) {
    if (relu_skipped_[i]) {  // its producer applied it: the same tensor
      outputs_[i] = outputs_[node_inputs_[i][0]];
      continue;
    }
    ins.clear();
    for (size_t j : node_inputs_[i]) ins.push_back(&outputs_[j]);
    ctx.relu_fused = relu_fused_[i] != 0;
    nodes_[i]->layer->forward(ctx, ins, outputs_[i]);
  }
}

double Model::train_step(const Tensor& x, const Tensor& y, uint64_t seed,
                         const DataParallelStep* dp) {
  Backend& be = *backend_;
  // What this fit trains was fixed when it began (the optimizer's variables, the backward's
  // extent, the data-parallel exchange): a flag changed since, by a callback, would leave a
  // frozen layer updated or an unfrozen one half trained. Keras refuses it too.
  for (size_t i = 1; i < nodes_.size(); ++i)
    if (trainable_at_fit_[i] != 2 &&
        nodes_[i]->layer->trainable() != static_cast<bool>(trainable_at_fit_[i]))
      throw Error("fit: layer '" + nodes_[i]->layer->name() + "' was " +
                  (trainable_at_fit_[i] ? "frozen" : "unfrozen") +
                  " during fit; change trainable flags between fits (then compile() again with "
                  "a new optimizer)");
  if (dp) dp->reducer->begin_step();
  if (dp && dp->local_rows == 0) {  // a global batch smaller than the group: nothing to compute
    dp->reducer->contribute_zero();
    dp->reducer->finish();
    update_weights();
    return 0.0;
  }
  forward(x, true, seed, dp ? dp->row_offset : 0);
  const Tensor& pred = output();
  const int64_t rows = pred.rows(), cols = pred.cols();
  // Data-parallel: the mean is over the global batch, so the ranks' gradients add up to it.
  const int64_t batch_rows = dp ? dp->global_rows : rows;
  LossParams lp = compile_.loss.params;
  lp.fused_softmax = fused_softmax_;
  double loss = be.loss_sum(compile_.loss.kind, y.data(), pred.data(), rows, cols, lp) /
                static_cast<double>(rows);
  if (has_regularizers_)
    for (size_t i = 1; i < nodes_.size(); ++i) loss += nodes_[i]->layer->regularization_loss(be);
  for (auto& m : metrics_) m->update(y, pred);

  // Backward: the loss gradient (w.r.t. the logits when fused), then the graph in reverse.
  const size_t last = nodes_.size() - 1;
  grads_[last].resize(pred.shape());
  be.loss_grad(compile_.loss.kind, y.data(), pred.data(), grads_[last].data(), rows, cols, lp,
               1.0f / static_cast<float>(batch_rows));
  std::vector<char>& ready = grad_ready_;
  std::fill(ready.begin(), ready.end(), 0);
  ready[last] = 1;
  std::vector<const Tensor*> ins;
  std::vector<Tensor*> dins;
  for (size_t i = last; i >= 1; --i) {
    // No gradient flows here (cannot happen in a connected graph), or nothing needs it: no
    // trainable weights here or below (frozen layers).
    if (!ready[i] || !backward_needed_[i]) {
      if (dp) dp->reducer->node_done(i);
      continue;
    }
    if (relu_skipped_[i]) {  // the producer's backward masks the gradient itself
      const size_t j = node_inputs_[i][0];
      grads_[j] = grads_[i];
      ready[j] = 1;
      if (dp) dp->reducer->node_done(i);
      continue;
    }
    ins.clear();
    dins.clear();
    for (size_t j : node_inputs_[i]) {
      ins.push_back(&outputs_[j]);
      // The input node, and nodes with nothing trainable at or below them, need no gradient;
      // single-consumer inputs get theirs written in place.
      if (!backward_needed_[j])
        dins.push_back(nullptr);
      else
        dins.push_back(consumers_[j] == 1 ? &grads_[j] : &scratch_[j]);
    }
    BackwardContext ctx{be, i == last && fused_softmax_, dp ? dp->penalty_scale : 1.0f,
                        dp ? dp->global_rows : 0};
    nodes_[i]->layer->backward(ctx, ins, outputs_[i], grads_[i], dins);
    if (dp) {  // this node's gradients are final: start the buckets they complete
      be.synchronize();
      dp->reducer->node_done(i);
    }
    for (size_t k = 0; k < node_inputs_[i].size(); ++k) {
      size_t j = node_inputs_[i][k];
      if (!backward_needed_[j]) continue;
      if (consumers_[j] > 1) {
        if (!ready[j]) {
          grads_[j].resize(scratch_[j].shape());
          be.copy_columns(scratch_[j].data(), 1, scratch_[j].size(), grads_[j].data(),
                          grads_[j].size(), 0);
        } else {
          be.add(grads_[j].data(), scratch_[j].data(), grads_[j].data(), grads_[j].size());
        }
      }
      ready[j] = 1;
    }
  }
  if (dp) dp->reducer->finish();
  update_weights();
  return loss;
}

void Model::update_weights() {
  Backend& be = *backend_;
  compile_.optimizer->apply(be, train_vars_);
  // Keras applies each trainable variable's constraint right after the optimizer's update.
  for (size_t i = 1; i < nodes_.size(); ++i)
    if (nodes_[i]->layer->trainable()) nodes_[i]->layer->apply_constraints(be);
  be.synchronize();
}

Logs Model::metric_logs(const Metric& loss_mean, const Metrics& metrics) {
  Logs logs;
  logs["loss"] = loss_mean.result();
  for (auto& m : metrics) logs[m->name()] = m->result();
  return logs;
}

History Model::fit(const Tensor& x, const Tensor& y, FitOptions options) {
  return fit(std::make_shared<TensorDataset>(x, y), std::move(options));
}

History Model::fit(const DatasetPtr& data, FitOptions o) {
  if (!compiled_) throw Error("fit: model '" + name_ + "' is not compiled: call compile() first");
  if (o.batch_size <= 0)
    throw Error("fit: batch_size must be positive, got " + std::to_string(o.batch_size));
  if (o.epochs < 0 || o.initial_epoch < 0) throw Error("fit: epochs must not be negative");
  if (o.bucket_bytes < 0)
    throw Error("fit: bucket_bytes must not be negative (0: $GLIA_BUCKET_BYTES, else 1 MiB), got " +
                std::to_string(o.bucket_bytes));
  if (!(o.validation_split >= 0.0 && o.validation_split < 1.0))
    throw Error("fit: validation_split must be in [0, 1), got " +
                std::to_string(o.validation_split));
  if (data->x_shape() != input_shape())
    throw Error("fit: x has per-sample shape " + shape_str(data->x_shape()) +
                " but the model's input is " + shape_str(input_shape(), true));
  ensure_runtime();
  metrics_ = make_metrics(*data);
  if (o.validation_data) make_metrics(*o.validation_data);  // fail before training, not after
  DatasetPtr train = data, val = o.validation_data;
  if (o.validation_split > 0.0) {
    auto split =
        static_cast<int64_t>(static_cast<double>(data->size()) * (1.0 - o.validation_split));
    train = std::make_shared<SubsetDataset>(data, 0, split);
    val = std::make_shared<SubsetDataset>(data, split, data->size());
  }
  const int64_t n = train->size();
  if (n == 0) throw Error("fit: the training data is empty");
  const int64_t steps = (n + o.batch_size - 1) / o.batch_size;
  // Data-parallel under mpirun/srun: every rank shuffles alike and trains on its slice of each
  // global batch; the gradients are summed across ranks (see glia/distributed.hpp).
  Communicator* comm = distributed();
  try {
    comm = distributed_for(*backend_);  // e.g. NCCL for the gradients on the CUDA backend
    std::unique_ptr<GradientReducer> reducer;
    prepare_training();  // the layers' trainable flags as they are now
    if (comm) {
      // Rank 0's weights everywhere, moving statistics too; each rank then updates its own
      // moving statistics from its shard, and they are averaged at each epoch end.
      broadcast_variables(*comm, weights());
      std::vector<std::vector<Variable*>> node_vars(nodes_.size());
      for (size_t i = 1; i < nodes_.size(); ++i)
        node_vars[i] = nodes_[i]->layer->trainable_weights();
      reducer = std::make_unique<GradientReducer>(
          *comm, node_vars, o.bucket_bytes > 0 ? o.bucket_bytes : default_bucket_bytes());
    }
    History history = fit_epochs(*train, val, o, steps, comm, reducer.get());
    fit_stats_.ranks = comm ? comm->size() : 1;
    if (reducer) {
      const ReducerStats& rs = reducer->stats();
      const double per_step = rs.steps > 0 ? 1e3 / static_cast<double>(rs.steps) : 0.0;
      fit_stats_.buckets = rs.buckets;
      fit_stats_.allreduce_bytes = rs.bytes_per_step;
      fit_stats_.allreduce_wait_ms = rs.wait_seconds * per_step;
      fit_stats_.allreduce_span_ms = rs.exchange_seconds * per_step;
    }
    return history;
  } catch (...) {
    // The other ranks may wait in a collective for this one: end the group at exit.
    if (comm) fail_group_at_exit();
    throw;
  }
}

History Model::fit_epochs(const Dataset& train, const DatasetPtr& val, const FitOptions& o,
                          int64_t steps, Communicator* comm, GradientReducer* reducer) {
  const int64_t n = train.size();
  const int rank = comm ? comm->rank() : 0, ranks = comm ? comm->size() : 1;
  fit_stats_ = FitStats{};
  auto history = std::make_shared<History>();
  std::vector<CallbackPtr> callbacks = o.callbacks;
  callbacks.push_back(history);
  // Only rank 0 prints: the other ranks' callbacks see verbose 0 and their rank.
  const int verbose = rank == 0 ? o.verbose : 0;
  if (verbose > 0) callbacks.push_back(std::make_shared<ProgbarLogger>());
  for (auto& cb : callbacks) {
    cb->set_model(this);
    cb->set_params({o.epochs, steps, verbose, rank, ranks});
  }
  stop_training = false;
  // What a checkpointing callback reads and may restore (BackupAndRestore), for this fit only.
  FitState state{o.initial_epoch, Rng(mix(o.seed, 1)), o.seed};
  fit_state_ = &state;
  struct Clear {
    FitState*& state;
    ~Clear() { state = nullptr; }
  } clear{fit_state_};
  for (auto& cb : callbacks) cb->on_train_begin({});
  // Ranks restoring different checkpoints would run different steps into mismatched collectives;
  // this also keeps rank 0 from deleting a checkpoint (on_train_end) another rank still reads.
  if (comm) check_same_start(*comm, state.initial_epoch, compile_.optimizer->iterations());
  // The per-batch logs and stop check only when a callback has batch hooks (on any rank: rank
  // 0's progress bar; the exchanges must match on every rank).
  bool batch_hooks = std::any_of(callbacks.begin(), callbacks.end(), [](const CallbackPtr& cb) {
    return cb->implements_train_batch_hooks();
  });
  if (comm) batch_hooks = any_rank(*comm, batch_hooks);

  // The statistics trainable layers move (BatchNormalization's; a frozen one's stay put).
  std::vector<Variable*> moving;
  for (size_t i = 1; i < nodes_.size(); ++i)
    if (nodes_[i]->layer->trainable())
      for (Variable* v : nodes_[i]->layer->non_trainable_variables()) moving.push_back(v);
  std::vector<int64_t> order(n);
  Tensor xb, yb;
  LossMean loss_mean;
  for (int epoch = state.initial_epoch; epoch < o.epochs && !stop_training; ++epoch) {
    loss_mean.reset();
    for (auto& m : metrics_) m->reset();
    for (auto& cb : callbacks) cb->on_epoch_begin(epoch, {});
    // Without batch hooks nothing changes stop_training during the batches: agreed once here.
    if (!batch_hooks && comm) stop_training = any_rank(*comm, stop_training);
    std::iota(order.begin(), order.end(), int64_t{0});
    if (o.shuffle)
      for (int64_t i = n - 1; i > 0; --i)
        std::swap(order[i], order[state.shuffle_rng.below(static_cast<uint64_t>(i + 1))]);
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t step = 0; step < steps; ++step) {
      if (batch_hooks)
        for (auto& cb : callbacks) cb->on_train_batch_begin(step, {});
      const int64_t begin = step * o.batch_size, end = std::min(n, begin + o.batch_size);
      const Shard part = shard_of(end - begin, rank, ranks);  // this rank's rows of the batch
      if (part.size() > 0)
        train.gather(std::span<const int64_t>(order.data() + begin + part.begin, part.size()), xb,
                     yb);
      const uint64_t seed =
          mix(o.seed, static_cast<uint64_t>(compile_.optimizer->iterations()) + 2);
      const DataParallelStep dp{reducer, part.size(), end - begin, part.begin,
                                rank == 0 ? 1.0f : 0.0f};
      const double loss = train_step(xb, yb, seed, comm ? &dp : nullptr);
      loss_mean.add(loss, static_cast<double>(part.size()));
      ++fit_stats_.steps;
      if (!batch_hooks) {  // nothing reads the batch's logs; a stop comes from on_epoch_begin
        if (stop_training) break;
        continue;
      }
      Logs logs = comm ? global_logs(*comm, loss_mean, metrics_) : metric_logs(loss_mean, metrics_);
      for (auto& cb : callbacks) cb->on_train_batch_end(step, logs);
      if (comm) stop_training = any_rank(*comm, stop_training);
      if (stop_training) break;
    }
    fit_stats_.seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Data-parallel: each rank moved its moving statistics (BatchNormalization) on its own rows.
    // Their mean across ranks (the moving mean of the global batches' means, as Keras 3's data
    // parallelism computes it) makes the validation, the checkpoint and the saved model one
    // model on every rank, so a resumed fit validates as an uninterrupted one.
    if (comm) {
      backend_->synchronize();  // the last step's updates are done before the exchange reads them
      average_variables(*comm, moving);
    }
    Logs logs = comm ? global_logs(*comm, loss_mean, metrics_) : metric_logs(loss_mean, metrics_);
    if (val && val->size() > 0) {
      for (auto& cb : callbacks) cb->on_test_begin({});
      Logs vl = evaluate(*val, {o.batch_size, 0});
      for (auto& cb : callbacks) cb->on_test_end(vl);
      for (auto& [k, v] : vl) logs["val_" + k] = v;
    }
    for (auto& cb : callbacks) cb->on_epoch_end(epoch, logs);
    if (comm) stop_training = any_rank(*comm, stop_training);
  }
  for (auto& cb : callbacks) cb->on_train_end({});
  return *history;
}

Logs Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options) {
  return evaluate(TensorDataset(x, y), options);
}

Logs Model::evaluate(const Dataset& data, EvaluateOptions o) {
  if (!compiled_)
    throw Error("evaluate: model '" + name_ + "' is not compiled: call compile() first");
  if (o.batch_size <= 0) throw Error("evaluate: batch_size must be positive");
  if (data.x_shape() != input_shape())
    throw Error("evaluate: x has per-sample shape " + shape_str(data.x_shape()) +
                " but the model's input is " + shape_str(input_shape(), true));
  ensure_runtime();
  Metrics metrics = make_metrics(data);
  LossMean loss_mean;
  LossParams lp = compile_.loss.params;
  lp.fused_softmax = fused_softmax_;
  std::vector<int64_t> idx;
  Tensor xb, yb;
  // Data-parallel: each rank evaluates its contiguous part of the data; the sums are added up.
  Communicator* comm = distributed();
  const Shard part = shard_of(data.size(), comm ? comm->rank() : 0, comm ? comm->size() : 1);
  for (int64_t begin = part.begin; begin < part.end; begin += o.batch_size) {
    const int64_t end = std::min(part.end, begin + o.batch_size);
    idx.resize(end - begin);
    std::iota(idx.begin(), idx.end(), begin);
    data.gather(idx, xb, yb);
    forward(xb, false, 0);
    const Tensor& pred = output();
    double loss = backend_->loss_sum(compile_.loss.kind, yb.data(), pred.data(), pred.rows(),
                                     pred.cols(), lp) /
                  static_cast<double>(pred.rows());
    if (has_regularizers_)
      for (size_t i = 1; i < nodes_.size(); ++i)
        loss += nodes_[i]->layer->regularization_loss(*backend_);
    loss_mean.add(loss, static_cast<double>(end - begin));
    for (auto& m : metrics) m->update(yb, pred);
  }
  return comm ? global_logs(*comm, loss_mean, metrics) : metric_logs(loss_mean, metrics);
}

Tensor Model::predict(const Tensor& x, int64_t batch_size) {
  if (batch_size <= 0) throw Error("predict: batch_size must be positive");
  Shape xs(x.shape().begin() + (x.rank() > 0 ? 1 : 0), x.shape().end());
  if (x.rank() == 0 || xs != input_shape())
    throw Error("predict: x has shape " + shape_str(x.shape()) + " but the model's input is " +
                shape_str(input_shape(), true));
  if (!backend_) backend_ = default_backend();
  ensure_runtime();
  const int64_t n = x.dim(0), per = shape_numel(xs);
  Shape out_shape = output_shape();
  out_shape.insert(out_shape.begin(), n);
  Tensor result(out_shape);
  const int64_t out_per = shape_numel(output_shape());
  for (int64_t begin = 0; begin < n; begin += batch_size) {
    const int64_t rows = std::min(n - begin, batch_size);
    Shape bs = xs;
    bs.insert(bs.begin(), rows);
    Tensor xb(bs);
    std::copy(x.data() + begin * per, x.data() + (begin + rows) * per, xb.data());
    forward(xb, false, 0);
    backend_->synchronize();
    std::copy(output().data(), output().data() + rows * out_per, result.data() + begin * out_per);
  }
  return result;
}

}  // namespace glia
