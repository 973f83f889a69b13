#include "watched_set.h"

#include <chrono>
#include <stdexcept>

#include "backend.h"
#include "cli.h"
#include "fds.h"
#include "preflight.h"

namespace pollbench::watched {

const std::vector<std::string>& watcher_backends() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const BackendInfo& b : backends()) {
      if (b.entry->make_watcher != nullptr) out.push_back(b.name);
    }
    return out;
  }();
  return names;
}

std::unique_ptr<Watcher> make_watcher(const std::string& backend) {
  const Backend& entry = backend_entry(backend);
  if (entry.make_watcher == nullptr) {
    throw std::invalid_argument("backend '" + backend + "' has no file watcher (valid: " +
                                cli::joined(watcher_backends()) + ")");
  }
  return entry.make_watcher();
}

WatchedSet::WatchedSet(const std::string& backend)
    : backend_(backend),
      holders_(files_per_holder()),
      watcher_(make_watcher(backend)),
      active_(make_socketpair()),
      spare_(make_socketpair()) {
  watcher_->add(active_.a.get(), kActiveToken);
}

Growth WatchedSet::grow_to(std::size_t n) {
  Growth g;
  if (n <= watched()) return g;
  const MemInfo before = read_meminfo();
  const auto start = std::chrono::steady_clock::now();
  std::chrono::nanoseconds adding{0};
  while (watched() < n) {
    FdPair pair = make_socketpair();
    const auto add_start = std::chrono::steady_clock::now();
    watcher_->add(pair.a.get(), kIdleTokenBase + static_cast<Token>(idle_));
    adding += std::chrono::steady_clock::now() - add_start;
    holders_.keep(std::move(pair));
    ++idle_;
    ++g.added;
  }
  holders_.flush();
  const auto stop = std::chrono::steady_clock::now();
  const MemInfo after = read_meminfo();
  const auto added = static_cast<double>(g.added);
  g.ns_per_added = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count()) / added;
  g.add_ns_per_added = static_cast<double>(adding.count()) / added;
  g.kernel_bytes_per_added = static_cast<double>(after.kernel_kib() - before.kernel_kib()) * 1024.0 / added;
  return g;
}

namespace {

std::unique_ptr<WatchedSet> current;
std::map<std::size_t, Growth> growths;

}  // namespace

WatchedSet& watched_set(const std::string& backend, std::size_t n) {
  if (current && (current->backend() != backend || current->watched() > n)) release_watched_set();
  if (!current) current = std::make_unique<WatchedSet>(backend);
  if (current->watched() < n) growths[n] = current->grow_to(n);
  return *current;
}

const Growth& growth_to(std::size_t n) { return growths[n]; }

void release_watched_set() {
  if (current) {
    current.reset();
    settle_kernel_memory();
  }
  growths.clear();
}

}  // namespace pollbench::watched
