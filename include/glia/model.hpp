// Models: a graph of layers (functional API) with Keras' compile / fit / evaluate / predict.
// Sequential is the linear special case.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glia/backend.hpp"
#include "glia/callbacks.hpp"
#include "glia/data.hpp"
#include "glia/layer.hpp"
#include "glia/losses.hpp"
#include "glia/metrics.hpp"
#include "glia/optimizers.hpp"

namespace glia {

struct Node;
struct DataParallelStep;
class Communicator;
class GradientReducer;

/// A symbolic tensor of the functional API: the output of a layer call.
class KerasTensor {
 public:
  KerasTensor() = default;
  explicit KerasTensor(std::shared_ptr<Node> node) : node_(std::move(node)) {}
  /// Per-sample shape (no batch dimension).
  const Shape& shape() const;
  const std::shared_ptr<Node>& node() const { return node_; }

 private:
  std::shared_ptr<Node> node_;
};

/// A graph node: one layer applied to the outputs of earlier nodes.
struct Node {
  LayerPtr layer;
  std::vector<std::shared_ptr<Node>> inputs;
  Shape shape;
};

/// Keras' Input(shape): the functional API's starting point.
KerasTensor Input(Shape shape, std::string name = "");

struct CompileOptions {
  std::shared_ptr<Optimizer> optimizer;
  Loss loss;
  std::vector<MetricSpec> metrics;
  /// True when a loaded compile config named no optimizer and `optimizer` is Keras' compile()
  /// default (RMSprop): enough to evaluate, but `glia train` asks for --optimizer instead.
  bool optimizer_defaulted = false;
};

struct FitOptions {
  int64_t batch_size = 32;
  int epochs = 1;
  int verbose = 1;  // 0 silent, 1 progress bar, 2 one line per epoch
  std::vector<CallbackPtr> callbacks;
  DatasetPtr validation_data;
  double validation_split = 0.0;  // fraction of the last samples (before shuffling)
  bool shuffle = true;
  int initial_epoch = 0;
  uint64_t seed = 0;  // shuffling and dropout
  /// Data-parallel training (under mpirun/srun, see glia/distributed.hpp): the gradient bucket
  /// size in bytes; 0 = $GLIA_BUCKET_BYTES, else 1 MiB. batch_size is the GLOBAL batch, split
  /// across the ranks as Keras' tf.distribute does.
  int64_t bucket_bytes = 0;
};

/// What the last fit() measured: its steps and, under data-parallel training, the gradient
/// exchange per step.
struct FitStats {
  int ranks = 1;
  int64_t steps = 0;
  double seconds = 0.0;            // the whole batch loop (without validation)
  int64_t buckets = 0;             // gradient allreduce calls per step
  int64_t allreduce_bytes = 0;     // gradient bytes each rank sends into the allreduce per step
  double allreduce_wait_ms = 0.0;  // per step: blocked waiting for buckets after backward
  double allreduce_span_ms = 0.0;  // per step: first bucket started -> last bucket done
};

/// The part of a fit() in progress that a callback checkpointing and resuming training
/// (BackupAndRestore) reads and writes, at the epoch level: the epoch the loop starts from and
/// the generator that shuffles each epoch. Dropout's randomness follows the optimizer's
/// iteration count, which the optimizer's state carries.
struct FitState {
  /// The first epoch fit() runs: FitOptions::initial_epoch, or later when on_train_begin
  /// restored a checkpoint.
  int initial_epoch = 0;
  /// Draws each epoch's shuffle, at the epoch's start; between on_epoch_end(e) and the next
  /// epoch it holds the state epoch e + 1 starts from (Rng::engine_state as text).
  Rng shuffle_rng;
  uint64_t seed = 0;  // FitOptions::seed
};

struct EvaluateOptions {
  int64_t batch_size = 32;
  int verbose = 0;
};

class Model {
 public:
  /// A functional model from its input and output (single input and output for training).
  Model(KerasTensor input, KerasTensor output, std::string name = "functional");
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& name() const { return name_; }
  virtual std::string class_name() const { return "Functional"; }

  /// Chooses the compute backend (default: "cpu"); call before training.
  void set_backend(std::shared_ptr<Backend> backend) { backend_ = std::move(backend); }
  Backend& backend() { return *backend_; }
  /// Redraws every weight from its initializer with one seed (layer by layer, in graph order).
  void initialize_weights(uint64_t seed);

  void compile(CompileOptions options);
  bool compiled() const { return compiled_; }
  Optimizer& optimizer();
  const Loss& loss() const { return compile_.loss; }
  const CompileOptions& compile_options() const { return compile_; }

  History fit(const DatasetPtr& data, FitOptions options);
  History fit(const Tensor& x, const Tensor& y, FitOptions options);
  /// Returns {"loss": ..., metric names...}.
  Logs evaluate(const Dataset& data, EvaluateOptions options = {});
  Logs evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options = {});
  Tensor predict(const Tensor& x, int64_t batch_size = 32);
  /// Timings of the last fit() (the bench's allreduce time per step).
  const FitStats& last_fit_stats() const { return fit_stats_; }

  /// Keras' summary table (layer (type), output shape, params, totals).
  std::string summary() const;

  /// Layers in graph order, without the InputLayer (Keras' model.layers).
  std::vector<LayerPtr> layers() const;
  /// The graph's nodes in topological order; nodes()[0] is the input (for serializers).
  const std::vector<std::shared_ptr<Node>>& nodes() const { return nodes_; }
  LayerPtr input_layer() const;
  Shape input_shape() const;
  Shape output_shape() const;
  /// Trainable variables in layer order (Keras' model.trainable_weights: none of a frozen
  /// layer's; see Layer::trainable()).
  std::vector<Variable*> variables();
  /// Non-trainable variables in layer order (BatchNormalization's moving statistics, and every
  /// weight of a frozen layer).
  std::vector<Variable*> non_trainable_variables();
  /// Keras' `model.trainable = value`: sets every layer's trainable flag.
  void set_trainable(bool value);
  /// Keras' model.weights: each layer's trainable then non-trainable variables, layer by layer.
  std::vector<Variable*> weights();
  /// Gives every layer but the inputs this dtype policy (the --dtype-policy flags: a model file
  /// trained or served in another precision than it was saved with). Weights are unchanged.
  void set_dtype_policy(DTypePolicy policy);
  /// mixed_bfloat16 when any layer computes in it, else float32 (what a run reports).
  DTypePolicy dtype_policy() const;
  /// Every weight's size (Keras' count_params), and the non-trainable ones' alone.
  int64_t count_params() const;
  int64_t count_non_trainable_params() const;
  /// Copies of all weights, non-trainable ones included, in weights() order (Keras
  /// get_weights), and the inverse.
  std::vector<Tensor> get_weights();
  void set_weights(const std::vector<Tensor>& weights);

  /// Callbacks set this to end fit() after the current epoch.
  bool stop_training = false;
  /// The fit() in progress (callbacks may change it in on_train_begin); null outside fit().
  FitState* fit_state() { return fit_state_; }

 protected:
  Model(std::string name, bool empty);  // for Sequential
  void set_graph(KerasTensor input, KerasTensor output);
  void build_graph();
  std::vector<std::shared_ptr<Node>> nodes_;  // topological order, nodes_[0] is the input
  std::string name_;

 private:
  void forward(const Tensor& x, bool training, uint64_t seed, int64_t row_offset = 0);
  /// One optimizer step on (x, y); `dp` when training data-parallel (x holds this rank's rows).
  double train_step(const Tensor& x, const Tensor& y, uint64_t seed,
                    const DataParallelStep* dp = nullptr);
  /// fit()'s epochs after its checks; `comm` and `reducer` when training data-parallel.
  History fit_epochs(const Dataset& train, const DatasetPtr& val, const FitOptions& o,
                     int64_t steps, Communicator* comm, GradientReducer* reducer);
  using Metrics = std::vector<std::unique_ptr<Metric>>;
  /// Checks the data's targets against the output and loss, and makes the compiled metrics.
  Metrics make_metrics(const Dataset& data) const;
  static Logs metric_logs(const Metric& loss_mean, const Metrics& metrics);
  const Tensor& output() const { return outputs_.back(); }

  std::shared_ptr<Backend> backend_;
  CompileOptions compile_;
  bool compiled_ = false;
  bool fused_softmax_ = false;
  Metrics metrics_;                               // training metrics of the current fit
  std::vector<std::vector<size_t>> node_inputs_;  // indices into nodes_
  std::vector<int> consumers_;                    // how many nodes read each node's output
  std::vector<Tensor> outputs_, grads_, scratch_;
  /// Caches what a fit trains, from the layers' trainable flags: train_vars_ and, per node,
  /// whether its backward runs (it has trainable weights, or an input whose backward runs).
  void prepare_training();
  /// The optimizer's step on train_vars_, then the trainable layers' constraints.
  void update_weights();
  std::vector<Variable*> train_vars_;  // variables(), cached for the training step
  std::vector<char> backward_needed_;
  // Each node's layer->trainable() when the fit began (2: a layer without weights).
  std::vector<char> trainable_at_fit_;
  std::vector<char> grad_ready_;
  // ReLU fusion (build_graph): nodes that apply the ReLU after them, and the ReLUs skipped.
  std::vector<char> relu_fused_, relu_skipped_;
  Rng rng_{0};
  FitState* fit_state_ = nullptr;
  bool has_regularizers_ = false;
  FitStats fit_stats_;
};

/// A linear stack of layers.
class Sequential : public Model {
 public:
  explicit Sequential(std::string name = "sequential");
  Sequential(std::vector<LayerPtr> layers, std::string name = "sequential");
  std::string class_name() const override { return "Sequential"; }
  /// Appends a layer; an InputLayer must come first (or call add_input) before the model is
  /// used.
  Sequential& add(LayerPtr layer);

 private:
  std::vector<LayerPtr> stack_;
};

}  // namespace glia
