// The ways T threads can share one listening port: one registry for herd_bench, which measures
// how each wakes its waiters (bench/herd/modes.h), and pollserver --accept, which serves HTTP
// through the ones it can (bench/tcp/accept_mode.h). Names are the command-line names of both.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace pollbench {

enum class AcceptMode {
  shared_epoll_lt,      // one epoll instance (level-triggered) holding the listener; all threads wait on it
  shared_epoll_et,      // the same, edge-triggered
  epoll_per_thread,     // an epoll instance per thread, the same listener added to each
  epoll_exclusive,      // the same with EPOLLEXCLUSIVE
  reuseport,            // a listener per thread (SO_REUSEPORT on one port), each in its thread's epoll
  poll_per_thread,      // every thread poll()s the shared listener (herd_bench only)
  io_uring_per_thread,  // a ring per thread, a multishot poll on the shared listener (herd_bench only)
};

struct AcceptModeInfo {
  AcceptMode mode;
  std::string_view name;
  std::string_view description;         // herd_bench --help: what each thread waits on
  std::string_view server_description;  // pollserver --help; empty: pollserver does not serve it
  bool served() const { return !server_description.empty(); }
};

// Every mode, in a fixed order (herd's sweep, both programs' --help).
inline constexpr std::array<AcceptModeInfo, 7> kAcceptModes = {{
    {AcceptMode::shared_epoll_lt, "shared_epoll_lt", "one epoll instance (level-triggered) that every thread waits on",
     "the listener in one level-triggered epoll instance that every loop watches"},
    {AcceptMode::shared_epoll_et, "shared_epoll_et", "one epoll instance (edge-triggered) that every thread waits on",
     "the same, edge-triggered"},
    {AcceptMode::epoll_per_thread, "epoll_per_thread", "an epoll instance per thread, the same listener in each",
     "the listener in every loop's own poller"},
    {AcceptMode::epoll_exclusive, "epoll_exclusive", "an epoll instance per thread, the listener added with EPOLLEXCLUSIVE",
     "the same with EPOLLEXCLUSIVE (--backend epoll_lt or epoll_et)"},
    {AcceptMode::reuseport, "reuseport", "a listener per thread (SO_REUSEPORT), each in its thread's epoll",
     "a listener per loop on the same port (SO_REUSEPORT)"},
    {AcceptMode::poll_per_thread, "poll_per_thread", "every thread poll()s the shared listener", ""},
    {AcceptMode::io_uring_per_thread, "io_uring_per_thread", "a ring per thread, a multishot poll on the shared listener",
     ""},
}};

inline const AcceptModeInfo& accept_mode_info(AcceptMode mode) {
  for (const AcceptModeInfo& info : kAcceptModes) {
    if (info.mode == mode) return info;
  }
  return kAcceptModes.front();  // unreachable: every enumerator is in the table
}
inline std::string_view name_of(AcceptMode mode) { return accept_mode_info(mode).name; }

// The mode called `name`, among all (served_only false) or pollserver's; nullopt if none.
inline std::optional<AcceptMode> accept_mode_by_name(std::string_view name, bool served_only) {
  for (const AcceptModeInfo& info : kAcceptModes) {
    if (info.name == name && (!served_only || info.served())) return info.mode;
  }
  return std::nullopt;
}
// "a, b, c": the valid names, for error messages.
inline std::string accept_mode_names(bool served_only) {
  std::string out;
  for (const AcceptModeInfo& info : kAcceptModes) {
    if (served_only && !info.served()) continue;
    out += (out.empty() ? "" : ", ") + std::string(info.name);
  }
  return out;
}

}  // namespace pollbench
