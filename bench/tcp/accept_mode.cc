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

#include "listener.h"
#include "poller.h"

namespace pollbench {
namespace {

[[noreturn]] void fail(int err, const std::string& what) { throw std::system_error(err, std::generic_category(), what); }

OwnedFd dup_fd(int fd) {
  OwnedFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy) fail(errno, "dup listener");
  return copy;
}

// `threads` listeners on the port `bound` listens on, each with SO_REUSEPORT, so the kernel
// hashes each new connection to one of them. `bound` was bound without SO_REUSEPORT, which
// a socket must have before bind to join a group: it is closed and its port taken again.
std::vector<OwnedFd> reuseport_listeners(OwnedFd bound, int threads) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(bound.get(), reinterpret_cast<sockaddr*>(&address), &length) < 0) fail(errno, "getsockname");
  bound.reset();
  const std::string where = "port " + std::to_string(ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port));
  std::vector<OwnedFd> out;
  for (int i = 0; i < threads; ++i) {
    OwnedFd fd(::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) fail(errno, "socket");
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) fail(errno, "SO_REUSEPORT");
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) < 0) fail(errno, "bind (SO_REUSEPORT) " + where);
    if (::listen(fd.get(), 4096) < 0) fail(errno, "listen " + where);
    out.push_back(std::move(fd));
  }
  return out;
}

void add_up(ServerStats& total, const ServerStats& s) {
  total.waits += s.waits;
  total.empty_waits += s.empty_waits;
  total.events += s.events;
  total.requests += s.requests;
  total.accepted += s.accepted;
  total.closed += s.closed;
  total.reset_by_peer += s.reset_by_peer;
  total.bytes_in += s.bytes_in;
  total.bytes_out += s.bytes_out;
  for (std::size_t i = 0; i < kServerErrorKinds; ++i) total.errors[i] += s.errors[i];
  total.wait_ns.merge(s.wait_ns);
}

// stats_json's object with the group's own fields added before its closing brace.
std::string group_json(std::string json, const ThreadedServe& how, const std::vector<std::uint64_t>& accepted) {
  const auto close = json.rfind('}');
  json.resize(close);
  while (!json.empty() && (json.back() == '\n' || json.back() == ' ')) json.pop_back();
  json += ",\n  \"threads\": " + std::to_string(how.threads) + ",\n  \"accept_mode\": \"" + how.mode +
          "\",\n  \"accepted_per_thread\": [";
  for (std::size_t i = 0; i < accepted.size(); ++i) json += (i == 0 ? "" : ", ") + std::to_string(accepted[i]);
  json += "]\n}\n";
  return json;
}

// Every loop reports here once its Server exists (or failed to), before anyone serves.
struct StartLine {
  std::mutex lock;
  std::condition_variable changed;
  int ready = 0;
  std::exception_ptr failure;
};

}  // namespace

const std::vector<AcceptModeInfo>& accept_modes() {
  static const std::vector<AcceptModeInfo> all = {
      {"shared_epoll_lt", "the listener in one level-triggered epoll instance that every loop watches"},
      {"shared_epoll_et", "the same, edge-triggered"},
      {"epoll_per_thread", "the listener in every loop's own poller"},
      {"epoll_exclusive", "the same with EPOLLEXCLUSIVE (--backend epoll_lt or epoll_et)"},
      {"reuseport", "a listener per loop on the same port (SO_REUSEPORT)"},
  };
  return all;
}

void check_accept_mode(std::string_view name) {
  std::string valid;
  for (const AcceptModeInfo& info : accept_modes()) {
    if (info.name == name) return;
    valid += (valid.empty() ? "" : ", ") + std::string(info.name);
  }
  throw std::invalid_argument("unknown accept mode '" + std::string(name) + "' (valid: " + valid + ")");
}

int serve_threads(const ThreadedServe& how, OwnedFd listener, const ServerConfig& config, int stop_fd) {
  check_accept_mode(how.mode);
  const std::string endpoint = local_endpoint(listener.get());
  std::vector<OwnedFd> listeners;
  OwnedFd shared_epoll;
  if (how.mode == "reuseport") {
    listeners = reuseport_listeners(std::move(listener), how.threads);
  } else {
    for (int i = 0; i < how.threads; ++i) listeners.push_back(dup_fd(listener.get()));
  }
  if (how.mode == "shared_epoll_lt" || how.mode == "shared_epoll_et") {
    shared_epoll = OwnedFd(::epoll_create1(EPOLL_CLOEXEC));
    if (!shared_epoll) fail(errno, "epoll_create1");
    epoll_event e{};
    e.events = EPOLLIN | (how.mode == "shared_epoll_et" ? EPOLLET : 0U);
    e.data.fd = listener.get();
    if (::epoll_ctl(shared_epoll.get(), EPOLL_CTL_ADD, listener.get(), &e) < 0) fail(errno, "epoll_ctl ADD listener");
  }
  ListenerWatch watch;
  watch.fd = shared_epoll ? shared_epoll.get() : -1;
  watch.exclusive = how.mode == "epoll_exclusive";

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
        servers[index] = std::make_unique<Server>(make_poller(how.backend), std::move(listeners[index]), config, watch);
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
    add_up(total, server->stats());
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
