// Diagnosis only (bench/server.sh --nodelay-shim; bench/README.md, "Server (issue 12)"): an
// LD_PRELOAD shim that sets TCP_NODELAY on every socket the server accepts. cpp-httplib leaves
// Nagle's algorithm on by default (CPPHTTPLIB_TCP_NODELAY false) and writes a response's headers
// and body in two send() calls, so the body waits for the client's delayed ACK of the headers.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
static void nd(int fd) {
  int one = 1;
  if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
int accept(int s, struct sockaddr* a, socklen_t* l) {
  static int (*real)(int, struct sockaddr*, socklen_t*);
  if (!real) real = dlsym(RTLD_NEXT, "accept");
  int fd = real(s, a, l);
  nd(fd);
  return fd;
}
int accept4(int s, struct sockaddr* a, socklen_t* l, int f) {
  static int (*real)(int, struct sockaddr*, socklen_t*, int);
  if (!real) real = dlsym(RTLD_NEXT, "accept4");
  int fd = real(s, a, l, f);
  nd(fd);
  return fd;
}
