#include "connection.h"

#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bit>
#include <cerrno>

namespace pollbench::loadgen {

TimeRing::TimeRing(std::size_t initial, std::size_t cap)
    : slots_(std::bit_ceil(std::max<std::size_t>(initial, 1))), cap_(std::max(cap, initial)) {}

bool TimeRing::push(std::int64_t t) {
  if (count_ == cap_) return false;
  if (count_ == slots_.size()) {  // grow: unroll the ring into a twice-as-big vector
    std::vector<std::int64_t> bigger(slots_.size() * 2);
    for (std::size_t i = 0; i < count_; ++i) bigger[i] = slots_[(head_ + i) & (slots_.size() - 1)];
    slots_.swap(bigger);
    head_ = 0;
  }
  slots_[(head_ + count_) & (slots_.size() - 1)] = t;
  ++count_;
  return true;
}

std::int64_t TimeRing::pop() {
  const std::int64_t t = slots_[head_];
  head_ = (head_ + 1) & (slots_.size() - 1);
  --count_;
  return t;
}

RequestBytes::RequestBytes(std::string request, std::size_t copies) : request_size_(request.size()) {
  bytes_.reserve(request.size() * copies);
  for (std::size_t i = 0; i < copies; ++i) bytes_ += request;
}

std::string_view RequestBytes::slice(std::size_t offset, std::size_t want) const {
  const std::size_t available = bytes_.size() - offset;
  return std::string_view(bytes_).substr(offset, std::min(want, available));
}

std::string make_request(const std::string& path, const Endpoint& target) {
  return "GET " + path + " HTTP/1.1\r\nHost: " + target.text() + "\r\n\r\n";
}

ConnectStart start_connect(const Endpoint& target, const Endpoint* source, bool nodelay) {
  ConnectStart result;
  const int fd = ::socket(target.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    result.error = errno;
    result.step = "socket";
    return result;
  }
  auto fail = [&](const char* step) {
    result.error = errno;
    result.step = step;
    ::close(fd);
    return result;
  };
  const int one = 1;
  if (nodelay && ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) return fail("setsockopt TCP_NODELAY");
  if (source != nullptr) {
    // Without this, bind() would reserve a port for every destination and a source address
    // would run out after one port range in total rather than per target.
    if (::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) < 0) {
      return fail("setsockopt IP_BIND_ADDRESS_NO_PORT");
    }
    if (::bind(fd, source->sockaddr_ptr(), source->length) < 0) return fail("bind");
  }
  if (::connect(fd, target.sockaddr_ptr(), target.length) < 0) {
    if (errno != EINPROGRESS) return fail("connect");
    result.in_progress = true;
  }
  result.fd = fd;
  return result;
}

int connect_error(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) return errno;
  return error;
}

std::int64_t now_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace pollbench::loadgen
