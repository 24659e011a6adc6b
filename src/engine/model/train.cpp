// compile / fit / evaluate / predict: the training loop over the layer graph.
#include <algorithm>
#include <cmath>
#include <numeric>

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

// A uniform integer in [0, n): Rng::below's draw, on the fit's own shuffle generator.
uint64_t draw_below(std::mt19937_64& engine, uint64_t n) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // rejection keeps it unbiased
  uint64_t v;
  do v = engine();
  while (v >= limit);
  return v % n;
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
  Metrics metrics;
  for (const std::string& m : compile_.metrics)
    metrics.push_back(make_metric(m, compile_.loss.kind, out_cols, sparse));
  return metrics;
}

void Model::forward(const Tensor& x, bool training, uint64_t seed) {
  ForwardContext ctx{*backend_, training, seed};
  outputs_[0] = x;
  std::vector<const Tensor*> ins;
  for (size_t i = 1; i < nodes_.size(); ++i) {
    ins.clear();
    for (size_t j : node_inputs_[i]) ins.push_back(&outputs_[j]);
    nodes_[i]->layer->forward(ctx, ins, outputs_[i]);
  }
}

double Model::train_step(const Tensor& x, const Tensor& y, uint64_t seed) {
  Backend& be = *backend_;
  forward(x, true, seed);
  const Tensor& pred = output();
  const int64_t rows = pred.rows(), cols = pred.cols();
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
               1.0f / static_cast<float>(rows));
  std::vector<char>& ready = grad_ready_;
  std::fill(ready.begin(), ready.end(), 0);
  ready[last] = 1;
  std::vector<const Tensor*> ins;
  std::vector<Tensor*> dins;
  for (size_t i = last; i >= 1; --i) {
    if (!ready[i]) continue;  // no gradient flows here (cannot happen in a connected graph)
    ins.clear();
    dins.clear();
    for (size_t j : node_inputs_[i]) {
      ins.push_back(&outputs_[j]);
      // The input node needs no gradient; single-consumer inputs get theirs written in place.
      if (j == 0)
        dins.push_back(nullptr);
      else
        dins.push_back(consumers_[j] == 1 ? &grads_[j] : &scratch_[j]);
    }
    BackwardContext ctx{be, i == last && fused_softmax_};
    nodes_[i]->layer->backward(ctx, ins, outputs_[i], grads_[i], dins);
    for (size_t k = 0; k < node_inputs_[i].size(); ++k) {
      size_t j = node_inputs_[i][k];
      if (j == 0) continue;
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
  compile_.optimizer->apply(be, train_vars_);
  // Keras applies each variable's constraint right after the optimizer's update.
  for (size_t i = 1; i < nodes_.size(); ++i) nodes_[i]->layer->apply_constraints(be);
  be.synchronize();
  return loss;
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

  auto history = std::make_shared<History>();
  std::vector<CallbackPtr> callbacks = o.callbacks;
  callbacks.push_back(history);
  if (o.verbose > 0) callbacks.push_back(std::make_shared<ProgbarLogger>());
  for (auto& cb : callbacks) {
    cb->set_model(this);
    cb->set_params({o.epochs, steps, o.verbose});
  }
  stop_training = false;
  // What a checkpointing callback reads and may restore (BackupAndRestore), for this fit only.
  FitState state{o.initial_epoch, std::mt19937_64(mix(o.seed, 1)), o.seed};
  fit_state_ = &state;
  struct Clear {
    FitState*& state;
    ~Clear() { state = nullptr; }
  } clear{fit_state_};
  for (auto& cb : callbacks) cb->on_train_begin({});

  std::vector<int64_t> order(n);
  Tensor xb, yb;
  LossMean loss_mean;
  for (int epoch = state.initial_epoch; epoch < o.epochs && !stop_training; ++epoch) {
    loss_mean.reset();
    for (auto& m : metrics_) m->reset();
    for (auto& cb : callbacks) cb->on_epoch_begin(epoch, {});
    std::iota(order.begin(), order.end(), int64_t{0});
    if (o.shuffle)
      for (int64_t i = n - 1; i > 0; --i)
        std::swap(order[i], order[draw_below(state.shuffle_rng, static_cast<uint64_t>(i + 1))]);
    for (int64_t step = 0; step < steps; ++step) {
      const int64_t begin = step * o.batch_size, end = std::min(n, begin + o.batch_size);
      train->gather(std::span<const int64_t>(order.data() + begin, end - begin), xb, yb);
      const uint64_t seed =
          mix(o.seed, static_cast<uint64_t>(compile_.optimizer->iterations()) + 2);
      const double loss = train_step(xb, yb, seed);
      loss_mean.add(loss, static_cast<double>(end - begin));
      Logs logs = metric_logs(loss_mean, metrics_);
      for (auto& cb : callbacks) cb->on_train_batch_end(step, logs);
      if (stop_training) break;
    }
    Logs logs = metric_logs(loss_mean, metrics_);
    if (val && val->size() > 0) {
      Logs vl = evaluate(*val, {o.batch_size, 0});
      for (auto& [k, v] : vl) logs["val_" + k] = v;
    }
    for (auto& cb : callbacks) cb->on_epoch_end(epoch, logs);
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
  for (int64_t begin = 0; begin < data.size(); begin += o.batch_size) {
    const int64_t end = std::min(data.size(), begin + o.batch_size);
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
  return metric_logs(loss_mean, metrics);
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
