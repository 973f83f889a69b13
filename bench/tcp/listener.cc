#include "listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace pollbench {
namespace {

// "[::1]": how an IPv6 address is written next to a port.
std::string bracketed(std::string_view address) {
  std::string out;
  out.reserve(address.size() + 2);
  out += '[';
  out += address;
  out += ']';
  return out;
}

}  // namespace

BindAddress parse_bind_address(std::string_view text) {
  std::string address(text);
  if (address == "localhost") address = "127.0.0.1";
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, address.c_str(), &v4) == 1) return BindAddress{AF_INET, address};
  if (::inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    char canonical[INET6_ADDRSTRLEN];
    ::inet_ntop(AF_INET6, &v6, canonical, sizeof canonical);
    return BindAddress{AF_INET6, canonical};
  }
  throw std::invalid_argument("'" + std::string(text) +
                              "' is not a numeric IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, ::1)");
}

OwnedFd listen_tcp(std::string_view address_text, std::uint16_t port, int backlog) {
  const BindAddress address = parse_bind_address(address_text);
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (address.family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    ::inet_pton(AF_INET, address.text.c_str(), &sin->sin_addr);
    length = sizeof *sin;
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    ::inet_pton(AF_INET6, address.text.c_str(), &sin6->sin6_addr);
    length = sizeof *sin6;
  }
  const std::string where =
      (address.family == AF_INET6 ? bracketed(address.text) : address.text) + ":" + std::to_string(port);

  OwnedFd fd(::socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw std::system_error(errno, std::generic_category(), "socket for " + where);
  // A restarted server can take its port back while old connections sit in TIME_WAIT.
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) < 0) {
    throw std::system_error(errno, std::generic_category(), "bind " + where);
  }
  if (::listen(fd.get(), backlog) < 0) throw std::system_error(errno, std::generic_category(), "listen " + where);
  return fd;
}

std::string local_endpoint(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) < 0) {
    throw std::system_error(errno, std::generic_category(), "getsockname");
  }
  char text[INET6_ADDRSTRLEN];
  if (storage.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    ::inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
    return bracketed(text) + ":" + std::to_string(ntohs(sin6->sin6_port));
  }
  const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage);
  ::inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
  return std::string(text) + ":" + std::to_string(ntohs(sin->sin_port));
}

std::uint16_t local_port(int fd) {
  const std::string endpoint = local_endpoint(fd);
  return static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

}  // namespace pollbench
