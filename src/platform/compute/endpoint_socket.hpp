// An endpoint's listening socket on host:port, which the agent holds and each endpoint process
// it starts inherits as descriptor 3: while a crashed process is replaced, the port goes on
// accepting connections into its backlog (systemd's socket activation), so clients see errors
// only for the requests in flight.
#pragma once

#include <cstdint>
#include <string>

namespace glia::platform::compute {

/// A listening socket (close-on-exec) bound to host:port (0: a port the kernel picks); the port
/// bound in *bound_port. Unavailable when the port is in use; InvalidArgument for a bad host.
int open_listening_socket(const std::string& host, int64_t port, int64_t* bound_port);

/// The port a bound socket listens on.
int64_t listening_port(int fd);

}  // namespace glia::platform::compute
