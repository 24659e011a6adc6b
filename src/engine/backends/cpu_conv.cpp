// The CPU backend's convolutions: oneDNN's convolution forward, backward-data and
// backward-weights (+ bias) primitives on the activations as they are (nhwc, no reorder) and
// Keras' (kh, kw, in, out) kernels (oneDNN's hwio), which are reordered to the layout the chosen
// implementation prefers when it differs (a kernel is small next to the activations). The
// primitive descriptors are made once per geometry and kept; scratchpads are the caller's
// (scratchpad_mode::user), so calls from several threads at once are safe.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <unordered_map>

#include "backends/cpu_backend.hpp"
#include "backends/dnnl_context.hpp"
#include "glia/error.hpp"

namespace glia {

namespace {

using dnnl::memory;
using tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;

struct ConvKey {
  std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
             int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool>
      fields;
  bool operator<(const ConvKey& o) const { return fields < o.fields; }
};

ConvKey key_of(const ConvGeometry& g, bool bias) {
  return {{g.batch, g.in_h, g.in_w, g.in_c, g.kernel_h, g.kernel_w, g.out_c, g.stride_h, g.stride_w,
           g.dilation_h, g.dilation_w, g.pad_top, g.pad_left, g.pad_bottom, g.pad_right, bias}};
}

// The memory descriptors and geometry vectors of one convolution, in oneDNN's terms.
struct Descs {
  memory::desc src, dst, weights_user, weights_any, bias;
  memory::dims strides, dilates, pad_l, pad_r;
  explicit Descs(const ConvGeometry& g)
      : src({g.batch, g.in_c, g.in_h, g.in_w}, f32, tag::nhwc),
        dst({g.batch, g.out_c, g.out_h, g.out_w}, f32, tag::nhwc),
        weights_user({g.out_c, g.in_c, g.kernel_h, g.kernel_w}, f32, tag::hwio),
        weights_any({g.out_c, g.in_c, g.kernel_h, g.kernel_w}, f32, tag::any),
        bias({g.out_c}, f32, tag::x),
        strides{g.stride_h, g.stride_w},
        dilates{g.dilation_h - 1, g.dilation_w - 1},  // oneDNN counts the gaps
        pad_l{g.pad_top, g.pad_left},
        pad_r{g.pad_bottom, g.pad_right} {}
};

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

// One convolution's primitives; the backward ones are made on first use (a model that only
// predicts never needs them).
struct ConvPrimitives {
  Descs d;
  bool has_bias;
  dnnl::convolution_forward::primitive_desc fwd_pd;
  dnnl::convolution_forward fwd;
  std::once_flag data_once, weights_once;
  dnnl::convolution_backward_data::primitive_desc bwd_data_pd;
  dnnl::convolution_backward_data bwd_data;
  dnnl::convolution_backward_weights::primitive_desc bwd_weights_pd;
  dnnl::convolution_backward_weights bwd_weights;

  ConvPrimitives(const ConvGeometry& g, bool bias) : d(g), has_bias(bias) {
    auto& eng = dnnl_context::engine();
    using fwd_t = dnnl::convolution_forward;
    const auto alg = dnnl::algorithm::convolution_direct;
    const auto desc =
        has_bias ? fwd_t::desc(dnnl::prop_kind::forward_training, alg, d.src, d.weights_any, d.bias,
                               d.dst, d.strides, d.dilates, d.pad_l, d.pad_r)
                 : fwd_t::desc(dnnl::prop_kind::forward_training, alg, d.src, d.weights_any, d.dst,
                               d.strides, d.dilates, d.pad_l, d.pad_r);
    fwd_pd = fwd_t::primitive_desc(desc, user_scratchpad(), eng);
    fwd = fwd_t(fwd_pd);
  }
  void make_backward_data() {
    std::call_once(data_once, [&] {
      using bwd_t = dnnl::convolution_backward_data;
      const bwd_t::desc desc(dnnl::algorithm::convolution_direct, d.src, d.weights_any, d.dst,
                             d.strides, d.dilates, d.pad_l, d.pad_r);
      bwd_data_pd = bwd_t::primitive_desc(desc, user_scratchpad(), dnnl_context::engine(), fwd_pd);
      bwd_data = bwd_t(bwd_data_pd);
    });
  }
  void make_backward_weights() {
    std::call_once(weights_once, [&] {
      using bwd_t = dnnl::convolution_backward_weights;
      const auto alg = dnnl::algorithm::convolution_direct;
      const auto desc = has_bias ? bwd_t::desc(alg, d.src, d.weights_any, d.bias, d.dst, d.strides,
                                               d.dilates, d.pad_l, d.pad_r)
                                 : bwd_t::desc(alg, d.src, d.weights_any, d.dst, d.strides,
                                               d.dilates, d.pad_l, d.pad_r);
      bwd_weights_pd =
          bwd_t::primitive_desc(desc, user_scratchpad(), dnnl_context::engine(), fwd_pd);
      bwd_weights = bwd_t(bwd_weights_pd);
    });
  }
};

std::shared_ptr<ConvPrimitives> primitives_for(const ConvGeometry& g, bool bias) {
  static std::mutex mutex;
  static std::map<ConvKey, std::shared_ptr<ConvPrimitives>> cache;
  const ConvKey key = key_of(g, bias);
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() >= 256) cache.clear();  // a bound for programs that see many shapes
  try {
    auto p = std::make_shared<ConvPrimitives>(g, bias);
    cache.emplace(key, p);
    return p;
  } catch (const dnnl::error& e) {
    throw Error(ErrorKind::Internal, "oneDNN has no convolution for " + g.str() + ": " + e.what());
  }
}

// Host memory of at least `bytes`, 64-byte aligned, kept per thread between calls (scratchpads
// and reordered kernels).
class Buffer {
 public:
  void* get(size_t bytes) {
    if (bytes > size_) {
      std::free(p_);
      size_ = (bytes + 63) / 64 * 64;
      p_ = std::aligned_alloc(64, size_);
      if (!p_) throw Error(ErrorKind::Internal, "out of memory for a convolution buffer");
    }
    return p_;
  }
  ~Buffer() { std::free(p_); }

 private:
  void* p_ = nullptr;
  size_t size_ = 0;
};

memory scratchpad_for(const dnnl::primitive_desc& pd) {
  thread_local Buffer buffer;
  const memory::desc sd = pd.scratchpad_desc();
  return memory(sd, dnnl_context::engine(), buffer.get(sd.get_size() + 1));
}

// `data` (in layout `from`) as memory of layout `to`: the same pointer when they agree, else a
// reordered copy in a per-thread buffer.
memory in_layout(const memory::desc& from, const memory::desc& to, const float* data,
                 dnnl::stream& s) {
  auto& eng = dnnl_context::engine();
  memory user(from, eng, const_cast<float*>(data));
  if (from == to) return user;
  thread_local Buffer buffer;
  memory out(to, eng, buffer.get(to.get_size()));
  dnnl::reorder(user, out).execute(s, user, out);
  return out;
}

void run(const dnnl::primitive& p, const dnnl::primitive_desc& pd,
         std::unordered_map<int, memory> args, dnnl::stream& s) {
  args.insert({DNNL_ARG_SCRATCHPAD, scratchpad_for(pd)});
  p.execute(s, args);
}

}  // namespace

void CpuBackend::conv2d_forward(const ConvGeometry& g, const float* x, const float* kernel,
                                const float* bias, float* y) {
  check_conv_geometry(g);
  if (g.batch == 0) return;
  auto p = primitives_for(g, bias != nullptr);
  auto& eng = dnnl_context::engine();
  dnnl::stream s = dnnl_context::stream();
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, memory(p->d.src, eng, const_cast<float*>(x))},
      {DNNL_ARG_WEIGHTS, in_layout(p->d.weights_user, p->fwd_pd.weights_desc(), kernel, s)},
      {DNNL_ARG_DST, memory(p->d.dst, eng, y)}};
  if (bias) args.insert({DNNL_ARG_BIAS, memory(p->d.bias, eng, const_cast<float*>(bias))});
  run(p->fwd, p->fwd_pd, std::move(args), s);
  s.wait();
}

void CpuBackend::conv2d_backward_data(const ConvGeometry& g, const float* dy, const float* kernel,
                                      float* dx) {
  check_conv_geometry(g);
  if (g.batch == 0) return;
  auto p = primitives_for(g, false);
  p->make_backward_data();
  auto& eng = dnnl_context::engine();
  dnnl::stream s = dnnl_context::stream();
  run(p->bwd_data, p->bwd_data_pd,
      {{DNNL_ARG_DIFF_DST, memory(p->d.dst, eng, const_cast<float*>(dy))},
       {DNNL_ARG_WEIGHTS, in_layout(p->d.weights_user, p->bwd_data_pd.weights_desc(), kernel, s)},
       {DNNL_ARG_DIFF_SRC, memory(p->d.src, eng, dx)}},
      s);
  s.wait();
}

void CpuBackend::conv2d_backward_weights(const ConvGeometry& g, const float* x, const float* dy,
                                         float* dkernel, float* dbias) {
  check_conv_geometry(g);
  if (g.batch == 0) {
    std::fill(dkernel, dkernel + g.kernel_size(), 0.0f);
    if (dbias) std::fill(dbias, dbias + g.out_c, 0.0f);
    return;
  }
  auto p = primitives_for(g, dbias != nullptr);
  p->make_backward_weights();
  auto& eng = dnnl_context::engine();
  dnnl::stream s = dnnl_context::stream();
  const memory::desc chosen = p->bwd_weights_pd.diff_weights_desc();
  memory user(p->d.weights_user, eng, dkernel);
  thread_local Buffer buffer;
  memory diff =
      chosen == p->d.weights_user ? user : memory(chosen, eng, buffer.get(chosen.get_size()));
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, memory(p->d.src, eng, const_cast<float*>(x))},
      {DNNL_ARG_DIFF_DST, memory(p->d.dst, eng, const_cast<float*>(dy))},
      {DNNL_ARG_DIFF_WEIGHTS, diff}};
  if (dbias) args.insert({DNNL_ARG_DIFF_BIAS, memory(p->d.bias, eng, dbias)});
  run(p->bwd_weights, p->bwd_weights_pd, std::move(args), s);
  if (!(chosen == p->d.weights_user)) dnnl::reorder(diff, user).execute(s, diff, user);
  s.wait();
}

}  // namespace glia
