// The one oneDNN CPU engine and stream the CPU backend's primitives (convolution, pooling,
// normalization) run on. oneDNN is built on OpenMP here, so its primitives run on Glia's one
// OpenMP pool (runtime.hpp) with its thread count. oneDNN keeps its own primitive cache, so a
// kernel may create its primitive on each call: the same shapes hit the cache.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

namespace glia::dnnl_context {

/// The CPU engine (index 0), made on first use.
dnnl::engine& engine();
/// A new in-order stream on engine(): streams are cheap, and one per call keeps kernels
/// callable from several threads at once.
dnnl::stream stream();

}  // namespace glia::dnnl_context
