// What a backend is: one self-describing entry, as libevent's `struct eventop` is: its name and
// properties (BackendTraits), its constructor, its availability probe, and the hooks the
// benchmark families that need more than a Poller call: the raw baseline (bench/wait's raw
// family) and the file watcher (bench/watched). Each backend's file in backends/ defines its
// entry; the factory table in poller.cc lists the entries, and is the one list of backends.
// A backend defined outside this library (a test's) adds itself to that list with a
// BackendRegistration.
//
// What a backend's file uses besides this header: registry.h (the fd -> interest/token table
// and the errors every backend shares), masks.h (Interest and Ready in a mechanism's bits),
// raw_baseline.h and watcher.h (its hooks' interfaces).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "poller.h"
#include "raw_baseline.h"
#include "watcher.h"

namespace pollbench {

// What a backend's probe found: why it cannot run here (empty: it can), and the set-up it
// runs with where it has more than one (empty otherwise).
struct BackendProbe {
  std::string reason;
  std::string setup;
};

struct Backend {
  BackendTraits traits;
  std::unique_ptr<Poller> (*make)();
  // nullptr: always available on Linux, one set-up. A probe that creates kernel objects does
  // so on a short-lived thread of its own (see io_uring_poller.cc).
  BackendProbe (*probe)();
  // The mechanism's wait loop written straight against its system calls (raw_baseline.h), the
  // family traits.raw names; backends that share a raw family share the function.
  RawBaseline raw_baseline;
  // The mechanism watching files rather than fd numbers, past the fd limit (watcher.h). Set
  // exactly where traits.interest is InterestSet::kernel; nullptr otherwise.
  std::unique_ptr<Watcher> (*make_watcher)();
};

// The entry of the backend called `name`; std::invalid_argument (listing the valid names) for
// an unknown one.
const Backend& backend_entry(std::string_view name);

// The base of every Poller a backend makes: name() and trigger() come from its traits.
class BackendPoller : public Poller {
 public:
  explicit BackendPoller(const BackendTraits& traits) : traits_(traits) {}
  std::string_view name() const final { return traits_.name; }
  Trigger trigger() const final { return traits_.trigger; }

 protected:
  const BackendTraits& traits_;
};

// Appends a backend defined outside backends/ (a test's) to the list, after the built-in
// ones: a namespace-scope `const BackendRegistration registered{kMyBackend};` in the
// backend's own file, which the program links directly (an object file, not a static
// library, whose unreferenced members the linker would drop). It must run before the first
// call of backends(), as static initialisation does; a later one throws std::logic_error.
// A name already listed throws std::invalid_argument.
class BackendRegistration {
 public:
  explicit BackendRegistration(const Backend& backend);
};

}  // namespace pollbench
