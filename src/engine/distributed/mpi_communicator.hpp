// The MPI implementation of glia::Communicator (internal).
#pragma once

#include <memory>

#include "glia/distributed.hpp"

namespace glia {

/// Initializes MPI (MPI_Init_thread, funneled: only the thread that calls fit() talks to MPI) and
/// returns MPI_COMM_WORLD's communicator; MPI_Finalize runs at exit. nullptr when Glia was built
/// without MPI.
std::unique_ptr<Communicator> make_mpi_communicator();

/// After a failure in a collective phase (an exception leaving fit()): at exit, MPI_Abort ends
/// the whole group instead of MPI_Finalize waiting for ranks that wait for this one.
void fail_group_at_exit();

}  // namespace glia
