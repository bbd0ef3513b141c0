#pragma once
// Socket helpers of the HTTP server: the listening socket (bound before libmicrohttpd takes it,
// so that port 0 and the backlog are ours to choose), addresses as text, the open-file limit.
// Stateless; safe from any thread.
#include <sys/socket.h>

#include <string>

namespace pagoda::server {

// Every open connection has a thread and a socket: raises the soft open-file limit (up to the
// hard one) so that the process may hold `connections` of them.
void raise_fd_limit(int connections);

// Binds and listens (with a large backlog, so a burst of clients waits instead of failing);
// returns a non-blocking socket, or -1. *ipv6 tells the address family.
int listen_on(const std::string& host, int port, bool* ipv6);

int bound_port_of(int fd);

std::string address_text(const sockaddr* address);  // "127.0.0.1", "::1"; "" if unknown

}  // namespace pagoda::server
