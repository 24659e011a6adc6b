// The shared oneDNN CPU engine (see dnnl_context.hpp).
#include "backends/dnnl_context.hpp"

namespace glia::dnnl_context {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream stream() {
  return dnnl::stream(engine());
}

}  // namespace glia::dnnl_context
