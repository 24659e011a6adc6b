// Process-wide compute runtime: the single thread pool (OpenMP, shared with oneDNN) and the
// floating-point mode of every compute thread.
#pragma once

namespace glia {

/// Sets the number of compute threads (0 = all cores) and puts every pool thread, and the
/// calling thread, in flush-to-zero / denormals-are-zero mode. Call before training; the engine
/// calls it with 0 on first use if nobody did.
void set_num_threads(int threads);
int num_threads();
/// Ensures the runtime was initialised (idempotent, cheap after the first call).
void ensure_runtime();
/// Sets FTZ/DAZ on the calling thread (for threads created outside the pool).
void enable_flush_to_zero();
/// True when the calling thread has FTZ and DAZ set.
bool flush_to_zero_enabled();

}  // namespace glia
