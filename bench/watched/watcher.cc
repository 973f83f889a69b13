#include "watcher.h"

#include <stdexcept>

namespace pollbench::watched {

const std::vector<std::string>& watcher_backends() {
  static const std::vector<std::string> names{"epoll_lt", "epoll_et", "io_uring"};
  return names;
}

std::unique_ptr<Watcher> make_watcher(std::string_view backend) {
  if (backend == "epoll_lt") return make_epoll_watcher(false);
  if (backend == "epoll_et") return make_epoll_watcher(true);
  if (backend == "io_uring") return make_io_uring_watcher();
  throw std::invalid_argument("unknown backend '" + std::string(backend) + "' (valid: epoll_lt, epoll_et, io_uring)");
}

}  // namespace pollbench::watched
