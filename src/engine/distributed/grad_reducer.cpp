// GradientReducer: the bucket plan, packing and the overlapped MPI_Iallreduce calls.
#include "distributed/grad_reducer.hpp"

#include <algorithm>
#include <chrono>
#include <map>

namespace glia {

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void ensure_grad(Variable& v) {
  if (!v.grad.defined() || v.grad.size() != v.value.size()) v.grad = Tensor(v.value.shape());
}

}  // namespace

GradientReducer::GradientReducer(Communicator& comm,
                                 const std::vector<std::vector<Variable*>>& node_vars,
                                 int64_t bucket_bytes)
    : comm_(comm), finals_(node_vars.size()) {
  // A variable shared by several nodes is final after the earliest of them (backward runs from
  // the last node to the first).
  std::map<Variable*, size_t> first_node;
  for (size_t i = 0; i < node_vars.size(); ++i)
    for (Variable* v : node_vars[i]) first_node.emplace(v, i);
  // The variables final at one node become final together: a bucket never splits them.
  std::vector<int64_t> counts;  // per group (a node's final variables)
  std::vector<size_t> group_nodes;
  for (size_t i = node_vars.size(); i-- > 0;) {
    int64_t elements = 0;
    for (Variable* v : node_vars[i])
      if (first_node.at(v) == i && std::find(vars_.begin(), vars_.end(), v) == vars_.end()) {
        finals_[i].push_back(vars_.size());
        vars_.push_back(v);
        elements += v->value.size();
      }
    if (!finals_[i].empty()) {
      counts.push_back(elements);
      group_nodes.push_back(i);
    }
  }
  for (Bucket& b : plan_buckets(counts, bucket_bytes)) {
    Bucket vars{{}, b.elements};
    for (size_t g : b.items)
      for (size_t k : finals_[group_nodes[g]]) vars.items.push_back(k);
    buckets_.push_back(std::move(vars));
  }
  bucket_of_.resize(vars_.size());
  int64_t packed = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    for (size_t k : buckets_[b].items) bucket_of_[k] = b;
    offset_.push_back(packed);
    if (buckets_[b].items.size() > 1) packed += buckets_[b].elements;
    stats_.bytes_per_step += buckets_[b].elements * static_cast<int64_t>(sizeof(float));
  }
  buffer_.resize(static_cast<size_t>(packed));
  stats_.buckets = static_cast<int64_t>(buckets_.size());
  pending_.resize(buckets_.size());
  requests_.resize(buckets_.size());
}

GradientReducer::~GradientReducer() = default;

void GradientReducer::begin_step() {
  for (size_t b = 0; b < buckets_.size(); ++b)
    pending_[b] = static_cast<int>(buckets_[b].items.size());
  next_ = 0;
}

void GradientReducer::start(size_t b) {
  if (b == 0) started_at_ = now();
  const Bucket& bucket = buckets_[b];
  std::span<float> data;
  if (bucket.items.size() == 1) {  // one variable: reduced in place
    Variable& v = *vars_[bucket.items[0]];
    ensure_grad(v);
    data = {v.grad.data(), static_cast<size_t>(v.grad.size())};
  } else {
    float* out = buffer_.data() + offset_[b];
    for (size_t k : bucket.items) {
      Variable& v = *vars_[k];
      ensure_grad(v);
      out = std::copy(v.grad.data(), v.grad.data() + v.grad.size(), out);
    }
    data = {buffer_.data() + offset_[b], static_cast<size_t>(bucket.elements)};
  }
  requests_[b] = comm_.iallreduce_sum(data);
}

void GradientReducer::node_done(size_t node) {
  if (node < finals_.size())
    for (size_t k : finals_[node]) --pending_[bucket_of_[k]];
  // Buckets start in order, so every rank issues the same sequence of collectives.
  while (next_ < buckets_.size() && pending_[next_] == 0) start(next_++);
  for (size_t b = 0; b < next_; ++b)
    if (requests_[b]) requests_[b]->test();
}

void GradientReducer::contribute_zero() {
  for (Variable* v : vars_) {
    ensure_grad(*v);
    v->grad.fill(0.0f);
  }
  std::fill(pending_.begin(), pending_.end(), 0);
  while (next_ < buckets_.size()) start(next_++);
}

void GradientReducer::finish() {
  if (buckets_.empty()) return;
  while (next_ < buckets_.size()) start(next_++);  // nodes no gradient reached
  const double t0 = now();
  for (size_t b = 0; b < buckets_.size(); ++b) {
    requests_[b]->wait();
    requests_[b].reset();
    if (buckets_[b].items.size() > 1) {
      const float* in = buffer_.data() + offset_[b];
      for (size_t k : buckets_[b].items) {
        Variable& v = *vars_[k];
        std::copy(in, in + v.grad.size(), v.grad.data());
        in += v.grad.size();
      }
    }
  }
  const double t1 = now();
  stats_.wait_seconds += t1 - t0;
  stats_.exchange_seconds += t1 - started_at_;
  ++stats_.steps;
}

}  // namespace glia
