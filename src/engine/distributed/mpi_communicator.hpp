// How the MPI communicator joins the engine (internal). The MPI implementation is not part of
// libglia: it is an object library linked only into programs that train (glia_accel), so the
// other programs (the glia CLI, the server) never load libmpi. Its static initializer registers
// the factory that distributed() calls.
#pragma once

#include <memory>

#include "glia/distributed.hpp"

namespace glia {

using MpiFactory = std::unique_ptr<Communicator> (*)();
void register_mpi_factory(MpiFactory factory);
/// The registered factory's communicator (MPI_Init_thread, funneled: only the thread that calls
/// fit() talks to MPI; MPI_Finalize at exit), or nullptr when the program has no MPI linked in.
std::unique_ptr<Communicator> make_mpi_communicator();

/// A backend's own gradient transport (see distributed_for): made once per process from the MPI
/// group, which it keeps using for everything but iallreduce_sum. Registered before main() by
/// the backend's code (the NCCL communicator for "cuda"), so the engine core names no device API.
using DeviceCommFactory = std::unique_ptr<Communicator> (*)(Communicator& group);
void register_device_communicator(const char* backend_name, DeviceCommFactory factory);

/// After a failure in a collective phase (an exception leaving fit()): at exit, MPI_Abort ends
/// the whole group instead of MPI_Finalize waiting for ranks that wait for this one.
void fail_group_at_exit();
bool group_failed();

}  // namespace glia
