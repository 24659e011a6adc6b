// Process-wide compute runtime: the single thread pool (OpenMP, shared with oneDNN) and the
// floating-point mode of every compute thread.
#pragma once

namespace glia {

/// Sets the number of compute threads (0 = default_num_threads()) and puts every pool thread,
/// and the calling thread, in flush-to-zero / denormals-are-zero mode. Call before training;
/// the engine calls it with 0 on first use if nobody did. Throws glia::Error when 0 is given
/// and a thread variable holds something other than a positive integer.
void set_num_threads(int threads);
int num_threads();
/// The thread count 0 stands for: $GLIA_THREADS, else $OMP_NUM_THREADS (its first number),
/// else every core this process may run on (its CPU affinity), divided among the ranks mpirun
/// started on this machine ($OMPI_COMM_WORLD_LOCAL_SIZE). The local compute agent sets
/// both variables to a job's share of the cores.
int default_num_threads();
/// Ensures the runtime was initialised (idempotent, cheap after the first call).
void ensure_runtime();
/// Sets FTZ/DAZ on the calling thread (for threads created outside the pool).
void enable_flush_to_zero();
/// True when the calling thread has FTZ and DAZ set.
bool flush_to_zero_enabled();

}  // namespace glia
