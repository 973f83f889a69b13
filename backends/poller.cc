// The backend selector: every backend this build knows, probed once on this machine.
#include <nlohmann/json.hpp>

#include <stdexcept>

#include "backends.h"

namespace pollbench {
namespace {

// Adding a backend: its file in backends/ (traits, constructor, probe if it has one) and one
// line here.
struct Entry {
  const BackendTraits& traits;
  std::unique_ptr<Poller> (*make)();
  BackendProbe (*probe)();  // nullptr: always available on Linux, one set-up
};

const Entry kEntries[] = {
    {kSelectTraits, make_select_poller, nullptr},
    {kPollTraits, make_poll_poller, nullptr},
    {kEpollLtTraits, make_epoll_lt_poller, nullptr},
    {kEpollEtTraits, make_epoll_et_poller, nullptr},
    {kIoUringTraits, make_io_uring_poller, probe_io_uring},
    {kIoUringPlainTraits, make_io_uring_plain_poller, probe_io_uring_plain},
};

std::string valid_names() {
  std::string names;
  for (const Entry& e : kEntries) {
    if (!names.empty()) names += ", ";
    names += e.traits.name;
  }
  return names;
}

}  // namespace

const char* to_string(Poller::Trigger trigger) { return trigger == Poller::Trigger::edge ? "edge" : "level"; }
const char* to_string(WaitCost cost) { return cost == WaitCost::per_watched ? "O(watched)" : "O(ready)"; }
const char* to_string(InterestSet interest) { return interest == InterestSet::kernel ? "kernel" : "user_array"; }

const std::vector<BackendInfo>& backends() {
  static const std::vector<BackendInfo> infos = [] {
    std::vector<BackendInfo> out;
    for (const Entry& e : kEntries) {
      const BackendProbe found = e.probe ? e.probe() : BackendProbe{};
      out.push_back(BackendInfo{e.traits.name, found.reason.empty(), found.reason, found.setup, e.traits});
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

const BackendInfo& backend_info(std::string_view name) {
  for (const BackendInfo& b : backends()) {
    if (b.name == name) return b;
  }
  throw std::invalid_argument("unknown backend '" + std::string(name) + "' (valid: " + valid_names() + ")");
}

std::unique_ptr<Poller> make_poller(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kEntries); ++i) {
    if (name != kEntries[i].traits.name) continue;
    const BackendInfo& info = backends()[i];
    if (!info.available) throw std::runtime_error("backend " + info.name + " is unavailable here: " + info.reason);
    return kEntries[i].make();
  }
  throw std::invalid_argument("unknown backend '" + std::string(name) + "' (valid: " + valid_names() + ")");
}

std::string backends_json() {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const BackendInfo& b : backends()) {
    const BackendTraits& t = b.traits;
    all.push_back({{"name", b.name},
                   {"available", b.available},
                   {"reason", b.reason},
                   {"setup", b.setup},
                   {"trigger", to_string(t.trigger)},
                   {"wait_cost", to_string(t.wait_cost)},
                   {"interest", to_string(t.interest)},
                   {"reports_hangup", t.reports_hangup},
                   {"max_fd", t.max_fd == kAnyFd ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(t.max_fd)},
                   {"raw", t.raw}});
  }
  return all.dump();
}

}  // namespace pollbench
