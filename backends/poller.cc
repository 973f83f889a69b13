// The backend selector: every backend this build knows, probed once on this machine.
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <vector>

#include "backend.h"

namespace pollbench {

// The one list of backends, in the order every listing shows them. Adding a backend: its file
// in backends/ defines its `Backend` entry (backend.h), and it gets a line here and one in
// backends/CMakeLists.txt. Each entry is defined in its backend's file.
extern const Backend kSelectBackend;
extern const Backend kPollBackend;
extern const Backend kEpollLtBackend;
extern const Backend kEpollEtBackend;
extern const Backend kIoUringBackend;
extern const Backend kIoUringPlainBackend;

namespace {

const Backend* const kBuiltIn[] = {
    &kSelectBackend, &kPollBackend, &kEpollLtBackend, &kEpollEtBackend, &kIoUringBackend, &kIoUringPlainBackend,
};

// Backends added by a BackendRegistration, after the built-in ones.
std::vector<const Backend*>& registered() {
  static std::vector<const Backend*> entries;
  return entries;
}
bool listed = false;  // backends() has been asked for: the list is fixed from then on

std::vector<const Backend*> all_entries() {
  std::vector<const Backend*> out(std::begin(kBuiltIn), std::end(kBuiltIn));
  out.insert(out.end(), registered().begin(), registered().end());
  return out;
}

std::string valid_names() {
  std::string names;
  for (const Backend* e : all_entries()) names += (names.empty() ? "" : ", ") + std::string(e->traits.name);
  return names;
}

[[noreturn]] void unknown(std::string_view name) {
  throw std::invalid_argument("unknown backend '" + std::string(name) + "' (valid: " + valid_names() + ")");
}

}  // namespace

BackendRegistration::BackendRegistration(const Backend& backend) {
  if (listed) {
    throw std::logic_error(std::string("backend ") + backend.traits.name +
                           " registered after the list of backends was read");
  }
  for (const Backend* e : all_entries()) {
    if (std::string_view(e->traits.name) == backend.traits.name) {
      throw std::invalid_argument(std::string("backend ") + backend.traits.name + " registered twice");
    }
  }
  registered().push_back(&backend);
}

const char* to_string(Poller::Trigger trigger) { return trigger == Poller::Trigger::edge ? "edge" : "level"; }
const char* to_string(WaitCost cost) { return cost == WaitCost::per_watched ? "O(watched)" : "O(ready)"; }
const char* to_string(InterestSet interest) { return interest == InterestSet::kernel ? "kernel" : "user_array"; }

const std::vector<BackendInfo>& backends() {
  static const std::vector<BackendInfo> infos = [] {
    listed = true;
    std::vector<BackendInfo> out;
    for (const Backend* e : all_entries()) {
      const BackendProbe found = e->probe ? e->probe() : BackendProbe{};
      out.push_back(BackendInfo{e->traits.name, found.reason.empty(), found.reason, found.setup, e->traits, e});
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
  unknown(name);
}

const Backend& backend_entry(std::string_view name) { return *backend_info(name).entry; }

std::unique_ptr<Poller> make_poller(std::string_view name) {
  const BackendInfo& info = backend_info(name);
  if (!info.available) throw std::runtime_error("backend " + info.name + " is unavailable here: " + info.reason);
  return info.entry->make();
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
