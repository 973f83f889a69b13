#include "accept_mode.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

#include "error.h"
#include "listener.h"
#include "poller.h"

namespace pollbench {
namespace {

OwnedFd dup_fd(int fd) {
  OwnedFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy) throw_errno("dup listener");
  return copy;
}

// `threads` listeners on the port `bound` listens on, each with SO_REUSEPORT, so the kernel
// hashes each new connection to one of them. `bound` was bound without SO_REUSEPORT, which
// a socket must have before bind to join a group: it is closed and its port taken again.
std::vector<OwnedFd> reuseport_listeners(OwnedFd bound, int threads) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(bound.get(), reinterpret_cast<sockaddr*>(&address), &length) < 0) throw_errno("getsockname");
  bound.reset();
  const std::string where = "port " + std::to_string(ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port));
  std::vector<OwnedFd> out;
  for (int i = 0; i < threads; ++i) {
    OwnedFd fd(::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno("socket");
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) throw_errno("SO_REUSEPORT");
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) < 0) throw_errno("bind (SO_REUSEPORT) " + where);
    if (::listen(fd.get(), 4096) < 0) throw_errno("listen " + where);
    out.push_back(std::move(fd));
  }
  return out;
}

// stats_json's object with the group's own fields added.
std::string group_json(const std::string& stats, const ThreadedServe& how, const std::vector<std::uint64_t>& accepted) {
  using Json = nlohmann::ordered_json;
  Json out = Json::parse(stats);
  out["threads"] = how.threads;
  out["accept_mode"] = how.mode;
  out["accepted_per_thread"] = accepted;
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

// Every loop reports here once its Server exists (or failed to), before anyone serves.
struct StartLine {
  std::mutex lock;
  std::condition_variable changed;
  int ready = 0;
  std::exception_ptr failure;
};

}  // namespace

std::vector<AcceptModeInfo> served_accept_modes() {
  std::vector<AcceptModeInfo> out;
  for (const AcceptModeInfo& info : kAcceptModes) {
    if (info.served()) out.push_back(info);
  }
  return out;
}

AcceptMode served_accept_mode(std::string_view name) {
  if (const auto mode = accept_mode_by_name(name, true)) return *mode;
  throw std::invalid_argument("unknown accept mode '" + std::string(name) + "' (valid: " + accept_mode_names(true) + ")");
}

int serve_threads(const ThreadedServe& how, OwnedFd listener, const ServerConfig& config, int stop_fd) {
  const AcceptMode mode = served_accept_mode(how.mode);
  const bool shared = mode == AcceptMode::shared_epoll_lt || mode == AcceptMode::shared_epoll_et;
  const std::string endpoint = local_endpoint(listener.get());
  std::vector<OwnedFd> listeners;
  OwnedFd shared_epoll;
  if (mode == AcceptMode::reuseport) {
    listeners = reuseport_listeners(std::move(listener), how.threads);
  } else {
    for (int i = 0; i < how.threads; ++i) listeners.push_back(dup_fd(listener.get()));
  }
  if (shared) {
    shared_epoll = OwnedFd(::epoll_create1(EPOLL_CLOEXEC));
    if (!shared_epoll) throw_errno("epoll_create1");
    epoll_event e{};
    e.events = EPOLLIN | (mode == AcceptMode::shared_epoll_et ? EPOLLET : 0U);
    e.data.fd = listener.get();
    if (::epoll_ctl(shared_epoll.get(), EPOLL_CTL_ADD, listener.get(), &e) < 0) throw_errno("epoll_ctl ADD listener");
  }
  ListenerWatch watch;
  watch.fd = shared_epoll ? shared_epoll.get() : -1;
  watch.exclusive = mode == AcceptMode::epoll_exclusive;
  // One fd table, so one spare for all the loops: see fd_reserve.h.
  ServerConfig loop_config = config;
  loop_config.fd_reserve = std::make_shared<FdReserve>();

  std::vector<std::unique_ptr<Server>> servers(static_cast<std::size_t>(how.threads));
  StartLine start;
  bool go = false;
  std::mutex failure_lock;
  std::exception_ptr serve_failure;
  std::vector<std::thread> loops;
  for (int i = 0; i < how.threads; ++i) {
    loops.emplace_back([&, i] {
      const std::size_t index = static_cast<std::size_t>(i);
      try {
        // Made in its own thread: a poller may tie itself to the thread that made it.
        servers[index] = std::make_unique<Server>(make_poller(how.backend), std::move(listeners[index]), loop_config, watch);
        servers[index]->watch_stop_fd(stop_fd);
      } catch (...) {
        std::lock_guard<std::mutex> hold(start.lock);
        if (!start.failure) start.failure = std::current_exception();
      }
      {
        std::unique_lock<std::mutex> hold(start.lock);
        ++start.ready;
        start.changed.notify_all();
        start.changed.wait(hold, [&] { return go || start.failure != nullptr; });
        if (start.failure) return;
      }
      try {
        Server& server = *servers[index];
        while (!server.stop_requested()) server.turn(kForever);
      } catch (...) {
        {
          std::lock_guard<std::mutex> hold(failure_lock);
          if (!serve_failure) serve_failure = std::current_exception();
        }
        ::kill(::getpid(), SIGTERM);  // stops the other loops through the signalfd they watch
      }
    });
  }
  {
    std::unique_lock<std::mutex> hold(start.lock);
    start.changed.wait(hold, [&] { return start.ready == how.threads; });
    if (!start.failure) {
      // Only once every loop exists: a client that reads this line finds all of them there.
      std::printf("listening on %s\n", endpoint.c_str());
      std::fflush(stdout);
      go = true;
    }
    start.changed.notify_all();
  }
  for (std::thread& t : loops) t.join();
  if (start.failure) std::rethrow_exception(start.failure);
  if (serve_failure) std::rethrow_exception(serve_failure);

  ServerStats total;
  std::vector<std::uint64_t> accepted;
  std::size_t open = 0;
  for (const auto& server : servers) {
    total.add(server->stats());
    accepted.push_back(server->stats().accepted);
    open += server->open_connections();
  }
  const std::string json = group_json(stats_json(total, how.backend, endpoint, open), how, accepted);
  if (how.stats_file.empty()) {
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fflush(stdout);
    return 0;
  }
  std::ofstream out(how.stats_file);
  out << json;
  if (!out.flush()) {
    std::cerr << "pollserver: cannot write statistics to '" << how.stats_file << "'\n";
    return 1;
  }
  return 0;
}

}  // namespace pollbench
