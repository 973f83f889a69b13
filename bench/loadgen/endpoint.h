// Addresses: the target, the loopback check, and the source addresses connections bind to so
// that thousands of connections to one server do not run out of ephemeral ports.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pollbench::loadgen {

struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;

  int family() const { return address.ss_family; }
  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&address); }
  // "127.0.0.1:8080" or "[::1]:8080" (port omitted when 0).
  std::string text() const;
};

// Parses "ADDR:PORT" with a numeric IPv4 address, "[IPv6]:PORT", or "localhost:PORT"
// (127.0.0.1). Port 1..65535. Throws std::invalid_argument saying what is wrong.
Endpoint parse_endpoint(std::string_view text);

// 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: traffic that never leaves this host.
bool is_loopback(const Endpoint& endpoint);

// net.ipv4.ip_local_port_range (it serves IPv6 too).
struct PortRange {
  unsigned low = 32768;
  unsigned high = 60999;
  std::size_t size() const { return high >= low ? high - low + 1 : 0; }
};
// Reads /proc/sys/net/ipv4/ip_local_port_range; the kernel default when it cannot.
PortRange read_port_range();

// Connections one source address should carry to one target: half the range (the even
// ports, which connect() searches first) less a margin for other programs' connections.
std::size_t usable_ports(const PortRange& range);

// Where connections come from. `addresses` empty: let the kernel choose (no bind).
struct SourcePlan {
  std::vector<Endpoint> addresses;  // port 0
  bool added_for_ports = false;     // more than asked for, because the ports would run out
  std::string describe() const;     // "127.0.0.1, 127.0.0.2"
};

// Loopback IPv4 targets: source addresses 127.0.0.1 .. 127.0.0.N, N = max(requested, as many as
// `connections` need at usable_ports() each). Other targets have one source address (the
// kernel's choice; ::1 for IPv6 loopback) and `requested` must be 0 or 1; their limit is the
// whole range (less the margin). Throws std::invalid_argument when the connections cannot fit
// (naming the port range).
SourcePlan plan_sources(const Endpoint& target, std::size_t connections, unsigned requested, const PortRange& range);

}  // namespace pollbench::loadgen
