// The backend selector: every backend this build knows, probed once on this machine.
#include <stdexcept>

#include "backends.h"

namespace pollbench {
namespace {

struct Entry {
  const char* name;
  std::unique_ptr<Poller> (*make)();
  BackendProbe (*probe)();  // nullptr: always available on Linux, one set-up
};

const Entry kEntries[] = {
    {"select", make_select_poller, nullptr},
    {"poll", make_poll_poller, nullptr},
    {"epoll_lt", make_epoll_lt_poller, nullptr},
    {"epoll_et", make_epoll_et_poller, nullptr},
    {"io_uring", make_io_uring_poller, probe_io_uring},
    {"io_uring_plain", make_io_uring_plain_poller, probe_io_uring_plain},
};

std::string valid_names() {
  std::string names;
  for (const Entry& e : kEntries) {
    if (!names.empty()) names += ", ";
    names += e.name;
  }
  return names;
}

}  // namespace

const std::vector<BackendInfo>& backends() {
  static const std::vector<BackendInfo> infos = [] {
    std::vector<BackendInfo> out;
    for (const Entry& e : kEntries) {
      const BackendProbe found = e.probe ? e.probe() : BackendProbe{};
      out.push_back(BackendInfo{e.name, found.reason.empty(), found.reason, found.setup});
    }
    return out;
  }();
  return infos;
}

std::vector<std::string> available_backends() {
  std::vector<std::string> names;
  for (const BackendInfo& b : backends()) {
    if (b.available) names.push_back(b.name);
  }
  return names;
}

std::unique_ptr<Poller> make_poller(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kEntries); ++i) {
    if (name != kEntries[i].name) continue;
    const BackendInfo& info = backends()[i];
    if (!info.available) throw std::runtime_error("backend " + info.name + " is unavailable here: " + info.reason);
    return kEntries[i].make();
  }
  throw std::invalid_argument("unknown backend '" + std::string(name) + "' (valid: " + valid_names() + ")");
}

}  // namespace pollbench
