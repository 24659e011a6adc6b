// A listening socket a server inherits (ServerOptions::listen_fd), checked and given the options
// cpp-httplib sets on the sockets it makes. Private to src/http.
#pragma once

namespace glia::http {

/// Checks that `fd` is a listening socket (glia::Error naming it otherwise), sets TCP_NODELAY
/// on it (connections accepted on it inherit it: without it every answer on a kept-alive
/// connection waits ~40 ms for a delayed ACK) and returns the port it listens on.
int prepare_inherited_socket(int fd);

}  // namespace glia::http
