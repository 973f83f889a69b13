// The server's listening socket: bind an address given as text, and say where it listens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fd.h"

namespace pollbench {

// A numeric IPv4 or IPv6 address ("127.0.0.1", "::1", "[::1]", "0.0.0.0") or "localhost"
// (127.0.0.1). Throws std::invalid_argument saying what is wrong.
struct BindAddress {
  int family = 0;
  std::string text;  // as inet_ntop prints it, without brackets
};
BindAddress parse_bind_address(std::string_view text);

// A non-blocking, close-on-exec TCP listener on `address`:`port` (0: the kernel picks a free
// port), SO_REUSEADDR set, backlog `backlog` (the kernel caps it at net.core.somaxconn).
// Throws std::system_error naming the address on failure.
OwnedFd listen_tcp(std::string_view address, std::uint16_t port, int backlog = 4096);

// Where a bound socket is: "127.0.0.1:8080" or "[::1]:8080".
std::string local_endpoint(int fd);
std::uint16_t local_port(int fd);

}  // namespace pollbench
