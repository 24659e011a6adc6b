// The CPU backend's convolutions: oneDNN's convolution forward, backward-data and
// backward-weights (+ bias) primitives. The algorithm follows cpu_conv_algorithm.hpp's rule:
// Winograd (forward and backward-weights of 3x3, stride-1, undilated convolutions that oneDNN
// offers it for) on oneDNN's blocked activations, reordered from and to the nhwc activations Glia
// keeps; direct elsewhere, on the nhwc activations as they are. Keras' (kh, kw, in, out) kernels
// (oneDNN's hwio) are reordered to the layout each implementation prefers when it differs. Every
// primitive descriptor, primitive and reorder is made once per geometry and kept; scratchpads and
// reordered copies are per-thread buffers of the caller's (scratchpad_mode::user), so calls from
// several threads at once are safe.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/cpu_backend.hpp"
#include "backends/cpu_conv_algorithm.hpp"
#include "backends/dnnl_cache.hpp"
#include "backends/dnnl_context.hpp"
#include "glia/error.hpp"

namespace glia {

namespace {

using dnnl::memory;
using tag = memory::format_tag;
constexpr auto f32 = memory::data_type::f32;
constexpr auto bf16_t = memory::data_type::bf16;

// The memory descriptors and geometry vectors of one convolution, in oneDNN's terms: Glia's
// layouts (nhwc activations, hwio kernels) and `any` for what an implementation may choose. The
// *_in descriptors are what the passes read (the input, the output gradient, the kernel): float32,
// or bfloat16 for a mixed_bfloat16 convolution on bf16 hardware, the Ports' reorders rounding
// Glia's float32 into them (to nearest, ties to even); outputs stay float32.
struct Descs {
  memory::desc src, dst, src_any, dst_any, weights_user, weights_any, bias;
  memory::desc src_in, dst_in, weights_in_any;
  memory::dims strides, dilates, pad_l, pad_r;
  Descs(const ConvGeometry& g, bool bf16)
      : src({g.batch, g.in_c, g.in_h, g.in_w}, f32, tag::nhwc),
        dst({g.batch, g.out_c, g.out_h, g.out_w}, f32, tag::nhwc),
        src_any({g.batch, g.in_c, g.in_h, g.in_w}, f32, tag::any),
        dst_any({g.batch, g.out_c, g.out_h, g.out_w}, f32, tag::any),
        weights_user({g.out_c, g.in_c, g.kernel_h, g.kernel_w}, f32, tag::hwio),
        weights_any({g.out_c, g.in_c, g.kernel_h, g.kernel_w}, f32, tag::any),
        bias({g.out_c}, f32, tag::x),
        src_in({g.batch, g.in_c, g.in_h, g.in_w}, bf16 ? bf16_t : f32, tag::nhwc),
        dst_in({g.batch, g.out_c, g.out_h, g.out_w}, bf16 ? bf16_t : f32, tag::nhwc),
        weights_in_any({g.out_c, g.in_c, g.kernel_h, g.kernel_w}, bf16 ? bf16_t : f32, tag::any),
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

using dnnl_context::Buffer;

memory scratchpad_for(const dnnl::primitive_desc_base& pd) {
  thread_local Buffer buffer;
  const memory::desc sd = pd.scratchpad_desc();
  return memory(sd, dnnl_context::engine(), buffer.get(sd.get_size() + 1));
}

// One argument of a primitive: Glia's layout (`user`), the one the primitive chose and, when
// they differ, the reorder between them (user -> chosen for an input, chosen -> user for an
// output), made once.
struct Port {
  int arg;
  memory::desc user, chosen;
  bool output;
  bool reordered;
  dnnl::reorder::primitive_desc reorder_pd;
  dnnl::reorder reorder;

  Port(int arg_, const memory::desc& user_, const memory::desc& chosen_, bool output_)
      : arg(arg_), user(user_), chosen(chosen_), output(output_), reordered(!(user_ == chosen_)) {
    if (!reordered) return;
    auto& eng = dnnl_context::engine();
    reorder_pd = output ? dnnl::reorder::primitive_desc(eng, chosen, eng, user, user_scratchpad())
                        : dnnl::reorder::primitive_desc(eng, user, eng, chosen, user_scratchpad());
    reorder = dnnl::reorder(reorder_pd);
  }

  void run_reorder(const memory& from, const memory& to, dnnl::stream& s) const {
    const dnnl::primitive& p = reorder;
    p.execute(s, {{DNNL_ARG_FROM, from},
                  {DNNL_ARG_TO, to},
                  {DNNL_ARG_SCRATCHPAD, scratchpad_for(reorder_pd)}});
  }
};

constexpr size_t kMaxPorts = 4;  // source, weights, bias, destination (or their gradients)

// One pass of a convolution: its primitive and its arguments' ports, in a fixed order.
struct Step {
  dnnl::primitive_desc pd;
  dnnl::primitive primitive;
  std::vector<Port> ports;
  bool winograd = false;

  // Runs the pass on the caller's buffers (`data[i]` for ports[i], in Glia's layouts) and waits.
  void run(const std::array<void*, kMaxPorts>& data) const {
    thread_local std::array<Buffer, kMaxPorts> copies;
    auto& eng = dnnl_context::engine();
    dnnl::stream s = dnnl_context::stream();
    std::unordered_map<int, memory> args;
    std::array<std::optional<std::pair<memory, memory>>, kMaxPorts> outputs;
    for (size_t i = 0; i < ports.size(); ++i) {
      const Port& port = ports[i];
      memory user(port.user, eng, data[i]);
      if (!port.reordered) {
        args.emplace(port.arg, user);
        continue;
      }
      memory chosen(port.chosen, eng, copies[i].get(port.chosen.get_size()));
      if (port.output)
        outputs[i].emplace(chosen, user);
      else
        port.run_reorder(user, chosen, s);
      args.emplace(port.arg, chosen);
    }
    args.emplace(DNNL_ARG_SCRATCHPAD, scratchpad_for(pd));
    primitive.execute(s, args);
    for (size_t i = 0; i < ports.size(); ++i)
      if (outputs[i]) ports[i].run_reorder(outputs[i]->first, outputs[i]->second, s);
    s.wait();
  }
};

// A primitive descriptor of the Winograd algorithm, or none when oneDNN has no such
// implementation for the geometry.
template <class PD, class Make>
std::optional<PD> winograd_pd(bool candidate, Make make) {
  if (!candidate) return std::nullopt;
  try {
    return make(dnnl::algorithm::convolution_winograd);
  } catch (const dnnl::error&) {
    return std::nullopt;
  }
}

// Where Winograd is tried: 3x3, stride 1, no dilation, channel counts that fill oneDNN's
// 16-float vectors (oneDNN also offers it for, e.g., 1 input channel, padded to 16, where it
// runs ~7x slower than direct: the CNN example's first convolution), and batches of 8 or more
// (the CNN's second convolution: Winograd with its reorders breaks even with direct at batch 8,
// takes ~1.7x as long at batch 1, ~0.6x at batch 64).
bool winograd_geometry(const ConvGeometry& g) {
  return g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 && g.stride_w == 1 &&
         g.dilation_h == 1 && g.dilation_w == 1 && g.in_c % 16 == 0 && g.out_c % 16 == 0 &&
         g.batch >= 8;
}

// One convolution's passes; the backward ones are made on first use (a model that only
// predicts never needs them).
struct ConvPrimitives {
  Descs d;
  bool has_bias, candidate;
  // The direct forward: the hint of the direct backward passes.
  dnnl::convolution_forward::primitive_desc direct_fwd_pd;
  std::optional<dnnl::convolution_forward::primitive_desc> winograd_fwd_pd;
  Step fwd;
  std::once_flag data_once, weights_once;
  Step bwd_data, bwd_weights;

  // bf16: compute on bfloat16 operands (oneDNN has no bf16 Winograd: direct).
  ConvPrimitives(const ConvGeometry& g, bool bias, bool winograd_allowed, bool bf16)
      : d(g, bf16), has_bias(bias), candidate(!bf16 && winograd_allowed && winograd_geometry(g)) {
    direct_fwd_pd = forward_pd(dnnl::algorithm::convolution_direct, d.src_in, d.dst);
    winograd_fwd_pd = winograd_pd<dnnl::convolution_forward::primitive_desc>(
        candidate, [&](dnnl::algorithm alg) { return forward_pd(alg, d.src_any, d.dst_any); });
    const auto& pd = winograd_fwd_pd ? *winograd_fwd_pd : direct_fwd_pd;
    fwd = {pd, dnnl::convolution_forward(pd), {}, winograd_fwd_pd.has_value()};
    fwd.ports.emplace_back(DNNL_ARG_SRC, d.src, pd.src_desc(), false);
    fwd.ports.emplace_back(DNNL_ARG_WEIGHTS, d.weights_user, pd.weights_desc(), false);
    if (has_bias) fwd.ports.emplace_back(DNNL_ARG_BIAS, d.bias, pd.bias_desc(), false);
    fwd.ports.emplace_back(DNNL_ARG_DST, d.dst, pd.dst_desc(), true);
  }

  dnnl::convolution_forward::primitive_desc forward_pd(dnnl::algorithm alg, const memory::desc& src,
                                                       const memory::desc& dst) const {
    using fwd_t = dnnl::convolution_forward;
    const auto prop = dnnl::prop_kind::forward_training;
    const auto desc = has_bias ? fwd_t::desc(prop, alg, src, d.weights_in_any, d.bias, dst,
                                             d.strides, d.dilates, d.pad_l, d.pad_r)
                               : fwd_t::desc(prop, alg, src, d.weights_in_any, dst, d.strides,
                                             d.dilates, d.pad_l, d.pad_r);
    return fwd_t::primitive_desc(desc, user_scratchpad(), dnnl_context::engine());
  }

  // Backward-data: direct always (Winograd's measured no faster there), on nhwc.
  void make_backward_data() {
    std::call_once(data_once, [&] {
      using bwd_t = dnnl::convolution_backward_data;
      const bwd_t::desc desc(dnnl::algorithm::convolution_direct, d.src, d.weights_in_any, d.dst_in,
                             d.strides, d.dilates, d.pad_l, d.pad_r);
      const bwd_t::primitive_desc pd(desc, user_scratchpad(), dnnl_context::engine(),
                                     direct_fwd_pd);
      bwd_data = {pd, bwd_t(pd), {}, false};
      bwd_data.ports.emplace_back(DNNL_ARG_DIFF_DST, d.dst, pd.diff_dst_desc(), false);
      bwd_data.ports.emplace_back(DNNL_ARG_WEIGHTS, d.weights_user, pd.weights_desc(), false);
      bwd_data.ports.emplace_back(DNNL_ARG_DIFF_SRC, d.src, pd.diff_src_desc(), true);
    });
  }

  void make_backward_weights() {
    std::call_once(weights_once, [&] {
      using bwd_t = dnnl::convolution_backward_weights;
      auto make = [&](dnnl::algorithm alg, const memory::desc& src, const memory::desc& dst,
                      const dnnl::convolution_forward::primitive_desc& hint) {
        const auto desc = has_bias ? bwd_t::desc(alg, src, d.weights_any, d.bias, dst, d.strides,
                                                 d.dilates, d.pad_l, d.pad_r)
                                   : bwd_t::desc(alg, src, d.weights_any, dst, d.strides, d.dilates,
                                                 d.pad_l, d.pad_r);
        return bwd_t::primitive_desc(desc, user_scratchpad(), dnnl_context::engine(), hint);
      };
      const auto winograd = winograd_pd<bwd_t::primitive_desc>(candidate, [&](dnnl::algorithm alg) {
        return make(alg, d.src_any, d.dst_any, winograd_fwd_pd ? *winograd_fwd_pd : direct_fwd_pd);
      });
      const bwd_t::primitive_desc pd =
          winograd ? *winograd
                   : make(dnnl::algorithm::convolution_direct, d.src_in, d.dst_in, direct_fwd_pd);
      bwd_weights = {pd, bwd_t(pd), {}, winograd.has_value()};
      bwd_weights.ports.emplace_back(DNNL_ARG_SRC, d.src, pd.src_desc(), false);
      bwd_weights.ports.emplace_back(DNNL_ARG_DIFF_DST, d.dst, pd.diff_dst_desc(), false);
      bwd_weights.ports.emplace_back(DNNL_ARG_DIFF_WEIGHTS, d.weights_user, pd.diff_weights_desc(),
                                     true);
      if (has_bias)
        bwd_weights.ports.emplace_back(DNNL_ARG_DIFF_BIAS, d.bias, pd.diff_bias_desc(), true);
    });
  }
};

std::shared_ptr<ConvPrimitives> primitives_for(const ConvGeometry& g, bool bias) {
  static PrimitiveCache<ConvPrimitives> cache;
  const bool winograd = cpu_conv_winograd_allowed();
  const bool bf16 = g.bf16 && dnnl_context::native_bf16();
  return cache.get({g.batch, g.in_h, g.in_w, g.in_c, g.kernel_h, g.kernel_w, g.out_c, g.stride_h,
                    g.stride_w, g.dilation_h, g.dilation_w, g.pad_top, g.pad_left, g.pad_bottom,
                    g.pad_right, bias, winograd, bf16},
                   [&] {
                     try {
                       return std::make_shared<ConvPrimitives>(g, bias, winograd, bf16);
                     } catch (const dnnl::error& e) {
                       throw Error(ErrorKind::Internal,
                                   "oneDNN has no convolution for " + g.str() + ": " + e.what());
                     }
                   });
}

// The backward passes, made on first use (oneDNN errors as glia::Error).
template <class Make>
void make_pass(const ConvGeometry& g, Make make) {
  try {
    make();
  } catch (const dnnl::error& e) {
    throw Error(ErrorKind::Internal,
                "oneDNN has no backward convolution for " + g.str() + ": " + e.what());
  }
}

void* mut(const float* p) {
  return const_cast<float*>(p);
}

}  // namespace

bool cpu_conv_winograd_allowed() {
  const char* v = std::getenv("GLIA_CONV_ALGORITHM");
  const std::string value = v ? v : "auto";
  if (value == "auto") return true;
  if (value == "direct") return false;
  throw Error(ErrorKind::InvalidArgument,
              "GLIA_CONV_ALGORITHM must be 'direct' or 'auto', not '" + value + "'");
}

CpuConvImplementations cpu_conv_implementations(const ConvGeometry& g, bool bias) {
  check_conv_geometry(g);
  auto p = primitives_for(g, bias);
  make_pass(g, [&] { p->make_backward_data(); });
  make_pass(g, [&] { p->make_backward_weights(); });
  return {p->fwd.pd.impl_info_str(), p->bwd_data.pd.impl_info_str(),
          p->bwd_weights.pd.impl_info_str(), p->fwd.winograd, p->bwd_weights.winograd};
}

void CpuBackend::conv2d_forward(const ConvGeometry& g, const float* x, const float* kernel,
                                const float* bias, float* y) {
  check_conv_geometry(g);
  if (g.batch == 0) return;
  auto p = primitives_for(g, bias != nullptr);
  if (bias)
    p->fwd.run({mut(x), mut(kernel), mut(bias), y});
  else
    p->fwd.run({mut(x), mut(kernel), y, nullptr});
}

void CpuBackend::conv2d_backward_data(const ConvGeometry& g, const float* dy, const float* kernel,
                                      float* dx) {
  check_conv_geometry(g);
  if (g.batch == 0) return;
  auto p = primitives_for(g, false);
  make_pass(g, [&] { p->make_backward_data(); });
  p->bwd_data.run({mut(dy), mut(kernel), dx, nullptr});
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
  make_pass(g, [&] { p->make_backward_weights(); });
  p->bwd_weights.run({mut(x), mut(dy), dkernel, dbias});
}

}  // namespace glia
