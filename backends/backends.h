// Constructors of the individual backends, for poller.cc's selector only.
#pragma once

#include <memory>
#include <string>

#include "poller.h"

namespace pollbench {

std::unique_ptr<Poller> make_select_poller();
std::unique_ptr<Poller> make_poll_poller();
std::unique_ptr<Poller> make_epoll_lt_poller();
std::unique_ptr<Poller> make_epoll_et_poller();
std::unique_ptr<Poller> make_io_uring_poller();
// Empty when io_uring works here, else why not.
std::string io_uring_unavailable_reason();

}  // namespace pollbench
