#include "endpoint.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "options.h"

namespace pollbench::loadgen {

namespace {

unsigned parse_port(std::string_view text, std::string_view whole) {
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535) {
    throw std::invalid_argument("bad port in '" + std::string(whole) + "': want a number from 1 to 65535");
  }
  return port;
}

Endpoint ipv4(in_addr_t host_order, unsigned port) {
  Endpoint e;
  auto* sin = reinterpret_cast<sockaddr_in*>(&e.address);
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = htonl(host_order);
  sin->sin_port = htons(static_cast<std::uint16_t>(port));
  e.length = sizeof(sockaddr_in);
  return e;
}

}  // namespace

std::string Endpoint::text() const {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (family() == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
    port = ntohs(sin->sin_port);
    return port == 0 ? host : std::string(host) + ":" + std::to_string(port);
  }
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&address);
  ::inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
  port = ntohs(sin6->sin6_port);
  if (port == 0) return host;
  // Appended piece by piece: GCC 12 warns (-Wrestrict, falsely) on "[" + std::string(...).
  std::string out(1, '[');
  out.append(host).append("]:").append(std::to_string(port));
  return out;
}

Endpoint parse_endpoint(std::string_view text) {
  const std::string whole(text);
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw std::invalid_argument("bad target '" + whole + "': write an IPv6 address as [ADDR]:PORT, e.g. [::1]:8080");
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      throw std::invalid_argument("bad target '" + whole + "': want ADDR:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
    }
    host = text.substr(0, colon);
    if (host.find(':') != std::string::npos) {
      throw std::invalid_argument("bad target '" + whole + "': put an IPv6 address in brackets, e.g. [::1]:8080");
    }
    port_text = text.substr(colon + 1);
  }
  const unsigned port = parse_port(port_text, text);
  if (host == "localhost") return ipv4(INADDR_LOOPBACK, port);

  Endpoint e;
  auto* sin = reinterpret_cast<sockaddr_in*>(&e.address);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&e.address);
  if (::inet_pton(AF_INET, host.c_str(), &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<std::uint16_t>(port));
    e.length = sizeof(sockaddr_in);
    return e;
  }
  if (::inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<std::uint16_t>(port));
    e.length = sizeof(sockaddr_in6);
    return e;
  }
  throw std::invalid_argument("bad target '" + whole +
                              "': the address must be numeric IPv4 (127.0.0.1), IPv6 in brackets ([::1]) or localhost");
}

bool is_loopback(const Endpoint& endpoint) {
  if (endpoint.family() == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&endpoint.address);
    return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
  }
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&endpoint.address);
  if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) return true;
  return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && sin6->sin6_addr.s6_addr[12] == 127;
}

PortRange read_port_range() {
  PortRange range;
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0, high = 0;
  if (in >> low >> high && low <= high && high <= 65535) {
    range.low = low;
    range.high = high;
  }
  return range;
}

std::size_t usable_ports(const PortRange& range) {
  // connect() looks for a port among the even ones of the range first (the odd ones are kept
  // for bind()), and only once every even port is taken does it scan on to the odd ones, for
  // each connect: past half the range, opening a connection costs a scan of the whole range
  // (15000 connections from one address: 0.5 s; 19900: 6 s, nearly all of it in the kernel).
  // So a source address takes at most half the range, less a margin (a twentieth, at most
  // 500) for other programs' connections and TIME_WAIT leftovers.
  const std::size_t half = range.size() / 2;
  const std::size_t margin = std::min<std::size_t>(500, range.size() / 20);
  return half > margin ? half - margin : 0;
}

std::string SourcePlan::describe() const {
  if (addresses.empty()) return "chosen by the kernel";
  if (addresses.size() <= 3) {
    std::string out;
    for (const auto& a : addresses) out += (out.empty() ? "" : ", ") + a.text();
    return out;
  }
  return addresses.front().text() + " .. " + addresses.back().text() + " (" + std::to_string(addresses.size()) + ")";
}

SourcePlan plan_sources(const Endpoint& target, std::size_t connections, unsigned requested, const PortRange& range) {
  const std::size_t per_source = usable_ports(range);
  const std::string range_text = std::to_string(range.low) + "-" + std::to_string(range.high);
  if (per_source == 0) {
    throw std::invalid_argument("the ephemeral port range net.ipv4.ip_local_port_range (" + range_text + ") is empty");
  }
  const std::size_t needed = (connections + per_source - 1) / per_source;
  SourcePlan plan;
  if (target.family() == AF_INET && is_loopback(target)) {
    std::size_t count = std::max<std::size_t>({requested, needed, 1});
    if (count > kMaxSources) {
      throw std::invalid_argument(std::to_string(connections) + " connections need " + std::to_string(needed) +
                                  " source addresses at " + std::to_string(per_source) +
                                  " ephemeral ports each (net.ipv4.ip_local_port_range " + range_text +
                                  "), more than the " + std::to_string(kMaxSources) + " loadgen uses");
    }
    plan.added_for_ports = needed > std::max<std::size_t>(requested, 1);
    for (std::size_t i = 0; i < count; ++i) {
      plan.addresses.push_back(ipv4(INADDR_LOOPBACK + static_cast<in_addr_t>(i), 0));
    }
    return plan;
  }
  // One source address: the whole range is the limit; past half of it connecting is slow.
  const std::size_t margin = std::min<std::size_t>(500, range.size() / 20);
  const std::size_t all_ports = range.size() - margin;
  const std::string why = target.family() == AF_INET6 && is_loopback(target)
                              ? "IPv6 loopback has a single address, ::1"
                              : "source addresses 127.0.0.N only reach loopback targets";
  if (requested > 1) throw std::invalid_argument("--sources " + std::to_string(requested) + " is not possible: " + why);
  if (connections > all_ports) {
    throw std::invalid_argument(std::to_string(connections) + " connections need more than the " +
                                std::to_string(all_ports) + " ephemeral ports one source address has (" +
                                "net.ipv4.ip_local_port_range " + range_text + ") and " + why +
                                "; widen the port range or use a 127.0.0.x target");
  }
  return plan;
}

}  // namespace pollbench::loadgen
