// Constructors of the individual backends, for poller.cc's selector only.
#pragma once

#include <memory>
#include <string>

#include "poller.h"

namespace pollbench {

// Each backend's file defines its traits and its constructor; poller.cc's table lists them.
extern const BackendTraits kSelectTraits;
extern const BackendTraits kPollTraits;
extern const BackendTraits kEpollLtTraits;
extern const BackendTraits kEpollEtTraits;
extern const BackendTraits kIoUringTraits;
extern const BackendTraits kIoUringPlainTraits;

std::unique_ptr<Poller> make_select_poller();
std::unique_ptr<Poller> make_poll_poller();
std::unique_ptr<Poller> make_epoll_lt_poller();
std::unique_ptr<Poller> make_epoll_et_poller();
std::unique_ptr<Poller> make_io_uring_poller();
std::unique_ptr<Poller> make_io_uring_plain_poller();

// What a backend's probe found: why it cannot run here (empty: it can), and the set-up it
// runs with where it has more than one (empty otherwise).
struct BackendProbe {
  std::string reason;
  std::string setup;
};
// Each really creates a ring and arms a multishot poll, on a short-lived thread of its own.
BackendProbe probe_io_uring();        // setup: defer_taskrun, coop_taskrun or plain
BackendProbe probe_io_uring_plain();  // setup: plain

}  // namespace pollbench
