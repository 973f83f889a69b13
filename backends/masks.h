// Interest and Ready in a mechanism's own bits, written once for every mechanism family:
// poll(2)'s bits (poll, and io_uring's poll requests, which take and return the same mask)
// and epoll's.
#pragma once

#include <poll.h>
#include <sys/epoll.h>

#include <cstdint>

#include "poller.h"

namespace pollbench {

struct MaskBits {
  unsigned in, pri, out, hup, rdhup, err, nval;
};
inline constexpr MaskBits kPollBits{POLLIN, POLLPRI, POLLOUT, POLLHUP, POLLRDHUP, POLLERR, POLLNVAL};
inline constexpr MaskBits kEpollBits{EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLHUP, EPOLLRDHUP, EPOLLERR, 0};

// What to ask the mechanism for. RDHUP with readable interest: a TCP peer's FIN sets only IN
// and RDHUP (HUP needs both directions shut), so without it a hangup would look like mere data.
inline unsigned interest_mask(Interest interest, const MaskBits& bits) {
  return (wants_read(interest) ? bits.in | bits.rdhup : 0U) | (wants_write(interest) ? bits.out : 0U);
}

// Ready bits (poller.h) of what the mechanism reported.
inline std::uint8_t ready_of(unsigned reported, const MaskBits& bits) {
  std::uint8_t ready = 0;
  if (reported & (bits.in | bits.pri)) ready |= kReadable;
  if (reported & bits.out) ready |= kWritable;
  if (reported & (bits.hup | bits.rdhup)) ready |= kHangup;
  if (reported & (bits.err | bits.nval)) ready |= kError;
  return ready;
}

}  // namespace pollbench
