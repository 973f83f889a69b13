// pollserver --threads T --accept MODE: T event loops, each a Server over its own Poller in its
// own thread, sharing one listening port the way MODE says (the server-side counterpart of
// herd_bench's modes, so that wrk can drive them):
//
//   shared_epoll_lt / shared_epoll_et   the listener sits in one epoll instance (level- or edge-
//                                       triggered); every loop's poller watches that instance and
//                                       accepts from the listener when it reports readable
//   epoll_per_thread                    the listener is in every loop's own poller
//   epoll_exclusive                     the same, registered with Poller::add_exclusive
//                                       (EPOLLEXCLUSIVE): needs --backend epoll_lt or epoll_et
//   reuseport                           a listener per loop on the same port (SO_REUSEPORT)
//
// Connections stay in the poller of the loop that accepted them, whatever the mode.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "accept_modes.h"
#include "fd.h"
#include "server.h"

namespace pollbench {

// The modes pollserver serves, from the registry herd_bench shares (accept_modes.h), in its order.
std::vector<AcceptModeInfo> served_accept_modes();
// Throws std::invalid_argument naming the valid modes.
AcceptMode served_accept_mode(std::string_view name);

struct ThreadedServe {
  std::string mode;     // the name of one of served_accept_modes()
  int threads = 1;
  std::string backend;  // every loop's poller
  std::string stats_file;  // where the JSON goes; empty: stdout
};

// Serves until `stop_fd` (a signalfd every loop watches) turns readable. `listener` is the
// socket pollserver bound; reuseport replaces it with `threads` sockets on its port. Prints
// `listening on ADDR:PORT` once every loop is ready, and at the end the statistics of all
// loops summed (the JSON pollserver prints) plus "threads", "accept_mode" and
// "accepted_per_thread". Every loop shares one spare fd for the fd limit (fd_reserve.h). Returns the exit status. Throws std::invalid_argument when the
// backend cannot do the mode (epoll_exclusive on a backend other than epoll).
int serve_threads(const ThreadedServe& how, OwnedFd listener, const ServerConfig& config, int stop_fd);

}  // namespace pollbench
