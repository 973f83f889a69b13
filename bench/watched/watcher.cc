#include "watcher.h"

#include <algorithm>
#include <stdexcept>

#include "poller.h"

namespace pollbench::watched {

// Every backend whose interest set the kernel keeps: its registration holds the file, so it
// can watch files no longer in this process's table. A backend with a user-space array
// (select, poll) cannot, by construction.
const std::vector<std::string>& watcher_backends() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const BackendInfo& b : backends()) {
      if (b.traits.interest == InterestSet::kernel) out.push_back(b.name);
    }
    return out;
  }();
  return names;
}

// One Watcher per raw family (the mechanism's own system calls), set up as the backend is.
std::unique_ptr<Watcher> make_watcher(std::string_view backend) {
  const auto& names = watcher_backends();
  if (std::find(names.begin(), names.end(), backend) != names.end()) {
    const BackendInfo& info = backend_info(backend);
    const std::string_view raw = info.traits.raw;
    if (raw == "epoll") return make_epoll_watcher(info.name, info.traits.trigger == Poller::Trigger::edge);
    if (raw == "io_uring") return make_io_uring_watcher(info.name, info.setup == "plain");
  }
  std::string valid;
  for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown backend '" + std::string(backend) + "' (valid: " + valid + ")");
}

}  // namespace pollbench::watched
